import Foundation
import TrainingCore
import XCTest
import ZooFormat
import ZooLoaders

/// A test with its own scratch directory, removed afterwards.
class LoaderTestCase: XCTestCase {
    var scratch = ""

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "/" + FileSystem.uniqueName("zoo-loaders-test")
        try FileSystem.makeDirectories(scratch)
    }

    override func tearDownWithError() throws {
        try FileSystem.removeTree(scratch)
    }

    /// A tiny BERT: vocabulary 40, hidden 8, 2 heads, `layers` layers, intermediate 16, 16 positions.
    static func tinyBertConfig(layers: Int = 2, labels: Int = 2, hidden: Int = 8) -> BertConfig {
        BertConfig(
            vocabSize: 40, hiddenSize: hidden, numLayers: layers, numHeads: 2, intermediateSize: 16, maxPositions: 16,
            hiddenDropout: 0, attentionDropout: 0, numLabels: labels)
    }

    /// A tensor to write: name, dtype, shape and raw little-endian bytes.
    struct RawTensor {
        var name: String
        var dtype: DType
        var shape: [Int]
        var bytes: [UInt8]

        init(_ name: String, _ dtype: DType, _ shape: [Int], bytes: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// An F32 tensor.
        init(_ name: String, _ shape: [Int], floats: [Float]) {
            self.init(name, .f32, shape, bytes: floats.withUnsafeBytes { Array($0) })
        }

        /// An F32 tensor counting 0, 1, 2... plus `offset`.
        init(_ name: String, _ shape: [Int], offset: Float = 0) {
            let count = shape.reduce(1, *)
            self.init(name, shape, floats: (0..<count).map { Float($0) + offset })
        }
    }

    /// Writes a checkpoint folder of `tensors` (in order) and opens it.
    func writeCheckpoint(_ tensors: [RawTensor], name: String = "test", at folder: String? = nil) throws -> Checkpoint {
        let path = folder ?? scratch + "/" + FileSystem.uniqueName("checkpoint")
        let writer = try CheckpointWriter(
            destination: path, name: name, architecture: Architecture(family: .other, type: "test"))
        for tensor in tensors {
            try tensor.bytes.withUnsafeBytes {
                try writer.addTensor(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, bytes: $0)
            }
        }
        try writer.finish()
        return try Checkpoint(directory: path)
    }

    /// Saves a module as a checkpoint (no parent) and opens it.
    func save(_ module: Module, name: String = "model") throws -> Checkpoint {
        let path = scratch + "/" + FileSystem.uniqueName(name)
        try ModelExporter.export(module, parent: nil, to: path, options: ExportOptions(name: name))
        return try Checkpoint(directory: path)
    }

    /// Every parameter value by name.
    static func values(_ module: Module) -> [String: Tensor] { module.stateDict() }

    /// The little-endian bytes of values.
    static func bytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    }

    static func bytes(_ values: [Double]) -> [UInt8] { bytes(values.map(\.bitPattern)) }

    /// The bundled bert-tiny Hugging Face folder: `$ZOO_BERT_TINY`, else `zoo/checkpoints/bert-tiny`.
    static func bertTinyFolder() throws -> String {
        let here: StaticString = #filePath  // Tests/ZooLoadersTests/Support/LoaderTestCase.swift
        let root = URL(fileURLWithPath: "\(here)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let path = ProcessInfo.processInfo.environment["ZOO_BERT_TINY"] ?? root + "/zoo/checkpoints/bert-tiny"
        guard FileSystem.kind(of: path + "/model.safetensors") == .regular else {
            XCTFail("\(path)/model.safetensors is missing: run `make bert-tiny` (or `make test`)")
            throw CocoaError(.fileNoSuchFile)
        }
        return path
    }
}
