import Foundation
import XCTest
import ZooFormat

/// `zoo import` and `zoo verify` on PyTorch checkpoints (the committed torch.save fixtures in
/// Tests/Fixtures/pytorch): detected by content, imported exactly, hostile files refused with
/// one error line and the store left as it was.
final class PyTorchImportTests: CLITestCase {
    private let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/pytorch").path

    /// The fixtures' manifest entry for a valid file: name -> sha256 of each tensor, as torch computed it.
    private func expectedDigests(_ file: String) throws -> [String: String] {
        let manifest = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: fixtures + "/manifest.json"))))
        let tensors = try XCTUnwrap(manifest["valid"]?[file]?["tensors"]?.arrayValue)
        var digests: [String: String] = [:]
        for tensor in tensors {
            digests[tensor["name"]?.stringValue ?? ""] = "sha256:" + (tensor["sha256"]?.stringValue ?? "")
        }
        return digests
    }

    private func importedDigests(_ show: JSONValue) -> [String: String] {
        var digests: [String: String] = [:]
        for tensor in show["tensors"]?.arrayValue ?? [] {
            digests[tensor["name"]?.stringValue ?? ""] = tensor["digest"]?.stringValue
        }
        return digests
    }

    func testImport_PyTorchZipWithoutExtension_DetectedByContentAndExact() throws {
        try FileManager.default.copyItem(atPath: fixtures + "/views.pt", toPath: scratch + "/weights")
        let result = try run(["import", scratch + "/weights", "--name", "views"])
        XCTAssertTrue(result.stdout.hasPrefix("Imported views:latest sha256:"), result.stdout)
        let show = try json(try run(["show", "views", "--json"]).stdout)
        XCTAssertEqual(importedDigests(show), try expectedDigests("views.pt"))
        XCTAssertEqual(show["metadata"]?["source.format"], "pytorch")
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/tmp"), [], "the conversion folder is gone")
        try run(["verify", "views", "--deep"])
    }

    func testImport_TrainingCheckpoint_ImportsTheModelAndNamesItAfterTheFile() throws {
        try run(["import", fixtures + "/nested.pt"])
        let show = try json(try run(["show", "nested", "--json"]).stdout)
        XCTAssertEqual(importedDigests(show), try expectedDigests("nested.pt"))
        XCTAssertEqual(show["metadata"]?["pytorch.selected"], "model")
        XCTAssertEqual(show["metadata"]?["pytorch.skipped"], ["optimizer"])
        XCTAssertEqual(show["metadata"]?["pytorch.values"]?["epoch"], 3)
    }

    func testVerify_PyTorchFile_ConvertsAndHashes() throws {
        let result = try run(["verify", fixtures + "/module.pt", "--deep"])
        XCTAssertTrue(result.stdout.hasPrefix("OK sha256:"), result.stdout)
    }

    func testImport_HostileFiles_Exit1WithTheReasonStoreUnchanged() throws {
        try run(["import", fixtures + "/protocol4.pt", "--name", "good"])
        let before = Fixtures.listing(storeRoot)
        let cases: [(String, [String])] = [
            ("os_system.pt", ["protocol4/data.pkl byte 2: global 'os.system' is not allowed"]),
            ("builtins_eval.pt", ["protocol4/data.pkl byte 2: global 'builtins.eval' is not allowed"]),
            ("whole_module.pt", ["global 'torch.nn.modules.linear.Linear' is not allowed"]),
            ("bytes_value.pt", ["pickle opcode SHORT_BINBYTES (0x43) is not allowed"]),
            ("zip_slip.pt", ["member name \"../evil.sh\" is unsafe"]),
            ("truncated.pt", ["not a zip file: no end of central directory record"]),
            ("compressed.pt", ["is compressed (method 8)"]),
            ("big_endian.pt", ["big-endian checkpoint"]),
            ("legacy.pt", ["legacy PyTorch format (torch < 1.6) is not supported: re-save it with "
                + "torch.save(..., _use_new_zipfile_serialization=True)"]),
            ("torchscript.pt", ["a TorchScript archive (torch.jit.save) holds code"]),
        ]
        for (file, fragments) in cases {
            let result = try run(["import", fixtures + "/" + file], expect: 1)
            assertErrorLine(result, contains: [fixtures + "/" + file] + fragments)
            XCTAssertEqual(result.stdout, "", file)
            XCTAssertEqual(Fixtures.listing(storeRoot), before, "\(file): the store is unchanged, no staging left")
        }
    }
    func testImport_StrideZeroBomb_RefusedAtOnceNothingStaged() throws {
        // The issue's 610-byte-style file: {"w": one stored float viewed as (2^20, 2^30) with
        // strides (0, 0)}, 4 PiB once materialised. Written with python's zipfile, the pickle by hand.
        guard let python = ProcessInfo.processInfo.environment["ZOO_PYTHON"] else {
            throw XCTSkip("ZOO_PYTHON is not set: run `make test`")
        }
        let path = scratch + "/bomb.pt"
        let script = #"""
import sys, zipfile
pickle = (b"\x80\x02}X\x01\x00\x00\x00w"
          b"ctorch._utils\n_rebuild_tensor_v2\n"
          b"((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01tQ"
          b"K\x00(J\x00\x00\x10\x00J\x00\x00\x00@t(K\x00K\x00t\x89ccollections\nOrderedDict\n)RtR"
          b"s.")
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", pickle)
    z.writestr("archive/byteorder", "little")
    z.writestr("archive/data/0", b"\x00\x00\x80\x3f")
"""#
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertLessThan(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? .max, 1024)

        try run(["import", fixtures + "/protocol4.pt", "--name", "good"])
        let before = Fixtures.listing(storeRoot)
        let result = try run(["import", path], expect: 1)
        assertErrorLine(result, contains: [path + ": archive/data.pkl byte ", "tensor 'w' (4503599627370496 bytes",
                                           "over 67108864 bytes, the most this file may expand to (16x its size, at least 64 MiB)"])
        XCTAssertEqual(Fixtures.listing(storeRoot), before, "nothing staged, nothing stored")
    }
}
