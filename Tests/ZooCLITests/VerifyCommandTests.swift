import Foundation
import XCTest
import ZooFormat

final class VerifyCommandTests: CLITestCase {
    func testVerify_CleanStoredModel_Exit0() throws {
        let digest = try importBertTiny()
        let result = try run(["verify", "bert-tiny"])
        XCTAssertEqual(result.stdout, "OK \(digest): 3 shards, 4 assets verified (812.9 kB hashed)\n")
        XCTAssertEqual(result.stderr, "")
        let deep = try run(["verify", "bert-tiny", "--deep"])
        XCTAssertTrue(deep.stdout.contains("41 tensors"), deep.stdout)
    }

    func testVerify_FlippedByteInShardBlob_Exit1NamingShardAndTensor() throws {
        _ = try importBertTiny()
        let shard = try XCTUnwrap(try json(try run(["show", "bert-tiny", "--json"]).stdout)["shards"]?.arrayValue?.first)
        let shardDigest = try XCTUnwrap(shard["digest"]?.stringValue)
        let blob = storeRoot + "/blobs/sha256/" + shardDigest.dropFirst(7)
        try Fixtures.flipByte(in: blob, at: 1000)
        let before = Fixtures.listing(storeRoot)

        let shallow = try run(["verify", "bert-tiny"], expect: 1)
        XCTAssertEqual(shallow.stdout, "")
        XCTAssertTrue(shallow.stderr.hasPrefix("Error: shard 'shards/00000.bin' (\(blob), byte 0): expected \(shardDigest), found sha256:"),
                      shallow.stderr)
        XCTAssertEqual(shallow.stderr.split(separator: "\n").count, 1)

        let deep = try run(["verify", "bert-tiny", "--deep"], expect: 1)
        let lines = deep.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, deep.stderr)
        XCTAssertTrue(lines[0].hasPrefix("Error: shard 'shards/00000.bin'"), deep.stderr)
        XCTAssertTrue(lines[1].hasPrefix("Error: tensor '"), deep.stderr)
        XCTAssertTrue(lines[1].contains("(\(blob), byte "), deep.stderr)

        let report = try json(try run(["verify", "bert-tiny", "--deep", "--json"], expect: 1).stdout)
        XCTAssertEqual(report["clean"], false)
        XCTAssertEqual(report["failures"]?.arrayValue?.map { $0["kind"]?.stringValue }, ["shard", "tensor"])
        XCTAssertEqual(report["failures"]?.arrayValue?.first?["file"]?.stringValue, blob)
        XCTAssertEqual(Fixtures.listing(storeRoot), before, "verify changes nothing")
    }

    func testVerify_CheckpointFolderPath_FlippedByte_Exit1() throws {
        try Fixtures.writeCheckpoint(at: scratch + "/cp")
        try run(["verify", scratch + "/cp", "--deep"])
        try Fixtures.flipByte(in: scratch + "/cp/shards/00000.bin", at: 4)  // in h.0.bias (offset 0: bias sorts before weight)
        let result = try run(["verify", scratch + "/cp", "--deep"], expect: 1)
        XCTAssertEqual(result.stderr.split(separator: "\n").map { String($0.prefix(60)) }, [
            String("Error: shard 'shards/00000.bin' (\(scratch)/cp/shards/00000.bin, byte 0)".prefix(60)),
            String("Error: tensor 'h.0.bias' (\(scratch)/cp/shards/00000.bin, byte 0)".prefix(60)),
        ])
        XCTAssertTrue(result.stderr.contains("tensor 'h.0.bias' (\(scratch)/cp/shards/00000.bin, byte 0): expected sha256:"),
                      result.stderr)
    }

    func testVerifyAndImport_FolderWithLinkedShards_Exit1NamingTheLink() throws {
        try Fixtures.writeCheckpoint(at: scratch + "/cp")
        // The same bytes, reached through a linked shards/ folder: refused, not followed.
        XCTAssertEqual(rename(scratch + "/cp/shards", scratch + "/real-shards"), 0)
        XCTAssertEqual(symlink(scratch + "/real-shards", scratch + "/cp/shards"), 0)
        let expected = "Error: \(scratch)/cp/shards: shards is a symbolic link: a checkpoint folder holds no links"
        let verify = try run(["verify", scratch + "/cp", "--deep"], expect: 1)
        XCTAssertTrue(verify.stderr.hasPrefix(expected), verify.stderr)
        let before = Fixtures.listing(storeRoot)
        let imported = try run(["import", scratch + "/cp"], expect: 1)
        XCTAssertTrue(imported.stderr.hasPrefix(expected), imported.stderr)
        XCTAssertEqual(imported.stdout, "")
        XCTAssertEqual(try run(["list"]).stdout.contains("tiny"), false, "nothing imported")
        XCTAssertEqual(Fixtures.listing(storeRoot).filter { $0.hasPrefix("blobs/") }, before.filter { $0.hasPrefix("blobs/") })
    }

    func testVerify_ArchivePaths_PlainAndZstd() throws {
        try Fixtures.writeCheckpoint(at: scratch + "/cp")
        try run(["import", scratch + "/cp"])
        try run(["export", "tiny", "-o", scratch + "/t.zoo"])
        try run(["export", "tiny", "-o", scratch + "/t.zoo.zst"])
        try run(["verify", scratch + "/t.zoo", "--deep"])
        try run(["verify", scratch + "/t.zoo.zst", "--json"])
        // The archive stores the shard right after the manifest member: flip its last byte.
        let size = try FileSystem.fileSize(scratch + "/t.zoo")
        let data = try XCTUnwrap(FileManager.default.contents(atPath: scratch + "/t.zoo"))
        let shardStart = try XCTUnwrap(data.range(of: Data([0, 0, 0x80, 0x3f]))).lowerBound  // Float 1.0 in h.0.weight
        XCTAssertLessThan(shardStart, size)
        try Fixtures.flipByte(in: scratch + "/t.zoo", at: shardStart)
        let result = try run(["verify", scratch + "/t.zoo"], expect: 1)
        XCTAssertTrue(result.stderr.hasPrefix("Error: shard 'shards/00000.bin' (\(scratch)/t.zoo, byte "), result.stderr)
    }

    func testVerify_ArchivePaddingByteFlipped_Exit1NamingTheOffset_PlainAndZstd() throws {
        try Fixtures.writeCheckpoint(at: scratch + "/cp")
        try run(["import", scratch + "/cp"])
        try run(["export", "tiny", "-o", scratch + "/t.zoo"])
        // The manifest member's data starts at 512; the byte after it is tar padding no digest covers.
        let bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: scratch + "/t.zoo")))
        let size = try XCTUnwrap(Int(String(decoding: bytes[124..<135], as: UTF8.self).trimmingCharacters(in: .whitespaces), radix: 8))
        XCTAssertNotEqual(size % 512, 0, "the manifest is followed by padding")
        let padding = 512 + size
        try Fixtures.flipByte(in: scratch + "/t.zoo", at: padding)
        let plain = try run(["verify", scratch + "/t.zoo", "--deep"], expect: 1)
        XCTAssertEqual(plain.stderr, "Error: \(scratch)/t.zoo: byte \(padding): non-zero byte in the tar padding after \"manifest.json\"\n")

        let zstd = Process()
        zstd.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        zstd.arguments = ["-q", scratch + "/t.zoo", "-o", scratch + "/t.zoo.zst"]
        try zstd.run()
        zstd.waitUntilExit()
        XCTAssertEqual(zstd.terminationStatus, 0)
        try run(["verify", scratch + "/t.zoo.zst"])  // the fast check hashes contents only
        let deep = try run(["verify", scratch + "/t.zoo.zst", "--deep"], expect: 1)
        XCTAssertEqual(deep.stderr, "Error: \(scratch)/t.zoo.zst: byte \(padding): non-zero byte in the tar padding after \"manifest.json\"\n")
    }

    func testVerify_SafetensorsFile_Exit0AndTruncated_Exit1() throws {
        try run(["verify", try Fixtures.bertTiny() + "/model.safetensors"])
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: try Fixtures.bertTiny() + "/model.safetensors"))
        try bytes.prefix(bytes.count - 1).write(to: URL(fileURLWithPath: scratch + "/cut.safetensors"))
        let result = try run(["verify", scratch + "/cut.safetensors"], expect: 1)
        assertErrorLine(result, contains: [scratch + "/cut.safetensors"])
    }

    func testVerify_NeitherModelNorPath_Exit1() throws {
        let result = try run(["verify", "ghost"], expect: 1)
        XCTAssertEqual(result.stderr, "Error: no model ghost:latest in the store\n")
        let path = try run(["verify", scratch + "/Missing File"], expect: 1)
        XCTAssertEqual(path.stderr, "Error: \(scratch)/Missing File: no such file or directory\n")
    }

    func testVerify_MissingBlob_Exit1NamingIt() throws {
        _ = try importBertTiny()
        let asset = try XCTUnwrap(try json(try run(["show", "bert-tiny", "--json"]).stdout)["assets"]?.arrayValue?.first)
        let digest = try XCTUnwrap(asset["digest"]?.stringValue)
        try FileSystem.removeTree(storeRoot + "/blobs/sha256/" + digest.dropFirst(7))
        let result = try run(["verify", "bert-tiny"], expect: 1)
        XCTAssertEqual(result.stderr, "Error: \(asset["path"]?.stringValue ?? "?"): blob \(digest) is missing from the store\n")
    }
}
