#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
import ZooFormat

/// Bad bytes in and out of the store: imports check every input byte whatever the store holds,
/// read-outs (export, convert, embed, diff) refuse damaged blobs, and an import after a killed
/// one reclaims its staging.
final class StoreIntegrityCommandTests: CLITestCase {
    // MARK: Input

    private func copyFolder(_ source: String, to destination: String) throws {
        try FileManager.default.copyItem(atPath: source, toPath: destination)
    }

    func testImport_FlippedShardByteWithGoodBlobStored_Exit1NamingTensorAndNothingStored() throws {
        let good = scratch + "/good"
        let manifest = try Fixtures.writeCheckpoint(at: good)
        try run(["import", good, "--name", "good"])
        let bad = scratch + "/bad"
        try copyFolder(good, to: bad)
        let weight = try XCTUnwrap(manifest.tensors.first { $0.name == "h.0.weight" })
        let shardFile = bad + "/" + manifest.shards[weight.shard].path
        try Fixtures.flipByte(in: shardFile, at: weight.offset + 3)
        let before = Fixtures.listing(storeRoot)

        let result = try run(["import", bad, "--name", "bad"], expect: 1)
        assertErrorLine(result, contains: ["tensor 'h.0.weight'", "\(shardFile), byte \(weight.offset)", "inconsistent"])
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(Fixtures.listing(storeRoot), before)
        XCTAssertEqual(try run(["list"]).stdout.contains("bad"), false)
    }

    func testImport_CompressedArchiveWithLyingTensorDigest_Exit1() throws {
        let good = scratch + "/good"
        var manifest = try Fixtures.writeCheckpoint(at: good)
        try run(["import", good, "--name", "good"])
        // Same bytes, same shard digests; one tensor digest the bytes do not have.
        let index = try XCTUnwrap(manifest.tensors.firstIndex { $0.name == "h.0.bias" })
        manifest.tensors[index].digest = SHA256.digest(Array("something else".utf8))
        try FileSystem.writeAtomically(manifest.canonicalBytes, to: good + "/manifest.json")
        let archive = scratch + "/lying.zoo.zst"
        try CheckpointArchive.write(try Checkpoint(directory: good), to: archive, compression: .zstd)
        let before = Fixtures.listing(storeRoot)

        let result = try run(["import", archive, "--name", "lying"], expect: 1)
        assertErrorLine(result, contains: ["tensor 'h.0.bias'", "inconsistent"])
        XCTAssertEqual(Fixtures.listing(storeRoot), before, "nothing stored, nothing left in tmp/")

        let plain = scratch + "/lying.zoo"
        try CheckpointArchive.write(try Checkpoint(directory: good), to: plain)
        assertErrorLine(try run(["import", plain], expect: 1), contains: ["tensor 'h.0.bias'", plain])
        assertErrorLine(try run(["import", good], expect: 1), contains: ["tensor 'h.0.bias'"])
        // Converting on the way in reads the tensors, not the digests: checked all the same.
        for input in [good, plain, archive] {
            assertErrorLine(try run(["import", input, "--dtype", "f16"], expect: 1), contains: ["tensor 'h.0.bias'", "inconsistent"])
        }
        XCTAssertEqual(Fixtures.listing(storeRoot), before)
    }

    // MARK: Output

    /// Imports bert-tiny (and an F16 copy for diff), then flips one byte of a tensor in its
    /// largest shard blob. Returns that tensor's name.
    private func damagedBertTiny() throws -> String {
        _ = try importBertTiny()
        try run(["import", try Fixtures.bertTiny(), "--name", "bert-f16", "--dtype", "f16"])
        let ref = try XCTUnwrap(try FileSystem.readFile(storeRoot + "/refs/bert-tiny/latest", limit: 256))
        let digest = try XCTUnwrap(SHA256Digest(parsing: String(decoding: ref, as: UTF8.self)
            .trimmingCharacters(in: .newlines)))
        let blobs = storeRoot + "/blobs/sha256/"
        let manifest = try Manifest(parsing: try XCTUnwrap(try FileSystem.readFile(blobs + digest.hex, limit: 1 << 24)),
                                    file: "manifest")
        let largest = try XCTUnwrap(manifest.tensors.max { $0.length < $1.length })
        try Fixtures.flipByte(in: blobs + manifest.shards[largest.shard].digest.hex, at: largest.offset + largest.length / 2)
        return largest.name
    }

    func testReadOut_FlippedStoredBlobByte_EveryExportFormatRefusesWithoutOutput() throws {
        let tensor = try damagedBertTiny()
        let outputs = ["bert.zoo", "bert.zoo.zst", "bert.safetensors", "bert.gguf", "bert.npz", "folder"]
        let directory = scratch + "/out"
        try FileSystem.makeDirectories(directory)
        for name in outputs {
            var arguments = ["export", "bert-tiny", "-o", directory + "/" + name]
            if name == "folder" { arguments += ["--max-shard-size", "1MB"] }  // a sharded safetensors folder
            let result = try run(arguments, expect: 1)
            assertErrorLine(result, contains: ["tensor '\(tensor)'", "damaged", "re-import or re-pull"])
            XCTAssertEqual(result.stdout, "", name)
        }
        XCTAssertEqual(try FileSystem.listDirectory(directory), [], "no output, no partial file")
    }

    func testReadOut_FlippedStoredBlobByte_ConvertEmbedDiffRefuse() throws {
        let tensor = try damagedBertTiny()
        let fragments = ["tensor '\(tensor)'", "re-import or re-pull"]
        let before = Fixtures.listing(storeRoot + "/refs")
        assertErrorLine(try run(["convert", "bert-tiny", "--dtype", "bf16"], expect: 1), contains: fragments)
        XCTAssertEqual(Fixtures.listing(storeRoot + "/refs"), before, "no converted model stored")
        assertErrorLine(try run(["embed", "bert-tiny", "hello"], expect: 1), contains: fragments)
        assertErrorLine(try run(["diff", "bert-tiny", "bert-f16"], expect: 1), contains: fragments)
        assertErrorLine(try run(["diff", "bert-f16", "bert-tiny"], expect: 1), contains: fragments)
        // The undamaged model still reads out, and verify still reports instead of refusing.
        try run(["export", "bert-f16", "-o", scratch + "/f16.zoo"])
        let verify = try run(["verify", "bert-tiny"], expect: 1)
        XCTAssertTrue(verify.stderr.hasPrefix("Error: shard 'shards/"), verify.stderr)
    }

    // MARK: Interrupted imports

    /// A checkpoint of `megabytes` MB of U8 tensors (8 MB each).
    private func writeLarge(at path: String, megabytes: Int) throws {
        let writer = try CheckpointWriter(destination: path, name: "big",
                                          architecture: Architecture(family: .autoregressive, type: "gpt2"),
                                          options: WriterOptions(maxShardByteCount: 32 << 20))
        var chunk = [UInt8](repeating: 0, count: 8 << 20)
        for index in 0..<(megabytes / 8) {
            for i in stride(from: 0, to: chunk.count, by: 4096) { chunk[i] = UInt8(truncatingIfNeeded: index &+ i >> 12) }
            try chunk.withUnsafeBytes { try writer.addTensor(name: "h.\(index).weight", dtype: .u8, shape: [chunk.count], bytes: $0) }
        }
        _ = try writer.finish()
    }

    /// Bytes of regular files under `path`.
    private func bytes(under path: String) -> Int {
        if FileSystem.kind(of: path) == .regular { return (try? FileSystem.fileSize(path)) ?? 0 }
        return ((try? FileSystem.listDirectory(path)) ?? []).reduce(0) { $0 + bytes(under: path + "/" + $1) }
    }

    func testImport_AfterKilledImport_ReclaimsItsStagingKeepsLiveOneAndSays() throws {
        let big = scratch + "/big"
        try writeLarge(at: big, megabytes: 64)
        let small = scratch + "/small"
        try Fixtures.writeCheckpoint(at: small)
        let tmp = storeRoot + "/tmp"

        // A live staging folder whose owner (this test) holds its lock; the pid in its name is
        // a process that is gone, so only the lock keeps it.
        let reaped = Process()
        reaped.executableURL = URL(fileURLWithPath: "/bin/true")
        try reaped.run()
        reaped.waitUntilExit()
        let live = tmp + "/import.\(reaped.processIdentifier).4242"
        try FileSystem.makeDirectories(live)
        try FileSystem.writeAtomically([UInt8](repeating: 1, count: 5000), to: live + "/data")
        let ownerFD = open(live + "/.owner", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        XCTAssertGreaterThanOrEqual(ownerFD, 0)
        XCTAssertEqual(flock(ownerFD, LOCK_EX | LOCK_NB), 0)
        defer { close(ownerFD) }

        // kill -9 a real `zoo import` once it has staged a few MB.
        let process = try ZooProcess.makeProcess(["import", big, "--name", "big"], home: storeRoot, environment: [:])
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline && bytes(under: tmp) - 5000 < 4 << 20 { usleep(2000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the import ended before the kill")
        let leaked = bytes(under: tmp) - 5000
        XCTAssertGreaterThan(leaked, 0)

        let result = try run(["import", small])
        let expected = "Reclaimed \(Self.formatted(leaked)) of interrupted imports\n"
        XCTAssertTrue(result.stderr.hasPrefix(expected), "expected \(expected) in: \(result.stderr)")
        XCTAssertEqual(bytes(under: tmp), 5000, "only the live staging is left")
        XCTAssertEqual(FileSystem.kind(of: live + "/data"), .regular)

        // Nothing more to reclaim: nothing said.
        let again = try run(["import", small, "--name", "again"])
        XCTAssertFalse(again.stderr.contains("Reclaimed"), again.stderr)
        XCTAssertEqual(try run(["verify", "again", "--deep"]).status, 0)
    }

    /// What zoo prints for a byte count (decimal units, one decimal).
    private static func formatted(_ count: Int) -> String {
        var value = Double(count)
        let units = ["B", "kB", "MB", "GB"]
        var unit = 0
        while value >= 999.95 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        return unit == 0 ? "\(count) B" : "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
