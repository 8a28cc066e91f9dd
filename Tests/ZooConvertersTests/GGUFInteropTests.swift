import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// Interop with the official `gguf` package (0.19.0, ggml's gguf-py): fixtures its GGUFWriter wrote
/// (scripts/make_gguf_fixtures.py) are imported and compared with what its GGUFReader reads
/// (their gguf/manifest.json, made by scripts/check_gguf.py); zoo's exports are compared byte for
/// byte with the originals and read back by the package.
final class GGUFInteropTests: XCTestCase {
    static let setupHint = "run `make test` (it builds the fixtures and sets ZOO_TEST_FIXTURES and ZOO_PYTHON)"

    static let repositoryRoot: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    struct SetupError: Error, CustomStringConvertible { var description: String }

    var fixtures = ""
    var python = ""
    var descriptions: [String: JSONValue] = [:]
    var scratch = ""

    override func setUpWithError() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let root = environment["ZOO_TEST_FIXTURES"], !root.isEmpty,
            FileManager.default.fileExists(atPath: root + "/gguf/manifest.json")
        else { throw SetupError(description: "ZOO_TEST_FIXTURES is not set or has no gguf/manifest.json: " + Self.setupHint) }
        guard let python = environment["ZOO_PYTHON"], FileManager.default.isExecutableFile(atPath: python) else {
            throw SetupError(description: "ZOO_PYTHON is not set or not executable: " + Self.setupHint)
        }
        fixtures = root + "/gguf"
        self.python = python
        let manifest = try JSONValue(parsing: try readBytes(fixtures + "/manifest.json"))
        XCTAssertEqual(manifest["gguf_version"], "0.19.0")
        descriptions = try XCTUnwrap(manifest["fixtures"]?.objectValue)
        scratch = try makeTemporaryDirectory(self)
    }

    // MARK: Import

    func testImport_AllTypes_TensorsMatchOfficialReader() throws {
        let manifest = try GGUFImporter().importFile(fixtures + "/all_types.gguf", to: scratch + "/m")
        let expected = try XCTUnwrap(descriptions["all_types.gguf"]?["tensors"]?.arrayValue)
        XCTAssertEqual(manifest.tensorsInSourceOrder.map(\.name), expected.compactMap { $0["name"]?.stringValue }, "file order kept")
        let dtypes = ["F32": "F32", "F16": "F16", "BF16": "BF16", "Q8_0": "Q8_0", "F64": "F64", "I8": "I8", "I16": "I16",
                      "I32": "I32", "I64": "I64"]
        for (tensor, description) in zip(manifest.tensorsInSourceOrder, expected) {
            XCTAssertEqual(tensor.dtype.rawValue, dtypes[description["ggml_type"]?.stringValue ?? ""], tensor.name)
            XCTAssertEqual(tensor.shape.map { JSONValue.integer(Int64($0)) }, description["shape"]?.arrayValue, tensor.name)
            XCTAssertEqual(tensor.digest.hex, description["sha256"]?.stringValue, tensor.name)
        }
        XCTAssertEqual(manifest.metadata["source.format"], "gguf")
        XCTAssertEqual(try Checkpoint(directory: scratch + "/m").verify(.deep).isClean, true)
    }

    func testImport_AllTypes_MetadataKeepsEveryKeyTypeAndValueInOrder() throws {
        try GGUFImporter().importFile(fixtures + "/all_types.gguf", to: scratch + "/m")
        // Read back from disk: the canonical manifest must carry every value exactly.
        let stored = try XCTUnwrap(try Checkpoint(directory: scratch + "/m").manifest.metadata["gguf.metadata"]?.arrayValue)
        let official = try XCTUnwrap(descriptions["all_types.gguf"]?["metadata"]?.arrayValue)
        let ours = try stored.map { try GGUFKeyValue(typedJSON: $0) }
        let theirs = try official.map { try GGUFKeyValue(typedJSON: $0) }
        XCTAssertEqual(ours.map(\.key), theirs.map(\.key))
        for (a, b) in zip(ours, theirs) { XCTAssertEqual(a, b, a.key) }
        let file = try GGUFFile(path: fixtures + "/all_types.gguf")
        XCTAssertEqual(ours, file.metadata)
        XCTAssertEqual(file.value(forKey: "zoo.test.u64"), .u64(.max))
        XCTAssertEqual(file.value(forKey: "zoo.test.nested"),
                       .array(.array, [.array(.i32, [.i32(1), .i32(2)]), .array(.i32, [.i32(3)]), .array(.i32, [.i32(4), .i32(5), .i32(6)])]))
    }

    func testImport_AllTypes_NameArchitectureAndLineage() throws {
        let manifest = try GGUFImporter().importFile(fixtures + "/all_types.gguf", to: scratch + "/m")
        XCTAssertEqual(manifest.name, "zoo-fixture")
        XCTAssertEqual(manifest.architecture.type, "llama")
        XCTAssertEqual(manifest.architecture.family, .autoregressive)
        let config = manifest.architecture.config
        XCTAssertEqual(config["block_count"], 1)
        XCTAssertEqual(config["num_hidden_layers"], 1)
        XCTAssertEqual(config["embedding_length"], 64)
        XCTAssertEqual(config["hidden_size"], 64)
        XCTAssertEqual(config["attention.head_count"], 4)
        XCTAssertEqual(config["num_key_value_heads"], 2)
        XCTAssertEqual(config["context_length"], 2048)
        XCTAssertEqual(config["attention.layer_norm_rms_epsilon"], .number(1e-5))
        XCTAssertEqual(config["rms_norm_eps"], .number(1e-5))
        XCTAssertEqual(config["rope.freq_base"], .number(10000))
        XCTAssertEqual(config["vocab_size"], 16)
        XCTAssertEqual(config["model_type"], "llama")
        XCTAssertNil(manifest.lineage?.parent)
        XCTAssertEqual(manifest.lineage?.recipe, [
            "kind": "gguf.base_model", "count": 2,
            "base_models": [
                ["name": "Base Llama", "organization": "Zoo Labs", "repo_url": "https://huggingface.co/zoo/base-llama"],
                ["name": "Helper Model"],
            ],
        ])
    }

    func testImport_Bert_FamilyAutoencoding() throws {
        let manifest = try GGUFImporter().importFile(fixtures + "/bert.gguf", to: scratch + "/b")
        XCTAssertEqual(manifest.architecture.type, "bert")
        XCTAssertEqual(manifest.architecture.family, .autoencoding)
        XCTAssertEqual(manifest.architecture.config["layer_norm_eps"], .number(1e-12))
        XCTAssertEqual(manifest.architecture.config["attention.causal"], false)
        XCTAssertNil(manifest.lineage)
    }

    func testImport_Q4K_RefusedNamingTypeNothingWritten() {
        let error = ggufError { _ = try GGUFImporter().importFile(fixtures + "/q4_k.gguf", to: scratch + "/q") }
        XCTAssertEqual(error?.reason, .unsupportedTensorType(tensor: "blk.0.attn_q.weight", type: GGMLType(rawValue: 12)))
        XCTAssertEqual(FileSystem.kind(of: scratch + "/q"), .missing)
        XCTAssertEqual(try FileSystem.listDirectory(scratch), [], "no staging folder left")
    }

    func testImport_BigEndian_Refused() {
        XCTAssertEqual(ggufError { _ = try GGUFImporter().importFile(fixtures + "/big_endian.gguf", to: scratch + "/q") }?.reason,
                       .bigEndian)
    }

    func testDequantizeQ8_0_MatchesOfficialPackage() throws {
        try GGUFImporter().importFile(fixtures + "/all_types.gguf", to: scratch + "/m")
        let checkpoint = try Checkpoint(directory: scratch + "/m")
        let view = try checkpoint.tensor(named: "blk.0.attn_v.weight")
        let values = try Q8_0Codec.decode(view)
        XCTAssertEqual(values.count, 32 * 64)
        let expected = try XCTUnwrap(descriptions["all_types.gguf"]?["tensors"]?.arrayValue?
            .first { $0["name"] == "blk.0.attn_v.weight" }?["dequantized_sha256"]?.stringValue)
        XCTAssertEqual(values.withUnsafeBytes { SHA256.digest($0) }.hex, expected)
    }

    // MARK: Export

    func testRoundTrip_ImportThenExport_ByteIdenticalToOfficialWriter() throws {
        for fixture in ["all_types.gguf", "aligned64.gguf", "bert.gguf"] {
            let folder = scratch + "/" + fixture + ".zoo"
            try GGUFImporter().importFile(fixtures + "/" + fixture, to: folder)
            let output = scratch + "/" + fixture
            let report = try GGUFExporter().export(try Checkpoint(directory: folder), to: output)
            let original = try readBytes(fixtures + "/" + fixture)
            XCTAssertEqual(report.fileSize, original.count, fixture)
            XCTAssertTrue(sameBytes(try readBytes(output), original), "\(fixture): export differs from the official writer's file")
        }
    }

    func testExport_ReadBackByOfficialPackage_MatchesFixture() throws {
        try GGUFImporter().importFile(fixtures + "/all_types.gguf", to: scratch + "/m")
        try GGUFExporter().export(try Checkpoint(directory: scratch + "/m"), to: scratch + "/out.gguf")
        let result = try checkGGUF([scratch + "/out.gguf", fixtures + "/manifest.json", "--entry", "all_types.gguf"])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testExport_ZooModel_ReadByOfficialPackageAndImportedBack() throws {
        let parent = SHA256.digest(Array("parent".utf8))
        let source = scratch + "/src"
        let writer = try CheckpointWriter(destination: source, name: "tiny-bert", architecture: Architecture(
            family: .autoencoding, type: "bert",
            config: ["hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2, "layer_norm_eps": 1e-12,
                     "id2label": ["0": "NEG", "1": "POS"]]))
        let weight = (0..<24).map { Float($0) - 12 }
        try weight.withUnsafeBytes { try writer.addTensor(name: "encoder.layer.0.weight", dtype: .f32, shape: [3, 8], bytes: $0) }
        let half = weight.map { Float16Codec.bits(from: $0) }
        try half.withUnsafeBytes { try writer.addTensor(name: "encoder.layer.0.half", dtype: .f16, shape: [2, 3, 4], bytes: $0) }
        let brain = weight.map { BFloat16Codec.bits(from: $0) }
        try brain.withUnsafeBytes { try writer.addTensor(name: "encoder.layer.0.brain", dtype: .bf16, shape: [24], bytes: $0) }
        let ids = [Int32](0..<5)
        try ids.withUnsafeBytes { try writer.addTensor(name: "position_ids", dtype: .i32, shape: [1, 5], bytes: $0) }
        try writer.addAsset(path: "config.json", bytes: Array("{}".utf8))
        writer.lineage = DTypeConverter.lineage(parent: parent, parentName: "tiny-bert-f32", target: .f16)
        let manifest = try writer.finish()

        let report = try GGUFExporter().export(try Checkpoint(directory: source), to: scratch + "/zoo.gguf")
        XCTAssertEqual(report.skippedAssets, ["assets/config.json"])
        let result = try checkGGUF([scratch + "/zoo.gguf"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let description = try JSONValue(parsing: Array(result.stdout.utf8))
        let tensors = try XCTUnwrap(description["tensors"]?.arrayValue)
        XCTAssertEqual(tensors.map { $0["name"] }, manifest.tensorsInSourceOrder.map { .string($0.name) })
        for (tensor, official) in zip(manifest.tensorsInSourceOrder, tensors) {
            XCTAssertEqual(official["sha256"]?.stringValue, tensor.digest.hex, tensor.name)
            XCTAssertEqual(official["shape"], .array(tensor.shape.map { .integer(Int64($0)) }), tensor.name)
            XCTAssertEqual(official["ne"], .array(tensor.shape.reversed().map { .integer(Int64($0)) }), tensor.name)
        }
        XCTAssertEqual(tensors.map { $0["ggml_type"] }, ["F32", "F16", "BF16", "I32"])
        let metadata = try XCTUnwrap(description["metadata"]?.arrayValue).map { try GGUFKeyValue(typedJSON: $0) }
        let byKey = Dictionary(metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(metadata.first?.key, "general.architecture")
        XCTAssertEqual(byKey["general.architecture"], .text("bert"))
        XCTAssertEqual(byKey["general.name"], .text("tiny-bert"))
        XCTAssertEqual(byKey["bert.block_count"], .u32(2))
        XCTAssertEqual(byKey["bert.embedding_length"], .u32(8))
        XCTAssertEqual(byKey["bert.attention.head_count"], .u32(2))
        XCTAssertEqual(byKey["bert.attention.layer_norm_epsilon"], .f32(1e-12))
        XCTAssertEqual(byKey["general.base_model.count"], .u32(1))
        XCTAssertEqual(byKey["general.base_model.0.name"], .text("tiny-bert-f32"))
        XCTAssertEqual(byKey["zoo.lineage.parent"], .text(parent.description))

        // Back into zoo: same tensors, architecture and lineage.
        let back = try GGUFImporter().importFile(scratch + "/zoo.gguf", to: scratch + "/back")
        XCTAssertEqual(back.tensorsInSourceOrder.map(\.digest), manifest.tensorsInSourceOrder.map(\.digest))
        XCTAssertEqual(back.tensorsInSourceOrder.map(\.shape), manifest.tensorsInSourceOrder.map(\.shape))
        XCTAssertEqual(back.architecture.family, .autoencoding)
        XCTAssertEqual(back.architecture.type, "bert")
        XCTAssertEqual(back.architecture.config, manifest.architecture.config)
        XCTAssertEqual(back.lineage, manifest.lineage)
        XCTAssertEqual(back.name, "tiny-bert")
        // And out again: the same file (zoo's keys are already there, nothing is replaced).
        try GGUFExporter().export(try Checkpoint(directory: scratch + "/back"), to: scratch + "/again.gguf")
        XCTAssertTrue(sameBytes(try readBytes(scratch + "/again.gguf"), try readBytes(scratch + "/zoo.gguf")))
    }

    // MARK: Helpers

    /// Runs scripts/check_gguf.py with the venv's python.
    func checkGGUF(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.repositoryRoot + "/scripts/check_gguf.py"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errorData = DataReader(err.fileHandleForReading)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errorData.wait(), as: UTF8.self))
    }
}

/// Reads a pipe to its end on another thread (so a chatty child never blocks on a full pipe).
final class DataReader: @unchecked Sendable {
    private var data = Data()
    private let group = DispatchGroup()

    init(_ handle: FileHandle) {
        group.enter()
        DispatchQueue.global().async {
            self.data = handle.readDataToEndOfFile()
            self.group.leave()
        }
    }

    func wait() -> Data {
        group.wait()
        return data
    }
}
