import Foundation
import ZooFormat

/// A BERT-like model in memory (F32 tensors in Hugging Face naming), written with
/// ``CheckpointWriter`` under a chosen sharding rule.
struct BertLikeModel {
    var tensors: [(name: String, shape: [Int], values: [Float])]

    /// A 12-layer encoder with BERT-base proportions scaled to `hidden`, and a classifier head.
    static func make(layers: Int = 12, hidden: Int, vocabulary: Int, labels: Int, seed: UInt64) -> BertLikeModel {
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        var counter: UInt64 = 0
        func add(_ name: String, _ shape: [Int], seed layerSeed: UInt64 = seed) {
            counter += 1
            tensors.append((name, shape, values(shape.reduce(1, *), seed: layerSeed &* 1_000_003 &+ counter)))
        }
        func linear(_ prefix: String, _ out: Int, _ inputs: Int, seed: UInt64) {
            add(prefix + ".weight", [out, inputs], seed: seed)
            add(prefix + ".bias", [out], seed: seed)
        }
        func norm(_ prefix: String, seed: UInt64) {
            add(prefix + ".weight", [hidden], seed: seed)
            add(prefix + ".bias", [hidden], seed: seed)
        }
        add("bert.embeddings.word_embeddings.weight", [vocabulary, hidden])
        add("bert.embeddings.position_embeddings.weight", [512, hidden])
        add("bert.embeddings.token_type_embeddings.weight", [2, hidden])
        norm("bert.embeddings.LayerNorm", seed: seed)
        for i in 0..<layers {
            let prefix = "bert.encoder.layer.\(i)"
            for part in ["query", "key", "value"] { linear("\(prefix).attention.self.\(part)", hidden, hidden, seed: seed) }
            linear("\(prefix).attention.output.dense", hidden, hidden, seed: seed)
            norm("\(prefix).attention.output.LayerNorm", seed: seed)
            linear("\(prefix).intermediate.dense", 4 * hidden, hidden, seed: seed)
            linear("\(prefix).output.dense", hidden, 4 * hidden, seed: seed)
            norm("\(prefix).output.LayerNorm", seed: seed)
        }
        linear("bert.pooler.dense", hidden, hidden, seed: seed)
        linear("classifier", labels, hidden, seed: seed)
        return BertLikeModel(tensors: tensors)
    }

    /// A fine-tune of `self`: the top `changedLayers` layers get new values, the head is replaced
    /// by one with `labels` outputs; everything else is bit-identical.
    func fineTuned(changedLayers: Int, layers: Int = 12, labels: Int, seed: UInt64) -> BertLikeModel {
        var copy = self
        let changed = Set((layers - changedLayers)..<layers).map { "bert.encoder.layer.\($0)." }
        for index in copy.tensors.indices where changed.contains(where: { copy.tensors[index].name.hasPrefix($0) }) {
            copy.tensors[index].values = Self.values(copy.tensors[index].values.count, seed: seed &+ UInt64(index))
        }
        let hidden = tensors[0].shape[1]
        copy.tensors.removeAll { $0.name.hasPrefix("classifier.") }
        copy.tensors.append(("classifier.weight", [labels, hidden], Self.values(labels * hidden, seed: seed &+ 7)))
        copy.tensors.append(("classifier.bias", [labels], Self.values(labels, seed: seed &+ 8)))
        return copy
    }

    var byteCount: Int { tensors.reduce(0) { $0 + $1.values.count * 4 } }

    private static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed | 1
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int32(truncatingIfNeeded: state >> 33)) / Float(Int32.max) * 0.05
        }
    }

    /// Writes the model with ``CheckpointWriter``.
    @discardableResult
    func write(to path: String, name: String, options: WriterOptions = WriterOptions()) throws -> Manifest {
        let writer = try CheckpointWriter(destination: path, name: name, architecture: Architecture(family: .autoencoding, type: "bert"),
                                          options: options)
        for tensor in tensors {
            try tensor.values.withUnsafeBytes { try writer.addTensor(name: tensor.name, dtype: .f32, shape: tensor.shape, bytes: $0) }
        }
        return try writer.finish()
    }
}
