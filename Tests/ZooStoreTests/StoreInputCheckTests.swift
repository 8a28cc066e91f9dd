#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
import ZooFormat
import ZooStore

/// Imports check every input byte against the manifest (shard digests, tensor digests, zero
/// padding), whatever the store already holds; stored blobs are re-hashed before they are
/// handed out.
final class StoreInputCheckTests: StoreTestCase {
    /// A good checkpoint at `good`, already imported as `good:latest`, and a copy of it at
    /// `bad` for a test to damage.
    private func goodImportedAndCopy() throws -> (manifest: Manifest, bad: String) {
        let good = scratch + "/good"
        let manifest = try TestCheckpoints.write(at: good, seed: 3)
        try store.importCheckpoint(try Checkpoint(directory: good), name: try ModelReference(parsing: "good"))
        let bad = scratch + "/bad"
        try copyFolder(good, to: bad)
        return (manifest, bad)
    }

    private func copyFolder(_ source: String, to destination: String) throws {
        try FileSystem.makeDirectories(destination)
        for name in try FileSystem.listDirectory(source) {
            let from = source + "/" + name, to = destination + "/" + name
            if FileSystem.kind(of: from) == .directory {
                try copyFolder(from, to: to)
            } else {
                let bytes = try XCTUnwrap(try FileSystem.readFile(from, limit: 1 << 30))
                try FileSystem.writeAtomically(bytes, to: to)
            }
        }
    }

    private func flipByte(in path: String, at offset: Int) throws {
        var bytes = try XCTUnwrap(try FileSystem.readFile(path, limit: 1 << 30))
        bytes[offset] ^= 0x5a
        try FileSystem.writeAtomically(bytes, to: path)
    }

    private func tensor(_ manifest: Manifest, _ name: String) throws -> TensorEntry {
        try XCTUnwrap(manifest.tensors.first { $0.name == name })
    }

    // MARK: Items 2 and 7: the input is checked whatever the store holds

    func testImport_FlippedTensorByteWithGoodBlobStored_RefusedNamingTensorAndOffset() throws {
        let (manifest, bad) = try goodImportedAndCopy()
        let bias = try tensor(manifest, "encoder.bias")
        let shardFile = bad + "/" + manifest.shards[bias.shard].path
        try flipByte(in: shardFile, at: bias.offset + 5)
        let before = TestCheckpoints.listing(store.root)

        XCTAssertThrowsError(try store.importCheckpoint(try Checkpoint(directory: bad), name: try ModelReference(parsing: "bad"))) {
            error in
            guard case let .inconsistentInput(file, name, offset, expected, actual)? = (error as? StoreError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(file, shardFile)
            XCTAssertEqual(name, "encoder.bias")
            XCTAssertEqual(offset, bias.offset)
            XCTAssertEqual(expected, bias.digest)
            XCTAssertNotEqual(actual, bias.digest)
            XCTAssertTrue("\(error)".contains("tensor 'encoder.bias'"), "\(error)")
            XCTAssertTrue("\(error)".contains("\(shardFile), byte \(bias.offset)"), "\(error)")
        }
        XCTAssertEqual(TestCheckpoints.listing(store.root), before, "nothing changed in the store")
        XCTAssertThrowsError(try store.resolve(try ModelReference(parsing: "bad")))
    }

    func testImport_ManifestLiesAboutTensorDigest_ShardDigestRight_Refused() throws {
        let good = scratch + "/good"
        var manifest = try TestCheckpoints.write(at: good, seed: 4)
        let index = try XCTUnwrap(manifest.tensors.firstIndex { $0.name == "encoder.weight" })
        let declared = SHA256.digest(Array("not these bytes".utf8))
        manifest.tensors[index].digest = declared
        try FileSystem.writeAtomically(manifest.canonicalBytes, to: good + "/manifest.json")

        XCTAssertThrowsError(try store.importCheckpoint(try Checkpoint(directory: good))) { error in
            guard case let .inconsistentInput(_, name, offset, expected, _)? = (error as? StoreError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(name, "encoder.weight")
            XCTAssertEqual(offset, manifest.tensors[index].offset)
            XCTAssertEqual(expected, declared)
        }
        XCTAssertEqual(try store.refs(), [])
        XCTAssertEqual(try store.storedBlobs(), [], "no blob of it entered the store")
    }

    func testImport_ManifestLiesAboutTensorDigest_BlobsAlreadyStored_Refused() throws {
        let (original, bad) = try goodImportedAndCopy()
        var manifest = original
        manifest.tensors[0].digest = SHA256.digest(Array("other".utf8))
        try FileSystem.writeAtomically(manifest.canonicalBytes, to: bad + "/manifest.json")
        let blobsBefore = try store.storedBlobs()

        XCTAssertThrowsError(try store.importCheckpoint(try Checkpoint(directory: bad), name: try ModelReference(parsing: "bad"))) {
            error in
            guard case .inconsistentInput? = (error as? StoreError)?.reason else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try store.storedBlobs(), blobsBefore)
        XCTAssertEqual(try store.refs().map(\.name), ["good"])
    }

    /// A pull checks blob digests as the bytes stream; a registry could still serve the right
    /// shards under a manifest whose tensor digests lie. The commit checks them, as an import does.
    func testTransferCommit_ManifestLiesAboutTensorDigest_RefusedAndNothingNamed() throws {
        let (original, _) = try goodImportedAndCopy()
        var manifest = original
        manifest.tensors[0].digest = SHA256.digest(Array("other".utf8))
        let session = try store.beginTransfer(manifestBytes: manifest.canonicalBytes)
        defer { session.end() }
        XCTAssertThrowsError(try session.commit(as: try ModelReference(parsing: "pulled"))) { error in
            guard case let .inconsistentInput(_, tensor, _, expected, _)? = (error as? StoreError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(tensor, manifest.tensors[0].name)
            XCTAssertEqual(expected, manifest.tensors[0].digest)
        }
        XCTAssertEqual(try store.refs().map(\.name), ["good"])
        XCTAssertEqual(FileSystem.kind(of: store.blobPath(manifest.digest)), .missing, "no manifest blob written")

        let honest = try store.beginTransfer(manifestBytes: original.canonicalBytes)
        defer { honest.end() }
        XCTAssertEqual(try honest.commit(as: try ModelReference(parsing: "pulled")), original.digest)
    }

    func testImport_LargerThanTheFreeSpace_RefusedBeforeCopyingAndNothingLeft() throws {
        // The store on a 1 MiB tmpfs (mounting needs root, as CI has; skipped elsewhere), a 2 MiB model.
        let mountPoint = scratch + "/small"
        try FileSystem.makeDirectories(mountPoint)
        guard Self.succeeds("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]) else {
            throw XCTSkip("cannot mount a tmpfs here (not root)")
        }
        defer { _ = Self.succeeds("/bin/umount", [mountPoint]) }
        let small = Store(root: mountPoint + "/store")
        let source = scratch + "/big"
        try TestCheckpoints.writeLarge(at: source, megabytes: 2, tensorMegabytes: 1, shardMegabytes: 1)
        XCTAssertThrowsError(try small.importCheckpoint(try Checkpoint(directory: source), name: try ModelReference(parsing: "big"))) {
            error in
            guard case let .format(format)? = (error as? StoreError)?.reason,
                case let .insufficientSpace(needed, available) = format.reason
            else { return XCTFail("expected insufficientSpace, got \(error)") }
            XCTAssertGreaterThanOrEqual(needed, 2 << 20)
            XCTAssertLessThanOrEqual(available, 1 << 20)
        }
        XCTAssertEqual(try small.refs(), [])
        XCTAssertEqual(try small.storedBlobs(), [])
        XCTAssertEqual(try FileSystem.listDirectory(small.tmpDirectory), [], "the staging folder is removed")
    }

    private static func succeeds(_ command: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    func testImport_NonZeroPaddingWithGoodBlobStored_RefusedNamingOffset() throws {
        let (manifest, bad) = try goodImportedAndCopy()
        // The layout rule puts each tensor at the 64-byte aligned end of the previous one.
        let ordered = manifest.tensors.filter { $0.shard == 0 }.sorted { $0.offset < $1.offset }
        let gap = try XCTUnwrap(zip(ordered, ordered.dropFirst()).first { $0.offset + $0.length < $1.offset })
        let paddingByte = gap.0.offset + gap.0.length + 3
        let shardFile = bad + "/" + manifest.shards[0].path
        try flipByte(in: shardFile, at: paddingByte)

        XCTAssertThrowsError(try store.importCheckpoint(try Checkpoint(directory: bad), name: try ModelReference(parsing: "bad"))) {
            error in
            XCTAssertEqual((error as? StoreError)?.reason,
                           .nonZeroPadding(file: shardFile, shard: manifest.shards[0].path, offset: paddingByte))
        }
        XCTAssertThrowsError(try store.resolve(try ModelReference(parsing: "bad")))
    }

    func testImport_FlippedAssetByteWithGoodBlobStored_Refused() throws {
        let (manifest, bad) = try goodImportedAndCopy()
        let asset = try XCTUnwrap(manifest.assets.first)
        try flipByte(in: bad + "/" + asset.path, at: 1)

        XCTAssertThrowsError(try store.importCheckpoint(try Checkpoint(directory: bad), name: try ModelReference(parsing: "bad"))) {
            error in
            guard case let .blobDigestMismatch(name, file, offset, expected, _)? = (error as? StoreError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(name, asset.path)
            XCTAssertEqual(file, bad + "/" + asset.path)
            XCTAssertEqual(offset, 0)
            XCTAssertEqual(expected, asset.digest)
        }
    }

    func testImport_ArchiveWithFlippedTensorByteWithGoodBlobStored_RefusedAtArchiveOffset() throws {
        let (manifest, _) = try goodImportedAndCopy()
        let archive = scratch + "/good.zoo"
        try CheckpointArchive.write(try Checkpoint(directory: scratch + "/good"), to: archive)
        let opened = try CheckpointArchive.open(archive)
        let weight = try tensor(manifest, "encoder.weight")
        let region = opened.shardRegions[weight.shard]
        try flipByte(in: archive, at: region.offset + weight.offset + 17)

        XCTAssertThrowsError(try store.importCheckpoint(try CheckpointArchive.open(archive), name: try ModelReference(parsing: "z"))) {
            error in
            guard case let .inconsistentInput(file, name, offset, _, _)? = (error as? StoreError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(file, archive)
            XCTAssertEqual(name, "encoder.weight")
            XCTAssertEqual(offset, region.offset + weight.offset)
        }
    }

    func testImportStaged_Untrusted_LyingTensorDigest_RefusedAndFolderConsumed() throws {
        let (original, _) = try goodImportedAndCopy()
        let staging = try store.makeStagingDirectory(prefix: "extract")
        defer { staging.remove() }
        let folder = staging.path + "/checkpoint"
        try copyFolder(scratch + "/good", to: folder)
        var manifest = original
        manifest.tensors[1].digest = SHA256.digest(Array("lie".utf8))
        try FileSystem.writeAtomically(manifest.canonicalBytes, to: folder + "/manifest.json")

        XCTAssertThrowsError(try store.importStaged(directory: folder, name: try ModelReference(parsing: "x"))) { error in
            guard case let .inconsistentInput(file, name, _, _, _)? = (error as? StoreError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(file, folder + "/" + manifest.shards[manifest.tensors[1].shard].path)
            XCTAssertEqual(name, manifest.tensors[1].name)
        }
        XCTAssertEqual(FileSystem.kind(of: folder), .missing)
        XCTAssertEqual(try store.refs().map(\.name), ["good"])
    }

    func testImport_SecondShardRepeatsFirstDigestButNotItsBytes_Refused() throws {
        // Two shards, one tensor each; the manifest says both shards hold shard 0's bytes.
        let path = scratch + "/two"
        let writer = try CheckpointWriter(destination: path, name: "two",
                                          architecture: Architecture(family: .autoregressive, type: "gpt2"),
                                          options: WriterOptions(maxShardByteCount: 4096))
        let a = [UInt8](repeating: 1, count: 4096), b = [UInt8](repeating: 2, count: 4096)
        try a.withUnsafeBytes { try writer.addTensor(name: "h.0.weight", dtype: .u8, shape: [4096], bytes: $0) }
        try b.withUnsafeBytes { try writer.addTensor(name: "h.1.weight", dtype: .u8, shape: [4096], bytes: $0) }
        var manifest = try writer.finish()
        XCTAssertEqual(manifest.shards.count, 2)
        manifest.shards[1].digest = manifest.shards[0].digest
        try FileSystem.writeAtomically(manifest.canonicalBytes, to: path + "/manifest.json")

        XCTAssertThrowsError(try store.importCheckpoint(try Checkpoint(directory: path))) { error in
            guard case let .blobDigestMismatch(name, _, _, _, _)? = (error as? StoreError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(name, manifest.shards[1].path)
        }
        XCTAssertEqual(try store.refs(), [])
    }

    func testImport_GoodInputWithBlobsStored_SucceedsAndReportsEveryByte() throws {
        let (manifest, copy) = try goodImportedAndCopy()
        let counted = ByteCounter()
        let digest = try store.importCheckpoint(try Checkpoint(directory: copy), name: try ModelReference(parsing: "again"),
                                                progress: { counted.add($0) })
        XCTAssertEqual(digest, manifest.digest)
        XCTAssertEqual(counted.total, manifest.totalByteCount + manifest.canonicalBytes.count)
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: "again")), manifest.digest)
    }

    // MARK: Item 10: damaged stored blobs are not handed out

    func testCheckpointFor_FlippedStoredBlobByte_ThrowsDamagedBlobNamingTensor() throws {
        let (manifest, _) = try goodImportedAndCopy()
        let weight = try tensor(manifest, "encoder.weight")
        let blob = store.blobPath(manifest.shards[weight.shard].digest)
        chmod(blob, 0o644)
        try flipByte(in: blob, at: weight.offset + 9)
        let reference = try ModelReference(parsing: "good")

        XCTAssertThrowsError(try store.checkpoint(for: reference)) { error in
            guard case let .damagedBlob(item, digest, file, offset, expected, actual)? = (error as? StoreError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(item, "tensor 'encoder.weight'")
            XCTAssertEqual(digest, manifest.shards[weight.shard].digest)
            XCTAssertEqual(file, blob)
            XCTAssertEqual(offset, weight.offset)
            XCTAssertEqual(expected, weight.digest)
            XCTAssertNotNil(actual)
            XCTAssertNotEqual(actual, weight.digest)
            XCTAssertTrue("\(error)".hasSuffix("run zoo verify, then re-import or re-pull the model"), "\(error)")
            XCTAssertTrue("\(error)".hasPrefix("tensor 'encoder.weight': the store's blob"), "\(error)")
        }
        // Without checks it opens (verify reports the damage itself).
        let opened = try store.checkpoint(for: reference, verifying: [])
        XCTAssertFalse(opened.verify(.files).isClean)
        XCTAssertFalse(try store.verify(reference).isClean)
    }

    func testCheckpointFor_FlippedStoredAssetByte_ThrowsDamagedBlobNamingAsset() throws {
        let (manifest, _) = try goodImportedAndCopy()
        let asset = try XCTUnwrap(manifest.assets.first)
        let blob = store.blobPath(asset.digest)
        chmod(blob, 0o644)
        try flipByte(in: blob, at: 0)
        XCTAssertThrowsError(try store.checkpoint(for: try ModelReference(parsing: "good"))) { error in
            guard case let .damagedBlob(item, digest, file, offset, expected, actual)? = (error as? StoreError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(item, asset.path)
            XCTAssertEqual(digest, asset.digest)
            XCTAssertEqual(file, blob)
            XCTAssertEqual(offset, 0)
            XCTAssertEqual(expected, asset.digest)
            XCTAssertNotNil(actual)
            XCTAssertNotEqual(actual, asset.digest)
        }
    }

    func testCheckpointFor_IntactStore_OpensWithChecks() throws {
        let (manifest, _) = try goodImportedAndCopy()
        let opened = try store.checkpoint(for: try ModelReference(parsing: "good"))
        XCTAssertEqual(opened.digest, manifest.digest)
        XCTAssertEqual(try store.checkpoint(digest: manifest.digest, verifying: .deep).digest, manifest.digest)
    }
}

/// Adds up progress callbacks (which may come from any thread).
private final class ByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    var total: Int { lock.lock(); defer { lock.unlock() }; return value }
    func add(_ count: Int) { lock.lock(); value += count; lock.unlock() }
}
