import Foundation
import XCTest
import ZooFormat

/// `Checkpoint.verify`: counts, and which shard, asset, tensor or padding a corruption is reported on.
final class VerificationTests: XCTestCase {
    private var temp: TemporaryDirectory!  // set in setUp, removed in tearDown

    override func setUpWithError() throws { temp = try TemporaryDirectory("zoo-verify-tests") }
    override func tearDown() { temp.remove() }

    private let config = Array(#"{"hidden_size": 4}"#.utf8)

    /// Shard 0: a [0,100) + padding [100,128) + b [128,138). Shard 1: c [0,120) + padding + d [128,158).
    @discardableResult
    private func makeTwoShards() throws -> Manifest {
        let manifest = try makeCheckpoint(
            at: temp("ckpt"),
            tensors: [TensorSpec("a", .u8, [100], seed: 1), TensorSpec("b", .u8, [10], seed: 2),
                      TensorSpec("c", .u8, [120], seed: 3), TensorSpec("d", .u8, [30], seed: 4)],
            assets: [("config.json", config)], maxShardByteCount: 256)
        XCTAssertEqual(manifest.tensors.map(\.shard), [0, 0, 1, 1], "fixture layout")
        XCTAssertEqual(manifest.tensors.map(\.offset), [0, 128, 0, 128], "fixture layout")
        XCTAssertEqual(manifest.shards.map(\.length), [138, 158], "fixture layout")
        return manifest
    }

    /// Asserts every field of a failure (its memberwise initialiser is internal).
    private func assertFailure(
        _ failure: VerificationFailure?, _ kind: VerificationFailure.Kind, _ name: String, file path: String, offset: Int,
        expected: SHA256Digest, actual: SHA256Digest?, error: String?, file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let failure else { return XCTFail("no failure", file: file, line: line) }
        XCTAssertEqual(failure.kind, kind, file: file, line: line)
        XCTAssertEqual(failure.name, name, file: file, line: line)
        XCTAssertEqual(failure.file, path, file: file, line: line)
        XCTAssertEqual(failure.offset, offset, file: file, line: line)
        XCTAssertEqual(failure.expected, expected, file: file, line: line)
        XCTAssertEqual(failure.actual, actual, file: file, line: line)
        XCTAssertEqual(failure.error, error, file: file, line: line)
    }

    private var shard0: String { temp("ckpt/shards/00000.bin") }
    private var shard1: String { temp("ckpt/shards/00001.bin") }

    // MARK: Clean

    func testVerifyFiles_CleanCheckpoint_ReportsCounts() throws {
        let manifest = try makeTwoShards()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        let report = checkpoint.verify(.files)
        XCTAssertTrue(report.isClean, "\(report.failures)")
        XCTAssertEqual(report.modelDigest, manifest.digest)
        XCTAssertEqual(report.checkedShards, 2)
        XCTAssertEqual(report.checkedAssets, 1)
        XCTAssertEqual(report.checkedTensors, 0)
        XCTAssertEqual(report.hashedByteCount, 138 + 158 + config.count)
        XCTAssertEqual(checkpoint.verify().checkedTensors, 0, "the default is the fast check")
    }

    func testVerifyDeep_CleanCheckpoint_AlsoHashesEveryTensor() throws {
        try makeTwoShards()
        let report = try Checkpoint(directory: temp("ckpt")).verify(.deep)
        XCTAssertTrue(report.isClean, "\(report.failures)")
        XCTAssertEqual(report.checkedShards, 2)
        XCTAssertEqual(report.checkedAssets, 1)
        XCTAssertEqual(report.checkedTensors, 4)
        XCTAssertEqual(report.hashedByteCount, 138 + 158 + config.count + 100 + 10 + 120 + 30)
    }

    func testVerifyTensorsOnly_SkipsFiles() throws {
        try makeTwoShards()
        let report = try Checkpoint(directory: temp("ckpt")).verify(.tensors)
        XCTAssertTrue(report.isClean)
        XCTAssertEqual([report.checkedShards, report.checkedAssets, report.checkedTensors], [0, 0, 4])
        XCTAssertEqual(report.hashedByteCount, 260)
    }

    func testVerify_Progress_AddsUpToTheHashedBytes() throws {
        try makeTwoShards()
        let total = Total()
        let report = try Checkpoint(directory: temp("ckpt")).verify(.deep) { total.add($0) }
        XCTAssertEqual(total.value, report.hashedByteCount)
    }

    func testVerify_EmptyCheckpoint_IsCleanWithZeroCounts() throws {
        try makeCheckpoint(at: temp("ckpt"), tensors: [])
        let report = try Checkpoint(directory: temp("ckpt")).verify(.deep)
        XCTAssertTrue(report.isClean)
        XCTAssertEqual([report.checkedShards, report.checkedAssets, report.checkedTensors, report.hashedByteCount], [0, 0, 0, 0])
    }

    // MARK: Corruption

    func testVerify_FlippedByteInEachOfTwoShards_NamesShardsThenTensors() throws {
        let manifest = try makeTwoShards()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        try flipByte(at: 130, of: shard0)  // inside b
        try flipByte(at: 5, of: shard1)  // inside c
        let corrupt0 = SHA256.digest(try readBytes(shard0))
        let corrupt1 = SHA256.digest(try readBytes(shard1))

        let fast = checkpoint.verify(.files)
        XCTAssertEqual(fast.failures.count, 2)
        assertFailure(fast.failures.first, .shard, "shards/00000.bin", file: shard0, offset: 0,
                      expected: manifest.shards[0].digest, actual: corrupt0, error: nil)
        assertFailure(fast.failures.last, .shard, "shards/00001.bin", file: shard1, offset: 0,
                      expected: manifest.shards[1].digest, actual: corrupt1, error: nil)
        XCTAssertEqual(fast.checkedShards, 2)

        let deep = checkpoint.verify(.deep)
        XCTAssertEqual(deep.failures.map(\.kind), [.shard, .shard, .tensor, .tensor])
        XCTAssertEqual(deep.failures.map(\.name), ["shards/00000.bin", "shards/00001.bin", "b", "c"])
        let b = try XCTUnwrap(deep.failures.first { $0.name == "b" })
        XCTAssertEqual(b.file, shard0)
        XCTAssertEqual(b.offset, 128)
        XCTAssertEqual(b.expected, manifest.tensors[1].digest)
        XCTAssertEqual(b.actual, SHA256.digest(Array(try readBytes(shard0)[128..<138])))
        let c = try XCTUnwrap(deep.failures.first { $0.name == "c" })
        XCTAssertEqual(c.file, shard1)
        XCTAssertEqual(c.offset, 0)
        XCTAssertEqual(c.description,
                       "tensor 'c' (\(shard1), byte 0): expected \(manifest.tensors[2].digest), found \(c.actual.map(\.description) ?? "?")")
    }

    func testVerify_FlippedPaddingByte_FailsTheShardAndPaddingButNoTensor() throws {
        let manifest = try makeTwoShards()
        try flipByte(at: 110, of: shard0)
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        XCTAssertEqual(checkpoint.verify(.files).failures.map(\.name), ["shards/00000.bin"])

        let deep = checkpoint.verify(.deep)
        XCTAssertEqual(deep.failures.map(\.kind), [.shard, .padding])
        assertFailure(deep.failures.last, .padding, "shards/00000.bin", file: shard0, offset: 110,
                      expected: manifest.shards[0].digest, actual: nil, error: "non-zero padding byte at shard byte 110")
        XCTAssertEqual(deep.failures.last?.description,
                       "shard 'shards/00000.bin' (\(shard0), byte 110): non-zero padding byte at shard byte 110")
        XCTAssertFalse(deep.failures.contains { $0.kind == .tensor })
    }

    func testVerify_CorruptAsset_NamesTheAsset() throws {
        let manifest = try makeTwoShards()
        try flipByte(at: 0, of: temp("ckpt/assets/config.json"))
        let report = try Checkpoint(directory: temp("ckpt")).verify(.deep)
        XCTAssertEqual(report.failures.count, 1)
        assertFailure(report.failures.first, .asset, "assets/config.json", file: temp("ckpt/assets/config.json"), offset: 0,
                      expected: manifest.assets[0].digest, actual: SHA256.digest([config[0] ^ 0xFF] + config.dropFirst()),
                      error: nil)
    }

    func testVerify_ByteFlippedInRegionOfLargerFile_ReportsFileOffset() throws {
        let manifest = try makeTwoShards()
        var single = manifest
        single.tensors.removeLast(2)
        single.shards.removeLast()
        single.assets = []
        single.architecture.parameterCount = 110
        var bytes = [UInt8](repeating: 0, count: 1024) + (try readBytes(shard0))
        bytes[1024 + 130] ^= 1
        try writeBytes(bytes, to: temp("container"))
        let checkpoint = try Checkpoint(manifest: single, location: "container",
                                        shards: [FileRegion(path: temp("container"), offset: 1024, length: 138)], assets: [])
        let report = checkpoint.verify(.deep)
        XCTAssertEqual(report.failures.map(\.name), ["shards/00000.bin", "b"])
        XCTAssertEqual(report.failures.map(\.offset), [1024, 1024 + 128])
        XCTAssertEqual(report.failures.map(\.file), [temp("container"), temp("container")])
    }

    func testVerify_ByteFlippedBeyondFirst16MiBSlice_IsFound() throws {
        var generator = SplitMix64(seed: 3)
        let big = TensorSpec("big", .u8, [17 << 20], bytes: randomBytes(17 << 20, &generator))
        try makeCheckpoint(at: temp("ckpt"), tensors: [TensorSpec("a", .u8, [3]), big])
        try flipByte(at: 64 + (17 << 20) - 1, of: shard0)
        let total = Total()
        let report = try Checkpoint(directory: temp("ckpt")).verify(.deep) { total.add($0) }
        XCTAssertEqual(report.failures.map(\.name), ["shards/00000.bin", "big"])
        XCTAssertEqual(report.failures.last?.offset, 64)
        XCTAssertEqual(total.value, report.hashedByteCount)
    }

    // MARK: Files changed after open

    func testVerify_ShardTruncatedAfterOpen_FailsWithAnErrorNotACrash() throws {
        let manifest = try makeTwoShards()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))  // opening does not map the shards
        resizeFile(shard0, to: 50)
        let report = checkpoint.verify(.deep)
        XCTAssertEqual(report.failures.map(\.name), ["shards/00000.bin", "a", "b", "shards/00000.bin"])
        XCTAssertEqual(report.failures.map(\.kind), [.shard, .tensor, .tensor, .padding])
        let message = FormatError(file: shard0, reason: .fileSizeMismatch(path: shard0, declared: 138, actual: 50)).description
        for failure in report.failures {
            XCTAssertNil(failure.actual)
            XCTAssertEqual(failure.error, message)
        }
        assertFailure(report.failures.first, .shard, "shards/00000.bin", file: shard0, offset: 0,
                      expected: manifest.shards[0].digest, actual: nil, error: message)
        XCTAssertEqual(report.failures.first?.description,
                       "shard 'shards/00000.bin' (\(shard0), byte 0): expected \(manifest.shards[0].digest), \(message)")
        XCTAssertThrowsFormatReason(try checkpoint.tensor(named: "a"),
                                    .fileSizeMismatch(path: shard0, declared: 138, actual: 50))
        XCTAssertEqual(try checkpoint.tensor(named: "c").bytes.count, 120, "the other shard still reads")
    }

    func testVerify_ShardDeletedAfterOpen_FailsWithAnIOError() throws {
        try makeTwoShards()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        XCTAssertEqual(unlink(shard1), 0)
        let report = checkpoint.verify(.files)
        XCTAssertEqual(report.failures.map(\.name), ["shards/00001.bin"])
        XCTAssertEqual(report.failures.first?.error, IOError(call: "open", path: shard1, errno: ENOENT).description)
    }

    func testDeep_ArchiveChangedAfterOpening_ReportsTheTarPaddingByte() throws {
        try makeTwoShards()
        try CheckpointArchive.write(try Checkpoint(directory: temp("ckpt")), to: temp("m.zoo"))
        let archived = try CheckpointArchive.open(temp("m.zoo"))
        XCTAssertTrue(archived.verify(.deep).isClean)
        // The first shard's 138 data bytes are followed by tar padding to the next 512-byte block.
        let padding = archived.shardRegions[0].offset + 138
        try flipByte(at: padding, of: temp("m.zoo"))
        XCTAssertTrue(archived.verify(.files).isClean, "the fast check hashes contents only")
        let report = archived.verify(.deep)
        XCTAssertEqual(report.failures.count, 1)
        assertFailure(report.failures.first, .archive, "m.zoo", file: temp("m.zoo"), offset: padding, expected: archived.digest,
                      actual: nil, error: "non-zero byte in the tar padding after \"shards/00000.bin\"")
        XCTAssertEqual(report.failures.first?.description,
                       "archive 'm.zoo' (\(temp("m.zoo")), byte \(padding)): non-zero byte in the tar padding after \"shards/00000.bin\"")
        // A folder checkpoint has no archive to walk.
        XCTAssertTrue(try Checkpoint(directory: temp("ckpt")).verify(.deep).isClean)
    }
}

/// A byte counter fed from several threads.
private final class Total: @unchecked Sendable {
    private let lock = NSLock()
    private var sum = 0
    func add(_ n: Int) {
        lock.lock()
        sum += n
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return sum
    }
}
