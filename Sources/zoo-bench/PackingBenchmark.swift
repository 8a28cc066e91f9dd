import Foundation
import ZooFormat

/// `zoo-bench --packing`: what canonical shard packing (spec §7.1) does with real-shaped models,
/// written for real by ``CheckpointWriter`` (every tensor hashed, every shard on disk):
///
/// - shard counts for 2,000 and 10,000 tiny tensors (MoE-style names), beside the count the
///   zoo 1.0 writer's by-layer rule gave for the same input;
/// - the same tensors in two other orders (reversed, shuffled): the share of shard bytes that
///   are byte-identical blobs (the 1.0 rule followed input order);
/// - a BERT-base-shaped model (12 x 768, vocabulary 30522, F32, 438 MB) and two fine-tunes of it:
///   a new 3-class head, and the top 2 layers + head: the share of shard bytes that are new
///   blobs, beside a single-file safetensors checkpoint, of which every fine-tune is a new file.
///
/// Targets from issue 8: <= 8 shards for 2,000 tiny tensors, a handful (<= 16) for 10,000, the
/// same blobs in any order, < 5% new bytes for a head-only fine-tune, < 16% for the top 2 + head.
struct PackingBenchmark {
    let options: Options
    let scratch: String

    func run() throws(BenchError) -> Report {
        var report = Report()
        report.facts = [
            ("packing", "target \(WriterOptions.canonicalTargetShardByteCount >> 20) MiB, maximum "
                + "\(WriterOptions.canonicalMaxShardByteCount >> 20) MiB per shard (the canonical defaults)"),
            ("machine", "\(SystemState.processorCount()) CPUs, load average \(SystemState.loadAverage())"),
        ]
        for count in [2_000, 10_000] {
            let tensors = Self.moeTiny(count: count)
            let manifest = try write(tensors, name: "tiny\(count)")
            let limit = count == 2_000 ? 8 : 16
            report.rows.append(Row(operation: "\(count) tiny tensors: shards", zoo: .count(manifest.shards.count),
                                   peerName: "target", peer: .count(limit), target: .atMost(1.0)))
            report.rows.append(Row(operation: "\(count) tiny tensors: shards", zoo: .count(manifest.shards.count),
                                   peerName: "zoo 1.0 by-layer rule", peer: .count(Self.byLayerShardCount(tensors)),
                                   target: nil))
            var generator = SplitMix64(seed: UInt64(count))
            for (label, reordered) in [("reversed", Array(tensors.reversed())), ("shuffled", tensors.shuffled(using: &generator))] {
                let other = try write(reordered, name: "tiny\(count)-\(label)")
                report.rows.append(Row(
                    operation: "\(count) tiny tensors \(label): shard bytes in identical blobs",
                    zoo: .fraction(Self.sharedFraction(other, with: manifest)), peerName: "target: all",
                    peer: .fraction(1), target: .atLeast(1.0)))
            }
            progress("\(count) tiny tensors: \(manifest.shards.count) shards")
        }

        let parent = try write(Self.bertBase(classes: 2, changedLayers: []), name: "bert")
        progress("BERT-base parent: \(parent.shards.count) shards, \(Figure.byteSize(Double(parent.totalByteCount)))")
        let cases: [(String, Set<Int>, Double)] = [("new 3-class head", [], 0.05), ("top 2 layers + new head", [10, 11], 0.16)]
        for (label, layers, limit) in cases {
            let child = try write(Self.bertBase(classes: 3, changedLayers: layers), name: "bert-\(layers.count)")
            let new = 1 - Self.sharedFraction(child, with: parent)
            report.rows.append(Row(operation: "BERT-base fine-tune, \(label): new shard bytes", zoo: .fraction(new),
                                   peerName: "target", peer: .fraction(limit), target: .atMost(1.0)))
            report.rows.append(Row(operation: "BERT-base fine-tune, \(label): new shard bytes", zoo: .fraction(new),
                                   peerName: "one safetensors file", peer: .fraction(1), target: nil))
            progress("\(label): \(Figure.fixed(new * 100, digits: 2))% new")
        }
        report.notes = [
            "shard bytes in identical blobs: the share of the second model's shard bytes whose blob (SHA-256) the first already has",
            "tiny tensors: 500 or 2,500 MoE-style layers of attention and expert weights, 4 to 64 F32 elements each",
        ]
        return report
    }

    private func progress(_ text: String) { Console.diagnostic("zoo-bench: " + text) }

    private func write(_ tensors: [SyntheticTensors.Tensor], name: String) throws(BenchError) -> Manifest {
        let destination = scratch + "/" + name
        do throws(FormatError) {
            let writer = try CheckpointWriter(
                destination: destination, name: name, architecture: Architecture(family: .autoencoding, type: "bert"))
            try writer.addTensors(from: SyntheticTensors(tensors: tensors))
            let manifest = try writer.finish()
            try? FileSystem.removeTree(destination)  // only the manifest is compared
            return manifest
        } catch {
            throw .zoo(error.description)
        }
    }

    /// The share of `model`'s shard bytes held in blobs that `other` has too.
    static func sharedFraction(_ model: Manifest, with other: Manifest) -> Double {
        let have = Set(other.shards.map(\.digest))
        let total = model.shards.reduce(0) { $0 + $1.length }
        let shared = model.shards.filter { have.contains($0.digest) }.reduce(0) { $0 + $1.length }
        return total == 0 ? 1 : Double(shared) / Double(total)
    }

    /// The shards the zoo 1.0 writer made: a new shard where the layer group changed, in input order.
    static func byLayerShardCount(_ tensors: [SyntheticTensors.Tensor]) -> Int {
        var count = 0
        var group: Substring?
        for tensor in tensors {
            let next = WriterOptions.layerGroup(of: tensor.name)
            if next != group { count += 1 }
            group = next
        }
        return count
    }

    /// `count` tiny tensors named like a mixture-of-experts decoder, in PyTorch module order.
    static func moeTiny(count: Int) -> [SyntheticTensors.Tensor] {
        var tensors: [SyntheticTensors.Tensor] = [.init(name: "model.embed_tokens.weight", shape: [64, 4])]
        var layer = 0
        while tensors.count < count - 2 {
            let prefix = "model.layers.\(layer)"
            for part in ["input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight"] {
                tensors.append(.init(name: "\(prefix).\(part)", shape: [4]))
            }
            tensors.append(.init(name: "\(prefix).mlp.gate.weight", shape: [8, 4]))
            for expert in 0..<4 where tensors.count < count - 2 {
                tensors.append(.init(name: "\(prefix).mlp.experts.\(expert).w1.weight", shape: [16]))
            }
            layer += 1
        }
        tensors = Array(tensors.prefix(count - 2))
        tensors.append(.init(name: "model.norm.weight", shape: [4]))
        tensors.append(.init(name: "lm_head.weight", shape: [64, 4]))
        return tensors
    }

    /// A BERT-base-shaped classifier in Hugging Face naming and PyTorch order; `changedLayers`
    /// and the head get other values than the parent (`classes` 2).
    static func bertBase(classes: Int, changedLayers: Set<Int>) -> [SyntheticTensors.Tensor] {
        let hidden = 768, intermediate = 3072
        var tensors: [SyntheticTensors.Tensor] = [
            .init(name: "bert.embeddings.word_embeddings.weight", shape: [30522, hidden]),
            .init(name: "bert.embeddings.position_embeddings.weight", shape: [512, hidden]),
            .init(name: "bert.embeddings.token_type_embeddings.weight", shape: [2, hidden]),
            .init(name: "bert.embeddings.LayerNorm.weight", shape: [hidden]),
            .init(name: "bert.embeddings.LayerNorm.bias", shape: [hidden]),
        ]
        for layer in 0..<12 {
            let p = "bert.encoder.layer.\(layer)", variant: UInt64 = changedLayers.contains(layer) ? 1 : 0
            func linear(_ name: String, _ out: Int, _ input: Int) {
                tensors.append(.init(name: "\(p).\(name).weight", shape: [out, input], variant: variant))
                tensors.append(.init(name: "\(p).\(name).bias", shape: [out], variant: variant))
            }
            func norm(_ name: String) {
                tensors.append(.init(name: "\(p).\(name).weight", shape: [hidden], variant: variant))
                tensors.append(.init(name: "\(p).\(name).bias", shape: [hidden], variant: variant))
            }
            for part in ["query", "key", "value"] { linear("attention.self.\(part)", hidden, hidden) }
            linear("attention.output.dense", hidden, hidden)
            norm("attention.output.LayerNorm")
            linear("intermediate.dense", intermediate, hidden)
            linear("output.dense", hidden, intermediate)
            norm("output.LayerNorm")
        }
        tensors.append(.init(name: "bert.pooler.dense.weight", shape: [hidden, hidden]))
        tensors.append(.init(name: "bert.pooler.dense.bias", shape: [hidden]))
        tensors.append(.init(name: "classifier.weight", shape: [classes, hidden], variant: UInt64(classes)))
        tensors.append(.init(name: "classifier.bias", shape: [classes], variant: UInt64(classes)))
        return tensors
    }
}

/// F32 tensors whose bytes are generated from their name and a variant while they are written,
/// so a 438 MB model costs no memory.
struct SyntheticTensors: TensorSource {
    struct Tensor {
        var name: String
        var shape: [Int]
        var variant: UInt64 = 0
    }

    let tensors: [Tensor]
    var tensorDescriptors: [TensorDescriptor] { tensors.map { TensorDescriptor(name: $0.name, dtype: .f32, shape: $0.shape) } }

    func writeTensor(at index: Int, into sink: inout TensorSink) throws {
        let tensor = tensors[index]
        var seed = tensor.variant &* 0x9E37_79B9_7F4A_7C15
        for byte in tensor.name.utf8 { seed = (seed ^ UInt64(byte)) &* 0x100_0000_01B3 }
        var random = SplitMix64(seed: seed)
        var remaining = tensor.shape.reduce(1, *) * 4
        var chunk = [UInt64](repeating: 0, count: 1 << 17)  // 1 MiB
        while remaining > 0 {
            for i in chunk.indices { chunk[i] = random.next() }
            let n = min(remaining, chunk.count * 8)
            try chunk.withUnsafeBytes { raw in
                try Result { () throws(FormatError) in try sink.write(UnsafeRawBufferPointer(rebasing: raw[0..<n])) }.get()
            }
            remaining -= n
        }
    }
}
