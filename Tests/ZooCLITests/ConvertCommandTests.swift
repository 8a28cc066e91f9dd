import Foundation
import XCTest
import ZooFormat

final class ConvertCommandTests: CLITestCase {
    /// Imports a checkpoint with an F32 matrix (one value too large for F16), a BF16 vector and an
    /// I32 vector, named `mixed`; returns its digest.
    func importMixed() throws -> String {
        let writer = try CheckpointWriter(destination: scratch + "/mixed", name: "mixed",
                                          architecture: Architecture(family: .autoregressive, type: "gpt2"))
        let weights: [Float] = [1, -2, 1e6, 0.5]
        try weights.withUnsafeBytes { try writer.addTensor(name: "w", dtype: .f32, shape: [2, 2], bytes: $0) }
        let brain: [UInt16] = [0x3F80, 0xC000]  // 1, -2
        try brain.withUnsafeBytes { try writer.addTensor(name: "b", dtype: .bf16, shape: [2], bytes: $0) }
        let ids: [Int32] = [4, 5]
        try ids.withUnsafeBytes { try writer.addTensor(name: "ids", dtype: .i32, shape: [2], bytes: $0) }
        try writer.addAsset(path: "config.json", bytes: Array("{\"model_type\":\"gpt2\"}".utf8))
        try writer.finish()
        return try run(["import", scratch + "/mixed"]).importedDigest
    }

    func testConvert_ToF16_NewModelWithLineageAndOverflowWarning() throws {
        let parent = try importMixed()
        let result = try run(["convert", "mixed", "--dtype", "f16"])
        let digest = result.stdout.trimmingCharacters(in: .newlines)
        XCTAssertTrue(digest.hasPrefix("sha256:") && digest.count == 71, result.stdout)
        XCTAssertEqual(result.stderr, "warning: tensor w: 1 value overflow F16 (max |x| 1.0e+06)\n")
        let show = try json(try run(["show", "mixed-f16", "--json"]).stdout)
        XCTAssertEqual(show["digest"]?.stringValue, digest)
        let tensors = try XCTUnwrap(show["tensors"]?.arrayValue)
        XCTAssertEqual(tensors.map { $0["dtype"] }, ["F16", "F16", "I32"])
        XCTAssertEqual(show["lineage"]?["parent"]?.stringValue, parent)
        XCTAssertEqual(show["lineage"]?["recipe"], ["kind": "convert", "dtype": "F16", "parentName": "mixed:latest"])
        // The original is untouched, and the new model verifies deeply.
        XCTAssertEqual(try json(try run(["show", "mixed", "--json"]).stdout)["digest"]?.stringValue, parent)
        try run(["verify", "mixed-f16", "--deep"])
    }

    func testConvert_NameAndTag_StoresThere() throws {
        _ = try importMixed()
        try run(["convert", "mixed", "--dtype", "bf16", "--name", "mixed-half:v2"])
        let show = try json(try run(["show", "mixed-half:v2", "--json"]).stdout)
        XCTAssertEqual(show["tensors"]?.arrayValue?.map { $0["dtype"] }, ["BF16", "BF16", "I32"])
        XCTAssertEqual(show["lineage"]?["recipe"]?["dtype"], "BF16")
    }

    func testConvert_JSON_NamesTheNewModelAndItsParent() throws {
        _ = try importMixed()
        let parent = try json(try run(["show", "mixed", "--json"]).stdout)["digest"]
        let report = try json(try run(["convert", "mixed", "--dtype", "bf16", "--json"]).stdout)
        XCTAssertEqual(report["name"], "mixed-bf16")
        XCTAssertEqual(report["tag"], "latest")
        XCTAssertEqual(report["parent"], parent)
        XCTAssertEqual(report["dtype"], "BF16")
        XCTAssertEqual(try json(try run(["show", "mixed-bf16", "--json"]).stdout)["digest"], report["digest"])
    }

    func testConvert_ByDigest_DefaultNameFromManifest() throws {
        let digest = try importMixed()
        try run(["convert", digest, "--dtype", "f32"])
        let show = try json(try run(["show", "mixed-f32", "--json"]).stdout)
        XCTAssertEqual(show["tensors"]?.arrayValue?.map { $0["dtype"] }, ["F32", "F32", "I32"])
        XCTAssertEqual(show["lineage"]?["recipe"]?["parentName"], "mixed")
    }

    func testConvert_BadDtypeOrDigestName_UsageErrors() throws {
        _ = try importMixed()
        let bad = try run(["convert", "mixed", "--dtype", "f64"], expect: 2)
        XCTAssertTrue(bad.stderr.contains("Please provide one of 'f16', 'bf16' or 'f32'"), bad.stderr)
        let digestName = try run(["convert", "mixed", "--dtype", "f16", "--name", "sha256:" + String(repeating: "a", count: 64)], expect: 2)
        XCTAssertTrue(digestName.stderr.contains("--name takes NAME[:TAG], not a digest"), digestName.stderr)
        let missing = try run(["convert", "nothing", "--dtype", "f16"], expect: 1)
        XCTAssertTrue(missing.stderr.hasPrefix("Error: "), missing.stderr)
    }

    func testImport_WithDtype_ConvertsAndRecordsUnconvertedParent() throws {
        try Fixtures.writeCheckpoint(at: scratch + "/tiny")
        let result = try run(["import", scratch + "/tiny", "--dtype", "bf16", "--name", "tiny-bf16"])
        XCTAssertEqual(result.stderr, "")
        let show = try json(try run(["show", "tiny-bf16", "--json"]).stdout)
        XCTAssertEqual(show["tensors"]?.arrayValue?.map { $0["dtype"] }, ["BF16", "I32"])
        let original = try Checkpoint(directory: scratch + "/tiny").digest.description
        XCTAssertEqual(show["lineage"]?["parent"]?.stringValue, original, "the unconverted checkpoint's digest")
        XCTAssertEqual(show["lineage"]?["recipe"]?["kind"], "convert")
    }
}
