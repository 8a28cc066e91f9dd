import Dispatch
import Foundation
import XCTest
import ZooFormat

/// The reader: opening folders (and hand-made regions), tensor lookup, typed views, and every
/// file problem found at open time.
final class CheckpointTests: XCTestCase {
    private var temp: TemporaryDirectory!  // set in setUp, removed in tearDown

    override func setUpWithError() throws { temp = try TemporaryDirectory("zoo-reader-tests") }
    override func tearDown() { temp.remove() }

    private let floats: [Float] = (0..<12).map { Float($0) * 0.25 - 1 }
    private let ints: [Int32] = [-7, 0, 7, .max, .min]

    /// "enc.w" F32 [3,4], "enc.y" I32 [5] in shard 0; "head.w" U8 [100] in shard 1; one asset.
    @discardableResult
    private func makeStandard(_ name: String = "ckpt") throws -> Manifest {
        let writer = try CheckpointWriter(destination: temp(name), name: "std", architecture: Architecture(family: .other, type: "t"),
                                          options: WriterOptions(maxShardByteCount: 128))
        try floats.withUnsafeBytes { try writer.addTensor(name: "enc.w", dtype: .f32, shape: [3, 4], bytes: $0) }
        try ints.withUnsafeBytes { try writer.addTensor(name: "enc.y", dtype: .i32, shape: [5], bytes: $0) }
        try [UInt8](repeating: 9, count: 100).withUnsafeBytes { try writer.addTensor(name: "head.w", dtype: .u8, shape: [100], bytes: $0) }
        try writer.addAsset(path: "config.json", bytes: Array(#"{"x":1}"#.utf8))
        let manifest = try writer.finish()
        XCTAssertEqual(manifest.tensors.map(\.shard), [0, 0, 1], "fixture layout")
        return manifest
    }

    // MARK: Opening

    func testOpen_Folder_ExposesManifestDigestAndRegions() throws {
        let manifest = try makeStandard()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        XCTAssertEqual(checkpoint.manifest, manifest)
        XCTAssertEqual(checkpoint.digest, manifest.digest)
        XCTAssertEqual(checkpoint.location, temp("ckpt"))
        XCTAssertEqual(checkpoint.tensorNames, ["enc.w", "enc.y", "head.w"])
        XCTAssertEqual(checkpoint.shardRegions, [FileRegion(path: temp("ckpt/shards/00000.bin"), offset: 0, length: 84),
                                                 FileRegion(path: temp("ckpt/shards/00001.bin"), offset: 0, length: 100)])
        XCTAssertEqual(checkpoint.assetRegions, [FileRegion(path: temp("ckpt/assets/config.json"), offset: 0, length: 7)])
    }

    func testOpen_NonCanonicalManifestFile_GivesTheCanonicalDigest() throws {
        let manifest = try makeStandard()
        // Rewrite manifest.json pretty-printed (Foundation's serializer: different spacing and escapes).
        let object = try JSONSerialization.jsonObject(with: Data(manifest.canonicalBytes))
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
        try pretty.write(to: URL(fileURLWithPath: temp("ckpt/manifest.json")))
        XCTAssertNotEqual([UInt8](pretty), manifest.canonicalBytes)
        XCTAssertEqual(try Checkpoint(directory: temp("ckpt")).digest, manifest.digest)
    }

    func testOpen_DoesNotMapOrReadShards() throws {
        // If opening mapped (or read) a shard, replacing the file by a new one (new inode, same size)
        // afterwards would not be seen. Views made after the swap must show the new bytes.
        try makeStandard()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        let shard = temp("ckpt/shards/00001.bin")
        try writeBytes([UInt8](repeating: 0x42, count: 100), to: shard + ".new")
        XCTAssertEqual(rename(shard + ".new", shard), 0)
        XCTAssertEqual(try tensorBytes(checkpoint, "head.w"), [UInt8](repeating: 0x42, count: 100))

        // Control: once mapped, the view keeps the old inode, so the check above can tell the difference.
        let mapped = try checkpoint.tensor(named: "enc.y")
        let shard0 = temp("ckpt/shards/00000.bin")
        try writeBytes([UInt8](repeating: 0x11, count: 84), to: shard0 + ".new")
        XCTAssertEqual(rename(shard0 + ".new", shard0), 0)
        XCTAssertEqual(try mapped.scalars(as: Int32.self), ints)
        XCTAssertEqual(try checkpoint.tensor(named: "enc.w").scalars(as: Float.self), floats, "mapping is cached per file")
    }

    func testOpen_MissingManifest_ThrowsMissingFile() {
        XCTAssertThrowsFormatError(try Checkpoint(directory: temp("nothing")),
                                   FormatError(file: temp("nothing/manifest.json"), reason: .missingFile("manifest.json")))
    }

    func testOpen_InvalidManifestJSON_ThrowsWithOffset() throws {
        try makeStandard()
        try writeBytes(Array(#"{"format": "zoo.checkpoint",}"#.utf8), to: temp("ckpt/manifest.json"))
        XCTAssertThrowsError(try Checkpoint(directory: temp("ckpt"))) { error in
            guard let error = error as? FormatError, case let .json(json) = error.reason else { return XCTFail("\(error)") }
            XCTAssertEqual(error.file, temp("ckpt/manifest.json"))
            XCTAssertEqual(error.offset, 28)
            XCTAssertEqual(json.reason, .unexpectedByte(UInt8(ascii: "}")))
        }
    }

    func testOpen_ManifestOver64MiB_IsRefusedWithoutReadingIt() throws {
        try FileSystem.makeDirectories(temp("big"))
        let path = temp("big/manifest.json")
        try writeBytes([UInt8(ascii: "{")], to: path)
        resizeFile(path, to: Manifest.maxByteCount + 1)  // sparse: nothing is allocated or written
        XCTAssertThrowsFormatError(try Checkpoint(directory: temp("big")), FormatError(
            file: path, reason: .manifestTooLarge(size: Manifest.maxByteCount + 1, limit: Manifest.maxByteCount)))
    }

    func testOpen_TruncatedShard_ThrowsFileSizeMismatch() throws {
        try makeStandard()
        resizeFile(temp("ckpt/shards/00001.bin"), to: 99)
        XCTAssertThrowsFormatError(try Checkpoint(directory: temp("ckpt")), FormatError(
            file: temp("ckpt/shards/00001.bin"), reason: .fileSizeMismatch(path: "shards/00001.bin", declared: 100, actual: 99)))
    }

    func testOpen_LongerShard_ThrowsFileSizeMismatch() throws {
        try makeStandard()
        resizeFile(temp("ckpt/shards/00000.bin"), to: 85)
        XCTAssertThrowsFormatError(try Checkpoint(directory: temp("ckpt")), FormatError(
            file: temp("ckpt/shards/00000.bin"), reason: .fileSizeMismatch(path: "shards/00000.bin", declared: 84, actual: 85)))
    }

    func testOpen_MissingShard_ThrowsMissingFile() throws {
        try makeStandard()
        XCTAssertEqual(unlink(temp("ckpt/shards/00001.bin")), 0)
        XCTAssertThrowsFormatError(try Checkpoint(directory: temp("ckpt")), FormatError(
            file: temp("ckpt/shards/00001.bin"), reason: .missingFile("shards/00001.bin")))
    }

    func testOpen_MissingOrResizedAsset_Throws() throws {
        try makeStandard()
        resizeFile(temp("ckpt/assets/config.json"), to: 3)
        XCTAssertThrowsFormatError(try Checkpoint(directory: temp("ckpt")), FormatError(
            file: temp("ckpt/assets/config.json"), reason: .fileSizeMismatch(path: "assets/config.json", declared: 7, actual: 3)))
        XCTAssertEqual(unlink(temp("ckpt/assets/config.json")), 0)
        XCTAssertThrowsFormatError(try Checkpoint(directory: temp("ckpt")), FormatError(
            file: temp("ckpt/assets/config.json"), reason: .missingFile("assets/config.json")))
    }

    func testOpen_ShardIsASymbolicLink_IsRefused() throws {
        try makeStandard()
        let shard = temp("ckpt/shards/00001.bin")
        XCTAssertEqual(rename(shard, temp("elsewhere.bin")), 0)
        XCTAssertEqual(symlink(temp("elsewhere.bin"), shard), 0)
        XCTAssertThrowsFormatError(try Checkpoint(directory: temp("ckpt")), FormatError(
            file: shard, reason: .symbolicLink("shards/00001.bin")))
    }

    func testOpen_ShardIsADirectory_IsRefused() throws {
        try makeStandard()
        let shard = temp("ckpt/shards/00001.bin")
        XCTAssertEqual(unlink(shard), 0)
        try FileSystem.makeDirectories(shard)
        XCTAssertThrowsFormatError(try Checkpoint(directory: temp("ckpt")), FormatError(
            file: shard, reason: .invalidPath("shards/00001.bin", why: "not a regular file")))
    }

    func testOpen_UndeclaredFiles_AreIgnored() throws {
        let manifest = try makeStandard()
        try writeBytes([1, 2, 3], to: temp("ckpt/shards/00002.bin"))
        try writeBytes([1], to: temp("ckpt/README"))
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        XCTAssertEqual(checkpoint.digest, manifest.digest)
        XCTAssertTrue(checkpoint.verify(.deep).isClean)
    }

    // MARK: Tensors

    func testTensor_UnknownName_ThrowsNoSuchTensor() throws {
        try makeStandard()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        XCTAssertThrowsFormatError(try checkpoint.tensor(named: "enc.x"),
                                   FormatError(file: temp("ckpt"), reason: .noSuchTensor("enc.x")))
        XCTAssertThrowsFormatError(try checkpoint.tensor(named: ""), FormatError(file: temp("ckpt"), reason: .noSuchTensor("")))
    }

    func testTensor_View_HasEntryAndTypedValues() throws {
        let manifest = try makeStandard()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        let w = try checkpoint.tensor(named: "enc.w")
        XCTAssertEqual(w.entry, manifest.tensors[0])
        XCTAssertEqual(w.name, "enc.w")
        XCTAssertEqual(w.dtype, .f32)
        XCTAssertEqual(w.shape, [3, 4])
        XCTAssertEqual(w.bytes.count, 48)
        XCTAssertEqual(try w.scalars(as: Float.self), floats)
        let sum = try w.withScalars(as: Float.self) { $0.reduce(0, +) }
        XCTAssertEqual(sum, floats.reduce(0, +))
        XCTAssertEqual(try checkpoint.tensor(named: "enc.y").scalars(as: Int32.self), ints)
        XCTAssertEqual(try checkpoint.tensor(named: "head.w").scalars(as: UInt8.self), [UInt8](repeating: 9, count: 100))
    }

    func testWithScalars_WrongType_ThrowsDtypeMismatch() throws {
        try makeStandard()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        let w = try checkpoint.tensor(named: "enc.w")
        XCTAssertThrowsFormatError(try w.withScalars(as: Int32.self) { $0.count }, FormatError(
            file: temp("ckpt/shards/00000.bin"), reason: .dtypeMismatch(tensor: "enc.w", dtype: .f32, requested: "Int32")))
        XCTAssertThrowsFormatError(try w.scalars(as: Double.self), FormatError(
            file: temp("ckpt/shards/00000.bin"), reason: .dtypeMismatch(tensor: "enc.w", dtype: .f32, requested: "Double")))
        XCTAssertThrowsFormatReason(try checkpoint.tensor(named: "head.w").scalars(as: Int8.self),
                                    .dtypeMismatch(tensor: "head.w", dtype: .u8, requested: "Int8"))
    }

    func testWithScalars_BodyError_IsRethrown() throws {
        struct Stop: Error {}
        try makeStandard()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        XCTAssertThrowsError(try checkpoint.tensor(named: "enc.w").withScalars(as: Float.self) { _ in throw Stop() }) { error in
            XCTAssertTrue(error is Stop, "\(error)")
        }
    }

    func testTensorsWithPrefix_ReturnsMatchesInStorageOrder() throws {
        try makeStandard()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        XCTAssertEqual(try checkpoint.tensors(withPrefix: "enc.").map(\.name), ["enc.w", "enc.y"])
        XCTAssertEqual(try checkpoint.tensors(withPrefix: "head").map(\.name), ["head.w"])
        XCTAssertEqual(try checkpoint.tensors(withPrefix: "").map(\.name), ["enc.w", "enc.y", "head.w"])
        XCTAssertEqual(try checkpoint.tensors(withPrefix: "decoder.").map(\.name), [])
        XCTAssertEqual(try checkpoint.tensors(withPrefix: "enc.").map { $0.bytes.count }, [48, 20])
    }

    func testViews_OutliveTheCheckpoint() throws {
        try makeStandard()
        var view: TensorView?
        do {
            let checkpoint = try Checkpoint(directory: temp("ckpt"))
            view = try checkpoint.tensor(named: "enc.w")
        }
        XCTAssertEqual(try view?.scalars(as: Float.self), floats)
    }

    func testTensor_ConcurrentLookups_ShareOneMapping() throws {
        try makeStandard()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        let addresses = AddressBox()
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            let view = try? checkpoint.tensor(named: i % 2 == 0 ? "enc.w" : "enc.y")
            addresses.add(view.map { Int(bitPattern: $0.bytes.baseAddress) - $0.entry.offset } ?? -1)
        }
        XCTAssertEqual(addresses.values.count, 1, "every view points into the same mapping of shard 0")
        XCTAssertFalse(addresses.values.contains(-1))
    }

    // MARK: Raw bytes

    func testShardAndAssetBytes_AreTheFiles() throws {
        try makeStandard()
        let checkpoint = try Checkpoint(directory: temp("ckpt"))
        let shard = try checkpoint.shardBytes(1)
        XCTAssertEqual(Array(shard.bytes), try readBytes(temp("ckpt/shards/00001.bin")))
        XCTAssertEqual(shard.owner.path, temp("ckpt/shards/00001.bin"))
        XCTAssertEqual(Array(try checkpoint.assetBytes(0).bytes), Array(#"{"x":1}"#.utf8))
        XCTAssertEqual(try checkpoint.asset(path: "config.json"), Array(#"{"x":1}"#.utf8))
        XCTAssertEqual(try checkpoint.asset(path: "assets/config.json"), Array(#"{"x":1}"#.utf8))
        XCTAssertThrowsFormatError(try checkpoint.asset(path: "vocab.txt"),
                                   FormatError(file: temp("ckpt"), reason: .missingFile("vocab.txt")))
    }

    // MARK: Hand-made regions (as the archive reader and the store use)

    /// Shard 0 of the standard checkpoint copied into one file after `prefix` bytes of other data.
    private func embeddedShard(prefix: Int) throws -> (Manifest, String) {
        let manifest = try makeStandard()
        let container = temp("container.bin")
        try writeBytes([UInt8](repeating: 0xEE, count: prefix) + (try readBytes(temp("ckpt/shards/00000.bin")))
                       + [UInt8](repeating: 0xEE, count: 7), to: container)
        var single = manifest
        single.tensors.removeLast()
        single.shards.removeLast()
        single.assets = []
        single.architecture.parameterCount = 17
        try single.validate(file: "m")
        return (single, container)
    }

    func testRegions_InsideALargerFile_GiveTheRightBytesAligned() throws {
        let (manifest, container) = try embeddedShard(prefix: 512)
        let checkpoint = try Checkpoint(manifest: manifest, location: "container",
                                        shards: [FileRegion(path: container, offset: 512, length: 84)], assets: [])
        let w = try checkpoint.tensor(named: "enc.w")
        XCTAssertEqual(try w.scalars(as: Float.self), floats)
        XCTAssertEqual(Int(bitPattern: w.bytes.baseAddress) % 64, 0)
        XCTAssertEqual(try checkpoint.tensor(named: "enc.y").scalars(as: Int32.self), ints)
        XCTAssertTrue(checkpoint.verify(.deep).isClean)
    }

    func testRegions_Unaligned_StillGiveCorrectScalars() throws {
        let (manifest, container) = try embeddedShard(prefix: 3)
        let checkpoint = try Checkpoint(manifest: manifest, location: "container",
                                        shards: [FileRegion(path: container, offset: 3, length: 84)], assets: [])
        XCTAssertEqual(try checkpoint.tensor(named: "enc.w").scalars(as: Float.self), floats)
        XCTAssertEqual(try checkpoint.tensor(named: "enc.y").scalars(as: Int32.self), ints)
    }

    func testRegions_WrongLengthOrPastEndOrMissing_Throw() throws {
        let (manifest, container) = try embeddedShard(prefix: 512)
        XCTAssertThrowsFormatError(
            try Checkpoint(manifest: manifest, location: "c", shards: [FileRegion(path: container, offset: 512, length: 83)], assets: []),
            FormatError(file: container, reason: .fileSizeMismatch(path: "shards/00000.bin", declared: 84, actual: 83)))
        XCTAssertThrowsFormatError(
            try Checkpoint(manifest: manifest, location: "c", shards: [FileRegion(path: container, offset: 600, length: 84)], assets: []),
            FormatError(file: container, reason: .fileSizeMismatch(path: "shards/00000.bin", declared: 84, actual: 512 + 84 + 7 - 600)))
        XCTAssertThrowsFormatError(
            try Checkpoint(manifest: manifest, location: "c", shards: [FileRegion(path: temp("nope"), offset: 0, length: 84)], assets: []),
            FormatError(file: temp("nope"), reason: .missingFile("shards/00000.bin")))
        XCTAssertThrowsFormatError(
            try Checkpoint(manifest: manifest, location: "c",
                           shards: [FileRegion(path: container, offset: Int.max - 10, length: 84)], assets: []),
            FormatError(file: container, reason: .fileSizeMismatch(path: "shards/00000.bin", declared: 84, actual: 0)))
    }
}

/// Distinct values collected from several threads.
private final class AddressBox: @unchecked Sendable {
    private let lock = NSLock()
    private var set = Set<Int>()
    func add(_ value: Int) {
        lock.lock()
        set.insert(value)
        lock.unlock()
    }
    var values: Set<Int> {
        lock.lock()
        defer { lock.unlock() }
        return set
    }
}
