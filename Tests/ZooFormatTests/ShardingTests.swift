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

    /// Writes a small 4-layer model; `changed` layers and the head get different bytes.
    private func writeModel(_ name: String, changedLayers: Set<Int>, headClasses: Int) throws -> Manifest {
        let writer = try CheckpointWriter(
            destination: root + "/" + name, name: name, architecture: Architecture(family: .autoencoding, type: "bert"))
        func add(_ tensor: String, _ count: Int, seed: Float) throws {
            let values = (0..<count).map { Float($0) * 0.001 + seed }
            try values.withUnsafeBytes { try writer.addTensor(name: tensor, dtype: .f32, shape: [count], bytes: $0) }
        }
        try add("bert.embeddings.word_embeddings.weight", 4096, seed: 0)
        for layer in 0..<4 {
            let seed: Float = changedLayers.contains(layer) ? 100 : Float(layer)
            try add("bert.encoder.layer.\(layer).attention.self.query.weight", 1024, seed: seed)
            try add("bert.encoder.layer.\(layer).output.dense.weight", 1024, seed: seed)
        }
        try add("bert.pooler.dense.weight", 256, seed: 7)
        try add("classifier.weight", 64 * headClasses, seed: Float(headClasses))
        return try writer.finish()
    }

    func testByLayer_FineTuneSharesEveryUnchangedLayerShardWithItsParent() throws {
        let parent = try writeModel("parent", changedLayers: [], headClasses: 2)
        let child = try writeModel("child", changedLayers: [3], headClasses: 5)
        // embeddings, 4 layers, then pooler + head (a new shard: the group changes back to "").
        XCTAssertEqual(parent.shards.count, 6)
        XCTAssertEqual(Set(parent.tensors.filter { $0.name.contains("layer.2.") }.map(\.shard)).count, 1)
        let shared = Set(parent.shards.map(\.digest)).intersection(child.shards.map(\.digest))
        XCTAssertEqual(shared.count, 4, "embeddings and layers 0-2 are byte-identical shards")
        XCTAssertFalse(shared.contains(child.shards[4].digest), "layer 3 changed")
        XCTAssertFalse(shared.contains(child.shards[5].digest), "the new head changed")
    }

    func testBySize_IgnoresLayers() throws {
        let writer = try CheckpointWriter(
            destination: root + "/m", name: "m", architecture: Architecture(family: .other, type: "x"),
            options: WriterOptions(sharding: .bySize))
        let values = [Float](repeating: 1, count: 16)
        for name in ["a.0.w", "a.1.w", "head.w"] {
            try values.withUnsafeBytes { try writer.addTensor(name: name, dtype: .f32, shape: [16], bytes: $0) }
        }
        XCTAssertEqual(try writer.finish().shards.count, 1)
    }
}
