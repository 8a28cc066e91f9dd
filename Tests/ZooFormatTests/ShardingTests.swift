import XCTest

@testable import ZooFormat

final class ShardingTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "zoo-sharding-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func testLayerGroup_NamesOfCommonFamilies() {
        XCTAssertEqual(WriterOptions.layerGroup(of: "bert.encoder.layer.3.attention.self.query.weight"), "bert.encoder.layer.3")
        XCTAssertEqual(WriterOptions.layerGroup(of: "h.0.attn.c_attn.weight"), "h.0")
        XCTAssertEqual(WriterOptions.layerGroup(of: "blk.11.ffn_up.weight"), "blk.11")
        XCTAssertEqual(WriterOptions.layerGroup(of: "encoder.block.0.layer.1.DenseReluDense.wi.weight"), "encoder.block.0")
        XCTAssertEqual(WriterOptions.layerGroup(of: "bert.embeddings.word_embeddings.weight"), "")
        XCTAssertEqual(WriterOptions.layerGroup(of: "classifier.weight"), "")
        XCTAssertEqual(WriterOptions.layerGroup(of: "layers.0x.weight"), "", "only all-digit components count")
    }

    /// Writes `tensors` (name, F32 element count, fill value) in the given order.
    private func write(_ name: String, _ tensors: [(String, Int, Float)], options: WriterOptions = .init()) throws -> Manifest {
        let writer = try CheckpointWriter(
            destination: root + "/" + name, name: "m", architecture: Architecture(family: .autoencoding, type: "bert"),
            options: options)
        for (tensor, count, value) in tensors {
            let values = (0..<count).map { Float($0) * 0.001 + value }
            try values.withUnsafeBytes { try writer.addTensor(name: tensor, dtype: .f32, shape: [count], bytes: $0) }
        }
        return try writer.finish()
    }

    /// A small BERT-like model: `changed` layers and the head get other values.
    private func bert(changedLayers: Set<Int> = [], headClasses: Int = 2) -> [(String, Int, Float)] {
        var tensors: [(String, Int, Float)] = [("bert.embeddings.word_embeddings.weight", 4096, 0),
                                               ("bert.embeddings.LayerNorm.weight", 16, 0)]
        for layer in 0..<12 {
            let value: Float = changedLayers.contains(layer) ? 100 : Float(layer)
            tensors.append(("bert.encoder.layer.\(layer).attention.self.query.weight", 1024, value))
            tensors.append(("bert.encoder.layer.\(layer).output.dense.weight", 1024, value))
        }
        tensors.append(("bert.pooler.dense.weight", 256, 7))
        tensors.append(("classifier.weight", 64 * headClasses, Float(headClasses)))
        return tensors
    }

    /// One layer's bytes (two 4 KiB tensors) as the target: every layer gets a shard of its own.
    private let layerSized = WriterOptions(targetShardByteCount: 8192, maxShardByteCount: 1 << 20)

    func testPacking_SameTensorsInAnotherOrder_GiveTheSameShards() throws {
        let tensors = bert()
        let forward = try write("forward", tensors, options: layerSized)
        let shuffled = try write("shuffled", tensors.reversed(), options: layerSized)
        var generator = SystemRandomNumberGenerator()
        let random = try write("random", tensors.shuffled(using: &generator), options: layerSized)
        XCTAssertEqual(forward.shards, shuffled.shards)
        XCTAssertEqual(forward.shards, random.shards)
        XCTAssertEqual(forward.tensors, shuffled.tensors, "storage order is canonical")
        XCTAssertEqual(shuffled.tensorsInSourceOrder.map(\.name), tensors.reversed().map(\.0), "the source order is kept")
        XCTAssertEqual(random.formatVersion, Manifest.sourceOrderVersion)
        // Reopened from disk, the source order survives.
        let reopened = try Checkpoint(directory: root + "/shuffled")
        XCTAssertEqual(reopened.manifest.tensorsInSourceOrder.map(\.name), tensors.reversed().map(\.0))
    }

    func testPacking_StorageOrderInput_WritesFormat10WithoutSourceOrder() throws {
        let first = try write("first", bert(), options: layerSized)
        let storageOrder = first.tensors.map { tensor in bert().first { $0.0 == tensor.name }! }
        let again = try write("again", storageOrder, options: layerSized)
        XCTAssertNil(again.sourceOrder)
        XCTAssertEqual(again.formatVersion, Manifest.baseVersion)
        XCTAssertFalse(String(decoding: again.canonicalBytes, as: UTF8.self).contains("sourceOrder"))
        XCTAssertEqual(again.shards, first.shards)
    }

    func testPacking_EmbeddingsLayersAndHeadAreKeptApart() throws {
        let manifest = try write("m", bert(), options: layerSized)
        func shard(_ name: String) -> Int { manifest.tensors.first { $0.name == name }!.shard }
        XCTAssertEqual(shard("bert.embeddings.LayerNorm.weight"), shard("bert.embeddings.word_embeddings.weight"))
        XCTAssertEqual(shard("bert.pooler.dense.weight"), shard("classifier.weight"), "pooler and classifier form the head")
        XCTAssertEqual(Set(manifest.tensors.map(\.shard)).count, 14, "embeddings, 12 layers, head")
        XCTAssertEqual(shard("bert.embeddings.word_embeddings.weight"), 0)
        XCTAssertEqual(shard("classifier.weight"), 13, "the head comes last")
        // Layer numbers compare as numbers: layer 10 after layer 9.
        XCTAssertLessThan(shard("bert.encoder.layer.9.output.dense.weight"), shard("bert.encoder.layer.10.output.dense.weight"))
        // Inside a shard: by name.
        let layer0 = manifest.tensors.filter { $0.name.hasPrefix("bert.encoder.layer.0.") }.map(\.name)
        XCTAssertEqual(layer0, ["bert.encoder.layer.0.attention.self.query.weight", "bert.encoder.layer.0.output.dense.weight"])
    }

    func testPacking_FineTuneSharesEveryUnchangedShardWithItsParent() throws {
        let parent = try write("parent", bert(), options: layerSized)
        let headOnly = try write("head", bert(headClasses: 5), options: layerSized)
        let topTwo = try write("top", bert(changedLayers: [10, 11], headClasses: 5), options: layerSized)
        func newShards(_ child: Manifest) -> [FileEntry] {
            let have = Set(parent.shards.map(\.digest))
            return child.shards.filter { !have.contains($0.digest) }
        }
        XCTAssertEqual(newShards(headOnly).count, 1, "only the head shard is new")
        XCTAssertEqual(newShards(topTwo).count, 3, "layers 10, 11 and the head")
    }

    func testPacking_SmallGroupsShareShardsUpToTheTarget() throws {
        // 2,000 tiny tensors in 500 layers: a few shards, not one per layer.
        var tensors: [(String, Int, Float)] = []
        for layer in 0..<500 {
            for part in ["q", "k", "v", "o"] { tensors.append(("model.layers.\(layer).attn.\(part).weight", 16, 1)) }
        }
        let manifest = try write("tiny", tensors)
        XCTAssertEqual(manifest.shards.count, 1)
        let small = try write("small", tensors, options: WriterOptions(targetShardByteCount: 64 * 400, maxShardByteCount: 1 << 20))
        XCTAssertEqual(small.shards.count, 5, "400 tensors of 64 bytes per 25.6 KB shard")
        XCTAssertTrue(small.shards.allSatisfy { $0.length <= 64 * 400 })
    }

    func testPacking_LargeGroupsAreCutAtTheMaximum_AndHugeTensorsStandAlone() throws {
        let options = WriterOptions(targetShardByteCount: 1024, maxShardByteCount: 4096)
        let manifest = try write("big", [
            ("layers.0.a", 512, 0), ("layers.0.b", 512, 0), ("layers.0.c", 512, 0),  // 3 x 2 KiB: cut in two
            ("layers.1.huge", 2048, 0),  // 8 KiB: alone
            ("layers.2.x", 16, 0),
        ], options: options)
        XCTAssertEqual(manifest.shards.map(\.length), [2048 + 2048, 2048, 8192, 64])
        XCTAssertTrue(manifest.shards.dropLast().allSatisfy { $0.length <= 4096 || $0.length == 8192 })
    }

    func testRoles_CommonNames() {
        func role(_ name: String) -> TensorRole { TensorKey(name: name).role }
        XCTAssertEqual(role("bert.embeddings.word_embeddings.weight"), .embedding)
        XCTAssertEqual(role("transformer.wte.weight"), .embedding)
        XCTAssertEqual(role("model.embed_tokens.weight"), .embedding)
        XCTAssertEqual(role("token_embd.weight"), .embedding)
        XCTAssertEqual(role("shared.weight"), .embedding)
        XCTAssertEqual(role("model.layers.3.self_attn.q_proj.weight"), .layer)
        XCTAssertEqual(role("blk.11.ffn_up.weight"), .layer)
        XCTAssertEqual(role("encoder.layer.3.output.dense.weight"), .layer, "output inside a layer is not the head")
        XCTAssertEqual(role("lm_head.weight"), .head)
        XCTAssertEqual(role("score.weight"), .head)
        XCTAssertEqual(role("output.weight"), .head)
        XCTAssertEqual(role("output_norm.weight"), .head)
        XCTAssertEqual(role("model.norm.weight"), .head, "the final norm comes after the last layer")
        XCTAssertEqual(role("transformer.ln_f.weight"), .head)
        XCTAssertEqual(role("cls.predictions.transform.dense.weight"), .head)
        XCTAssertEqual(role("classifier.6.weight"), .head, "a numbered head is still the head")
        XCTAssertEqual(role("fc.weight"), .head)
        XCTAssertEqual(role("conv1.weight"), .other)
    }

    func testNaturalOrder_ComparesNumbersAsNumbers() {
        let names = ["a.10.w", "a.9.w", "a.1.w", "a.01.w", "b", "a.2.x", "a.2.w"]
        let sorted = names.sorted(by: TensorKey.naturalPrecedes)
        XCTAssertEqual(sorted, ["a.01.w", "a.1.w", "a.2.w", "a.2.x", "a.9.w", "a.10.w", "b"])
    }
}
