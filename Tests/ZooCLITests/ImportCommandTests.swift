import Foundation
import XCTest
import ZooFormat

final class ImportCommandTests: CLITestCase {
    func testImport_BertTinyFolder_PrintsNameAndDigestAndNamesItAfterTheFolder() throws {
        let result = try run(["import", try Fixtures.bertTiny()])
        XCTAssertTrue(result.stdout.hasPrefix("Imported bert-tiny:latest sha256:"), result.stdout)
        XCTAssertEqual(result.stderr, "", "no progress bar when stderr is not a terminal")
        let list = try run(["list"])
        XCTAssertTrue(list.stdout.contains("bert-tiny   latest   \(result.importedDigest.dropFirst(7).prefix(12))"), list.stdout)
    }

    func testImportExport_C64AndF4FromTheOfficialWriter_ByteIdentical() throws {
        // Files safetensors 0.8.0 wrote ($ZOO_TEST_FIXTURES/dtypes_1_1, scripts/make_fixtures.py).
        let root = try XCTUnwrap(ProcessInfo.processInfo.environment["ZOO_TEST_FIXTURES"], "run `make test` (it builds the fixtures)")
        for code in ["C64", "F4"] {
            let original = root + "/dtypes_1_1/" + code + ".safetensors"
            try run(["import", original])
            let model = code.lowercased()  // store names are lowercase
            let show = try json(try run(["show", model, "--tensors", "--json"]).stdout)
            XCTAssertEqual(show["tensors"]?.arrayValue?.first?["dtype"]?.stringValue, code)
            try run(["verify", model, "--deep"])
            try run(["export", model, "-o", scratch + "/\(code).safetensors"])
            XCTAssertEqual(FileManager.default.contents(atPath: scratch + "/\(code).safetensors"),
                           FileManager.default.contents(atPath: original), code)
            let npz = try run(["export", model, "-o", scratch + "/\(code).npz"], expect: 1)
            XCTAssertTrue(npz.stderr.contains("tensor 't' is \(code)"), npz.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/\(code).npz"))
        }
    }

    func testImport_SameModelTwice_SameDigest() throws {
        let first = try importBertTiny()
        let second = try importBertTiny(["--name", "other:v2"])
        XCTAssertEqual(first, second)
        let names = try json(try run(["list", "--json"]).stdout).arrayValue?.compactMap { $0["name"]?.stringValue }
        XCTAssertEqual(names, ["bert-tiny", "other"])
    }

    func testImport_SingleSafetensorsFile_DetectedByContent() throws {
        // No extension: detection looks at the 8-byte length and the '{' after it.
        try FileManager.default.copyItem(atPath: try Fixtures.bertTiny() + "/model.safetensors",
                                         toPath: scratch + "/weights.bin")
        let digest = try run(["import", scratch + "/weights.bin"]).stdout
        XCTAssertTrue(digest.hasPrefix("Imported weights:latest sha256:"), digest)
        let show = try json(try run(["show", "weights", "--json"]).stdout)
        XCTAssertEqual(show["name"]?.stringValue, "weights.bin", "the manifest keeps the file name")
        XCTAssertEqual(show["refs"], .array(["weights:latest"]))
    }

    func testImport_CheckpointFolder_KeepsItsDigest() throws {
        let manifest = try Fixtures.writeCheckpoint(at: scratch + "/cp", name: "My Tiny GPT")
        let result = try run(["import", scratch + "/cp"])
        XCTAssertEqual(result.stdout, "Imported my-tiny-gpt:latest \(manifest.digest)\n", "a checkpoint keeps its manifest's name")
        XCTAssertEqual(try run(["list", "--json"]).stdout.contains("\"name\": \"my-tiny-gpt\""), true)
    }

    func testImport_ZooArchives_PlainAndZstd() throws {
        let manifest = try Fixtures.writeCheckpoint(at: scratch + "/cp")
        try run(["import", scratch + "/cp", "--name", "src"])
        try run(["export", "src", "-o", scratch + "/a.zoo"])
        try run(["export", "src", "-o", scratch + "/a.zoo.zst"])
        try run(["rm", "src"])
        // Renamed: detection is by content, not extension.
        try FileManager.default.moveItem(atPath: scratch + "/a.zoo.zst", toPath: scratch + "/compressed")
        XCTAssertEqual(try run(["import", scratch + "/a.zoo", "--name", "plain"]).stdout, "Imported plain:latest \(manifest.digest)\n")
        XCTAssertEqual(try run(["import", scratch + "/compressed", "--name", "zst"]).stdout,
                       "Imported zst:latest \(manifest.digest)\n")
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/tmp"), [], "the extraction folder is gone")
        try run(["verify", "zst", "--deep"])
    }

    func testImport_StoreOption_OverridesZooHome() throws {
        try Fixtures.writeCheckpoint(at: scratch + "/cp")
        try run(["import", scratch + "/cp", "--store", scratch + "/elsewhere"])
        XCTAssertEqual(FileSystem.kind(of: storeRoot), .missing)
        XCTAssertTrue(try run(["list", "--store", scratch + "/elsewhere"]).stdout.contains("tiny"))
    }

    // MARK: Bad inputs leave the store unchanged

    func testImport_TruncatedSafetensors_Exit1NamingFileStoreUnchanged() throws {
        _ = try importBertTiny()
        let before = Fixtures.listing(storeRoot)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: try Fixtures.bertTiny() + "/model.safetensors"))
        let truncated = scratch + "/truncated.safetensors"
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: truncated))
        let result = try run(["import", truncated], expect: 1)
        assertErrorLine(result, contains: [truncated])
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(Fixtures.listing(storeRoot), before)
    }

    func testImport_ShardedFolderWithEmptyWeightMap_Exit1NotAnEmptyModel() throws {
        // bert-tiny's weights as shard 1 of 1, and an index that maps none of its tensors.
        _ = try importBertTiny()
        let before = Fixtures.listing(storeRoot)
        let folder = scratch + "/sharded"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try Fixtures.bertTiny() + "/model.safetensors",
                                         toPath: folder + "/model-00001-of-00001.safetensors")
        try Data(#"{"metadata": {}, "weight_map": {}}"#.utf8).write(to: URL(fileURLWithPath: folder + "/model.safetensors.index.json"))
        let result = try run(["import", folder], expect: 1)
        assertErrorLine(result, contains: [folder + "/model.safetensors.index.json", "\"weight_map\" is empty"])
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(Fixtures.listing(storeRoot), before)
    }

    func testImport_OnePartOfASplitGGUF_Exit1NamingThePart() throws {
        // The official gguf writer, with the keys gguf-split puts in every part.
        guard let python = ProcessInfo.processInfo.environment["ZOO_PYTHON"] else {
            throw XCTSkip("ZOO_PYTHON is not set: run `make test`")
        }
        let path = scratch + "/model-00002-of-00003.gguf"
        let script = """
            import sys, numpy as np, gguf
            w = gguf.GGUFWriter(sys.argv[1], "llama")
            w.add_uint16("split.no", 1)
            w.add_uint16("split.count", 3)
            w.add_int32("split.tensors.count", 6)
            w.add_tensor("blk.1.attn_q.weight", np.ones((2, 4), dtype=np.float32))
            w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let result = try run(["import", path], expect: 1)
        assertErrorLine(result, contains: [path + ": part 2 of a model split in 3", "llama-gguf-split --merge"])
        XCTAssertEqual(result.stdout, "")
    }

    func testImport_ArchiveWithDotDotMember_Exit1StoreUnchanged() throws {
        _ = try importBertTiny()
        let before = Fixtures.listing(storeRoot)
        let manifest = try Fixtures.writeCheckpoint(at: scratch + "/cp")
        let shard = try XCTUnwrap(FileSystem.readFile(scratch + "/cp/shards/00000.bin", limit: 1 << 20))
        let archive = Fixtures.tar([
            ("manifest.json", manifest.canonicalBytes, UInt8(ascii: "0")),
            ("../escape.bin", shard, UInt8(ascii: "0")),
        ])
        try Data(archive).write(to: URL(fileURLWithPath: scratch + "/evil.zoo"))
        let result = try run(["import", scratch + "/evil.zoo"], expect: 1)
        assertErrorLine(result, contains: [scratch + "/evil.zoo", "../escape.bin"])
        XCTAssertEqual(Fixtures.listing(storeRoot), before)
        XCTAssertEqual(FileSystem.kind(of: scratch + "/escape.bin"), .missing)
        XCTAssertEqual(FileSystem.kind(of: storeRoot + "/escape.bin"), .missing)
    }

    func testImport_ZstdArchiveWithDotDotMember_Exit1StoreUnchanged() throws {
        _ = try importBertTiny()
        let before = Fixtures.listing(storeRoot)
        let manifest = try Fixtures.writeCheckpoint(at: scratch + "/cp")
        let shard = try XCTUnwrap(FileSystem.readFile(scratch + "/cp/shards/00000.bin", limit: 1 << 20))
        let archive = Fixtures.tar([
            ("manifest.json", manifest.canonicalBytes, UInt8(ascii: "0")),
            ("shards/../../../escape.bin", shard, UInt8(ascii: "0")),
        ])
        try Data(archive).write(to: URL(fileURLWithPath: scratch + "/evil.tar"))
        let zstd = Process()
        zstd.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        zstd.arguments = ["zstd", "-q", scratch + "/evil.tar", "-o", scratch + "/evil.zoo.zst"]
        try zstd.run()
        zstd.waitUntilExit()
        XCTAssertEqual(zstd.terminationStatus, 0, "the zstd tool is needed to build this input")
        let result = try run(["import", scratch + "/evil.zoo.zst"], expect: 1)
        assertErrorLine(result, contains: [scratch + "/evil.zoo.zst", "escape.bin"])
        XCTAssertEqual(Fixtures.listing(storeRoot), before)
        XCTAssertEqual(FileSystem.kind(of: storeRoot + "/escape.bin"), .missing)
    }

    func testImport_ArchiveWithSymlinkMember_Exit1StoreUnchanged() throws {
        _ = try importBertTiny()
        let before = Fixtures.listing(storeRoot)
        let manifest = try Fixtures.writeCheckpoint(at: scratch + "/cp")
        let archive = Fixtures.tar([
            ("manifest.json", manifest.canonicalBytes, UInt8(ascii: "0")),
            ("shards/00000.bin", [], UInt8(ascii: "2")),
        ])
        try Data(archive).write(to: URL(fileURLWithPath: scratch + "/link.zoo"))
        let result = try run(["import", scratch + "/link.zoo"], expect: 1)
        assertErrorLine(result, contains: [scratch + "/link.zoo", "shards/00000.bin"])
        XCTAssertEqual(Fixtures.listing(storeRoot), before)
    }

    func testImport_CorruptShardInCheckpointFolder_Exit1NamingShardStoreUnchanged() throws {
        _ = try importBertTiny()
        let before = Fixtures.listing(storeRoot)
        try Fixtures.writeCheckpoint(at: scratch + "/cp")
        try Fixtures.flipByte(in: scratch + "/cp/shards/00000.bin", at: 10)
        let result = try run(["import", scratch + "/cp"], expect: 1)
        assertErrorLine(result, contains: ["shards/00000.bin", scratch + "/cp/shards/00000.bin", "byte 0"])
        XCTAssertEqual(Fixtures.listing(storeRoot), before)
    }

    func testImport_UnrecognisedFile_Exit1() throws {
        try Data("hello".utf8).write(to: URL(fileURLWithPath: scratch + "/notes.txt"))
        let result = try run(["import", scratch + "/notes.txt"], expect: 1)
        assertErrorLine(result, contains: [scratch + "/notes.txt", "not a .safetensors file"])
        XCTAssertEqual(FileSystem.kind(of: storeRoot + "/refs"), .missing, "nothing was created")
    }

    func testImport_MissingPath_Exit1() throws {
        let result = try run(["import", scratch + "/nope"], expect: 1)
        XCTAssertEqual(result.stderr, "Error: \(scratch)/nope: no such file or directory\n")
    }

    func testImport_InvalidName_Exit2() throws {
        try Fixtures.writeCheckpoint(at: scratch + "/cp")
        let result = try run(["import", scratch + "/cp", "--name", "Bad Name"], expect: 2)
        XCTAssertTrue(result.stderr.contains("invalid model name \"Bad Name\""), result.stderr)
        let digestName = try run(["import", scratch + "/cp", "--name", "sha256:abcd"], expect: 2)
        XCTAssertTrue(digestName.stderr.contains("--name takes NAME[:TAG], not a digest"), digestName.stderr)
        XCTAssertEqual(FileSystem.kind(of: storeRoot), .missing)
    }
}
