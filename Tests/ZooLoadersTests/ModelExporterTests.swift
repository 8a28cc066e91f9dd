import Foundation
import TrainingCore
import XCTest
import ZooConverters
import ZooFormat
import ZooLoaders
import ZooStore

final class ModelExporterTests: LoaderTestCase {
    /// Fine-tunes a copy of `parent` (3-layer tiny BERT, 2 labels) into 3 classes with the first
    /// `frozenLayers` layers frozen; returns the model and its plan.
    private func fineTune(_ parent: Checkpoint, frozenLayers: Int, steps: Int = 2) throws
        -> (BertForSequenceClassification, TransferPlan)
    {
        let model = BertForSequenceClassification(config: Self.tinyBertConfig(layers: 3, labels: 3), seed: 9)
        var recipe = TransferRecipe.replaceHead(classes: 3)
        recipe.freezing = .firstLayers(frozenLayers)
        recipe.learningRate = 0.01
        recipe.epochs = steps
        try CheckpointLoader.load(parent, into: model, options: try recipe.loadOptions(for: model))
        let plan = try recipe.apply(to: model)
        let optimizer = AdamW(groups: plan.parameterGroups)
        let batch = try TokenBatch(inputIDs: [[1, 5, 7, 2], [1, 9, 3, 2], [1, 4, 4, 2]])
        for _ in 0..<steps {
            optimizer.zeroGrad()
            try crossEntropy(logits: model(batch), labels: [0, 1, 2]).backward()
            optimizer.step()
        }
        return (model, plan)
    }

    private func tinyParent(layers: Int = 3) throws -> Checkpoint {
        try save(BertForSequenceClassification(config: Self.tinyBertConfig(layers: layers), seed: 1), name: "parent")
    }

    /// Sizes of the store's blobs by digest.
    private func blobSizes(_ store: Store) throws -> [SHA256Digest: Int] {
        var sizes: [SHA256Digest: Int] = [:]
        for digest in try store.storedBlobs() { sizes[digest] = try FileSystem.fileSize(store.blobPath(digest)) }
        return sizes
    }

    func testExport_UnchangedLayers_ShareBlobsWithParentInStore() throws {
        // A target below one layer's size gives every layer a shard of its own, as BERT-base's
        // 27 MiB layers get under the canonical 32 MiB target.
        let layerShards = WriterOptions(targetShardByteCount: 1024, maxShardByteCount: 1 << 20)
        let parentPath = scratch + "/parent"
        try ModelExporter.export(BertForSequenceClassification(config: Self.tinyBertConfig(layers: 3), seed: 1), parent: nil,
                                 to: parentPath, options: ExportOptions(name: "parent", writerOptions: layerShards))
        let parent = try Checkpoint(directory: parentPath)
        let (model, plan) = try fineTune(parent, frozenLayers: 2)
        let childPath = scratch + "/child"
        let manifest = try ModelExporter.export(model, parent: parent, to: childPath, recipe: plan.json,
                                                options: ExportOptions(writerOptions: layerShards))
        let child = try Checkpoint(directory: childPath)

        // Canonical shards: embeddings | layer 0 | layer 1 | layer 2 | pooler + classifier.
        XCTAssertEqual(parent.manifest.shards.count, 5)
        XCTAssertEqual(manifest.shards.count, 5)
        let parentShards = parent.manifest.shards.map(\.digest)
        let childShards = manifest.shards.map(\.digest)
        XCTAssertEqual(Array(childShards.prefix(3)), Array(parentShards.prefix(3)), "frozen: embeddings, layers 0 and 1")
        XCTAssertNotEqual(childShards[3], parentShards[3], "layer 2 was trained")
        XCTAssertNotEqual(childShards[4], parentShards[4], "new head")

        let store = Store(root: scratch + "/store")
        try store.importCheckpoint(parent, name: try ModelReference(parsing: "parent"))
        let before = try blobSizes(store)
        try store.importCheckpoint(child, name: try ModelReference(parsing: "child"))
        let after = try blobSizes(store)
        let newBytes = after.filter { before[$0.key] == nil }.values.reduce(0, +)
        let expected = manifest.canonicalBytes.count + manifest.shards[3].length + manifest.shards[4].length
        XCTAssertEqual(newBytes, expected)
        XCTAssertEqual(after.count - before.count, 3, "manifest + 2 shards")
        let sharedBytes = manifest.shards.prefix(3).reduce(0) { $0 + $1.length }
        XCTAssertGreaterThan(sharedBytes, manifest.shards[3].length + manifest.shards[4].length, "most tensor bytes are shared")
    }

    func testExport_Lineage_ParentDigestRecipeAndTensorOrder() throws {
        let parent = try tinyParent()
        let (model, applied) = try fineTune(parent, frozenLayers: 1)
        var plan = applied
        plan.recipe.metrics = ["accuracy": 1]
        let manifest = try ModelExporter.export(
            model, parent: parent, to: scratch + "/child", recipe: plan.json, options: ExportOptions(name: "child"))
        XCTAssertEqual(manifest.name, "child")
        XCTAssertEqual(manifest.lineage, Lineage(parent: parent.digest, recipe: plan.json))
        XCTAssertEqual(manifest.lineage?.recipe?["metrics"], ["accuracy": 1.0])
        XCTAssertEqual(manifest.tensors.map(\.name), parent.manifest.tensors.map(\.name))
        XCTAssertEqual(Set(manifest.dtypes), [.f32])
        XCTAssertEqual(manifest.architecture.config["num_labels"], 3)
        XCTAssertEqual(manifest.architecture.config["id2label"], ["0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"])
        XCTAssertEqual(manifest.architecture.parameterCount, model.parameterCount)
    }

    func testExport_BertTinyParent_ConfigAssetUpdatedOtherAssetsKept() throws {
        let parentPath = scratch + "/bert-tiny"
        try SafetensorsImporter().importModel(from: try Self.bertTinyFolder(), to: parentPath)
        let parent = try Checkpoint(directory: parentPath)
        let config = try BertConfig(jsonData: Data(parent.asset(path: "config.json")))
        var labeled = config
        labeled.numLabels = 3
        let model = BertForSequenceClassification(config: labeled, seed: 2)
        let recipe = TransferRecipe.replaceHead(classes: 3)
        try CheckpointLoader.load(parent, into: model, options: try recipe.loadOptions(for: model))
        let manifest = try ModelExporter.export(
            model, parent: parent, to: scratch + "/child", recipe: try recipe.apply(to: model).json,
            options: ExportOptions(name: "bert-tiny-3", labels: ["red", "green", "blue"]))
        let child = try Checkpoint(directory: scratch + "/child")

        XCTAssertEqual(manifest.architecture.type, "bert")
        XCTAssertEqual(manifest.architecture.family, .autoencoding)
        XCTAssertEqual(manifest.architecture.config["num_labels"], 3)
        XCTAssertEqual(manifest.architecture.config["label2id"], ["red": 0, "green": 1, "blue": 2])
        XCTAssertEqual(manifest.architecture.config["hidden_size"], parent.manifest.architecture.config["hidden_size"])
        let childConfig = try BertConfig(jsonData: Data(child.asset(path: "config.json")))
        XCTAssertEqual(childConfig.numLabels, 3)
        XCTAssertEqual(childConfig.hiddenSize, config.hiddenSize)
        XCTAssertEqual(manifest.assets.map(\.path), parent.manifest.assets.map(\.path))
        for (old, new) in zip(parent.manifest.assets, manifest.assets) where old.path != ModelExporter.configAssetPath {
            XCTAssertEqual(old.digest, new.digest, old.path)
        }
        // The child loads strictly into the model its own config describes.
        let reloaded = BertForSequenceClassification(config: childConfig, seed: 3)
        XCTAssertTrue(try CheckpointLoader.load(child, into: reloaded).isComplete)
        XCTAssertEqual(reloaded.stateDict(), model.stateDict())
    }

    func testExport_NoParent_ModelOrderNoLineage() throws {
        let model = MLPClassifier(inputSize: 4, hiddenSizes: [3], classCount: 2, seed: 1)
        let manifest = try ModelExporter.export(model, parent: nil, to: scratch + "/mlp")
        XCTAssertNil(manifest.lineage)
        XCTAssertEqual(manifest.name, "model")
        XCTAssertEqual(manifest.tensorsInSourceOrder.map(\.name), model.stateDictKeys)
        XCTAssertEqual(try Checkpoint(directory: scratch + "/mlp").tensor(named: "layers.0.bias").scalars(as: Float.self),
                       model.parameter(named: "layers.0.bias")?.value.scalars)
    }

    func testExport_ParentOrderThenNewTensors_DroppedOnesGone() throws {
        let parent = try writeCheckpoint([RawTensor("b", [2]), RawTensor("gone", [1]), RawTensor("a", [2])])
        let model = Params([("a", [2]), ("c", [3]), ("b", [2])])
        let manifest = try ModelExporter.export(model, parent: parent, to: scratch + "/out")
        XCTAssertEqual(manifest.tensorsInSourceOrder.map(\.name), ["b", "a", "c"])
        XCTAssertEqual(manifest.lineage, Lineage(parent: parent.digest, recipe: nil))
    }

    func testExport_DestinationExists_ThrowsAndLeavesItAlone() throws {
        try FileSystem.makeDirectories(scratch + "/taken")
        XCTAssertThrowsError(try ModelExporter.export(Params([("a", [1])]), parent: nil, to: scratch + "/taken")) { error in
            guard case .io = (error as? FormatError)?.reason else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try FileSystem.listDirectory(scratch + "/taken"), [])
    }
}

/// A module with parameters of the given names and shapes (zeros).
final class Params: Module {
    private let entries: [(name: String, parameter: Parameter)]
    init(_ shapes: [(String, [Int])]) {
        entries = shapes.map { ($0.0, Parameter(Tensor.zeros($0.1))) }
    }
    override var namedLocalParameters: [(name: String, parameter: Parameter)] { entries }
}
