import Foundation
import XCTest
import ZooFormat

/// `zoo import` / `zoo export` with GGUF files written by the official `gguf` package
/// ($ZOO_TEST_FIXTURES/gguf, from scripts/make_gguf_fixtures.py).
final class GGUFCommandTests: CLITestCase {
    /// `$ZOO_TEST_FIXTURES/<folder>/<name>`; fails (never skips) when the fixtures are missing.
    static func fixture(_ folder: String, _ name: String) throws -> String {
        guard let root = ProcessInfo.processInfo.environment["ZOO_TEST_FIXTURES"],
            FileSystem.kind(of: root + "/" + folder + "/manifest.json") == .regular
        else {
            XCTFail("ZOO_TEST_FIXTURES has no \(folder)/ fixtures: run `make test` (it builds the fixtures)")
            throw CocoaError(.fileNoSuchFile)
        }
        return root + "/" + folder + "/" + name
    }

    func testImportExport_OfficialFile_RoundTripsByteForByte() throws {
        let source = try Self.fixture("gguf", "all_types.gguf")
        let digest = try run(["import", source]).importedDigest
        let show = try json(try run(["show", "all_types", "--json"]).stdout)  // the file name, not general.name
        XCTAssertEqual(show["digest"]?.stringValue, digest)
        XCTAssertEqual(show["architecture"]?["type"], "llama")
        XCTAssertEqual(show["metadata"]?["source.format"], "gguf")
        let result = try run(["export", "all_types", "-o", scratch + "/out.gguf"])
        XCTAssertEqual(result.stdout, scratch + "/out.gguf\n")
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(FileManager.default.contents(atPath: scratch + "/out.gguf"), FileManager.default.contents(atPath: source))
    }

    func testImport_DetectsByContentNotName() throws {
        try FileManager.default.copyItem(atPath: try Self.fixture("gguf", "bert.gguf"), toPath: scratch + "/weights.bin")
        try run(["import", scratch + "/weights.bin"])
        let show = try json(try run(["show", "weights", "--json"]).stdout)
        XCTAssertEqual(show["architecture"]?["family"], "autoencoding")
    }

    func testImport_Q4K_Exit1NamingTypeStoreUntouched() throws {
        let result = try run(["import", try Self.fixture("gguf", "q4_k.gguf")], expect: 1)
        assertErrorLine(result, contains: ["tensor 'blk.0.attn_q.weight' has GGML type Q4_K (12), zoo supports F32, F16, BF16, Q8_0"])
        XCTAssertEqual(try run(["list", "--json"]).stdout, "[]\n")
        XCTAssertEqual((try? FileSystem.listDirectory(storeRoot + "/tmp")) ?? [], [], "no staging left")
    }

    func testImport_HostileFile_Exit1NoCrash() throws {
        // A GGUF header declaring 2^60 tensors in a 40-byte file.
        var bytes = Array("GGUF".utf8) + [3, 0, 0, 0]
        bytes += withUnsafeBytes(of: (UInt64(1) << 60).littleEndian, Array.init) + [UInt8](repeating: 0, count: 24)
        try Data(bytes).write(to: URL(fileURLWithPath: scratch + "/evil.gguf"))
        let result = try run(["import", scratch + "/evil.gguf"], expect: 1)
        assertErrorLine(result, contains: ["header declares 1152921504606846976 tensors; a 40-byte file has room for at most 0"])
    }

    func testExport_ZooModelToGGUF_WarnsAboutAssetsAndImportsBack() throws {
        _ = try importBertTiny()
        let result = try run(["export", "bert-tiny", "-o", scratch + "/bert.gguf"])
        XCTAssertTrue(result.stderr.hasPrefix("warning: gguf files hold no assets; not written: assets/"), result.stderr)
        let head = try XCTUnwrap(FileManager.default.contents(atPath: scratch + "/bert.gguf")).prefix(4)
        XCTAssertEqual(Array(head), Array("GGUF".utf8))
        try run(["import", scratch + "/bert.gguf", "--name", "back"])
        let back = try json(try run(["show", "back", "--json"]).stdout)
        let original = try json(try run(["show", "bert-tiny", "--json"]).stdout)
        XCTAssertEqual(back["tensors"]?.arrayValue?.map { $0["digest"] }, original["tensors"]?.arrayValue?.map { $0["digest"] })
        XCTAssertEqual(back["architecture"], original["architecture"], "zoo.architecture restores it")
    }

    func testExport_FormatOptionAndDtype_WritesConvertedGGUF() throws {
        try run(["import", try Self.fixture("gguf", "aligned64.gguf")])
        try run(["export", "aligned64", "-o", scratch + "/plain", "--format", "gguf", "--dtype", "f32"])
        try run(["import", scratch + "/plain", "--name", "widened"])
        let show = try json(try run(["show", "widened", "--json"]).stdout)
        XCTAssertEqual(show["tensors"]?.arrayValue?.map { $0["dtype"] }, ["F32", "F32", "F32"])
    }
}
