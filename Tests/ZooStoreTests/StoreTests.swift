import XCTest
import ZooFormat
import ZooStore

final class StoreTests: StoreTestCase {
    // MARK: Import and open

    func testImport_Checkpoint_StoresBlobsAndRef() throws {
        let checkpoint = try makeCheckpoint()
        let digest = try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "tiny:v1"))

        XCTAssertEqual(digest, checkpoint.digest)
        let ref = try String(contentsOfFile: store.root + "/refs/tiny/v1", encoding: .utf8)
        XCTAssertEqual(ref, digest.description + "\n")
        let expectedBlobs = Set([digest] + checkpoint.manifest.shards.map(\.digest) + checkpoint.manifest.assets.map(\.digest))
        XCTAssertEqual(Set(try store.storedBlobs()), expectedBlobs)
        for blob in expectedBlobs {
            let bytes = try XCTUnwrap(FileSystem.readFile(store.blobPath(blob), limit: 1 << 20))
            XCTAssertEqual(SHA256.digest(bytes), blob)
        }
        XCTAssertEqual(try FileSystem.listDirectory(store.tmpDirectory), [])
    }

    func testImport_ManifestBlob_IsCanonicalManifest() throws {
        let checkpoint = try makeCheckpoint()
        let digest = try store.importCheckpoint(checkpoint, name: nil)
        XCTAssertEqual(try FileSystem.readFile(store.blobPath(digest), limit: 1 << 20), checkpoint.manifest.canonicalBytes)
    }

    func testImport_NoName_UsesSanitisedManifestName() throws {
        let checkpoint = try makeCheckpoint(name: "My Model (v2)")
        try store.importCheckpoint(checkpoint)
        XCTAssertEqual(try store.refs().map(\.description), ["my-model-v2:latest"])
    }

    func testImport_DigestAsName_ThrowsInvalidName() throws {
        let checkpoint = try makeCheckpoint()
        XCTAssertThrowsError(try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "sha256:abcd"))) {
            XCTAssertEqual(($0 as? StoreError)?.reason,
                           .invalidName("sha256:abcd", why: "a digest cannot name a model; give NAME[:TAG]"))
        }
        XCTAssertEqual(try store.refs(), [])
    }

    func testOpen_ImportedModel_MapsTensorsFromBlobs() throws {
        let checkpoint = try makeCheckpoint(seed: 3)
        let digest = try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "tiny"))

        let opened = try store.checkpoint(for: try ModelReference(parsing: "tiny:latest"))
        XCTAssertEqual(opened.digest, digest)
        XCTAssertEqual(opened.manifest, checkpoint.manifest)
        XCTAssertEqual(opened.shardRegions.map(\.path), checkpoint.manifest.shards.map { store.blobPath($0.digest) })
        XCTAssertEqual(try opened.tensor(named: "encoder.bias").scalars(as: Float.self), [3, 4, 5, 6])
        XCTAssertEqual(try opened.asset(path: "config.json"), Array("{\"hidden_size\":4}".utf8))
        XCTAssertTrue(opened.verify(.deep).isClean)
    }

    func testImport_SameModelTwice_KeepsOneCopyOfEachBlob() throws {
        let checkpoint = try makeCheckpoint()
        try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "a"))
        let blobs = try store.storedBlobs()
        try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "b:x"))
        XCTAssertEqual(try store.storedBlobs(), blobs)
        XCTAssertEqual(try store.refs().map(\.description), ["a:latest", "b:x"])
    }

    func testImport_FromStoreCheckpoint_OnlyAddsRef() throws {
        let checkpoint = try makeCheckpoint()
        try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "a"))
        let opened = try store.checkpoint(for: try ModelReference(parsing: "a"))
        try store.importCheckpoint(opened, name: try ModelReference(parsing: "a:copy"))
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: "a:copy")), checkpoint.digest)
        XCTAssertEqual(try store.storedBlobs().count, 3)
    }

    func testImport_SameTagAgain_PointsAtNewModel() throws {
        try store.importCheckpoint(try makeCheckpoint("one", seed: 1), name: try ModelReference(parsing: "m"))
        let second = try makeCheckpoint("two", seed: 2)
        try store.importCheckpoint(second, name: try ModelReference(parsing: "m"))
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: "m")), second.digest)
    }

    func testImport_NameCollidesWithTag_ThrowsNameConflict() throws {
        try store.importCheckpoint(try makeCheckpoint(), name: try ModelReference(parsing: "a:b"))
        XCTAssertThrowsError(try store.importCheckpoint(try makeCheckpoint("x", seed: 2),
                                                        name: try ModelReference(parsing: "a/b:latest"))) {
            XCTAssertEqual(($0 as? StoreError)?.reason, .nameConflict("a/b:latest", with: "a:b"))
        }
        try store.importCheckpoint(try makeCheckpoint("y", seed: 3), name: try ModelReference(parsing: "c/d"))
        XCTAssertThrowsError(try store.importCheckpoint(try makeCheckpoint("z", seed: 4),
                                                        name: try ModelReference(parsing: "c:d"))) {
            XCTAssertEqual(($0 as? StoreError)?.reason, .nameConflict("c:d", with: "c/d"))
        }
        XCTAssertEqual(try store.refs().map(\.description), ["a:b", "c/d:latest"])
        XCTAssertEqual(try FileSystem.listDirectory(store.tmpDirectory), [])
        // The failed imports' blobs were removed again: only the two stored models' blobs remain.
        XCTAssertEqual(Set(try store.storedBlobs()), try store.reachableBlobs())
    }

    // MARK: Failed import

    func testImport_ShardBytesDifferFromManifest_LeavesNothing() throws {
        try store.importCheckpoint(try makeCheckpoint("good", seed: 7), name: try ModelReference(parsing: "good"))
        let before = TestCheckpoints.listing(store.root)

        let path = scratch + "/bad"
        let manifest = try TestCheckpoints.write(at: path, seed: 9)
        try TestCheckpoints.flipByte(in: path + "/shards/00000.bin", at: 5)
        let checkpoint = try Checkpoint(directory: path)
        // The flipped byte lies in a tensor: the error names that tensor (the most precise place).
        let hit = try XCTUnwrap(manifest.tensors.first { $0.shard == 0 && $0.offset <= 5 && 5 < $0.offset + $0.length })
        XCTAssertThrowsError(try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "bad"))) { error in
            guard case let .inconsistentInput(file, tensor, offset, expected, actual)? = (error as? StoreError)?.reason else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(file, path + "/shards/00000.bin")
            XCTAssertEqual(tensor, hit.name)
            XCTAssertEqual(offset, hit.offset)
            XCTAssertEqual(expected, hit.digest)
            XCTAssertNotEqual(actual, hit.digest)
            XCTAssertTrue("\(error)".hasPrefix("\(path)/shards/00000.bin, byte \(hit.offset): tensor '\(hit.name)' hashes to sha256:"),
                          "\(error)")
        }
        XCTAssertEqual(TestCheckpoints.listing(store.root), before)
    }

    func testImport_AssetBytesDifferFromManifest_LeavesNothing() throws {
        // The stored model has no asset: a stored blob with the asset's digest would be kept, not re-read.
        try TestCheckpoints.write(at: scratch + "/good", seed: 7, withAsset: false)
        try store.importCheckpoint(try Checkpoint(directory: scratch + "/good"), name: try ModelReference(parsing: "good"))
        let before = TestCheckpoints.listing(store.root)
        let path = scratch + "/bad"
        try TestCheckpoints.write(at: path, seed: 9)
        try TestCheckpoints.flipByte(in: path + "/assets/config.json", at: 0)
        XCTAssertThrowsError(try store.importCheckpoint(try Checkpoint(directory: path), name: nil)) { error in
            guard case let .blobDigestMismatch(name, _, _, _, _)? = (error as? StoreError)?.reason else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(name, "assets/config.json")
        }
        XCTAssertEqual(TestCheckpoints.listing(store.root), before)
    }

    // MARK: Staged import

    func testImportStaged_ConverterOutputInTmp_MovesFilesWithoutCopy() throws {
        let stagingArea = try store.makeStagingDirectory(prefix: "convert")
        defer { stagingArea.remove() }
        let staging = stagingArea.path
        let manifest = try TestCheckpoints.write(at: staging + "/checkpoint", seed: 5)
        var info = stat()
        XCTAssertEqual(stat(staging + "/checkpoint/shards/00000.bin", &info), 0)
        let inode = info.st_ino

        let digest = try store.importStaged(directory: staging + "/checkpoint", name: try ModelReference(parsing: "s"),
                                            options: .trustDigests)
        XCTAssertEqual(digest, manifest.digest)
        XCTAssertEqual(stat(store.blobPath(manifest.shards[0].digest), &info), 0)
        XCTAssertEqual(info.st_ino, inode, "the shard was renamed, not copied")
        XCTAssertEqual(FileSystem.kind(of: staging + "/checkpoint"), .missing)
        try FileSystem.removeTree(staging)
        XCTAssertEqual(try FileSystem.listDirectory(store.tmpDirectory), [])
        XCTAssertTrue(try store.verify(try ModelReference(parsing: "s"), options: .deep).isClean)
    }

    func testImportStaged_UntrustedCorruptShard_ThrowsAndLeavesNothing() throws {
        try store.prepareForTest()
        let before = TestCheckpoints.listing(store.root)
        let staged = store.tmpDirectory + "/conv"
        try TestCheckpoints.write(at: staged, seed: 5)
        try TestCheckpoints.flipByte(in: staged + "/shards/00000.bin", at: 1)
        XCTAssertThrowsError(try store.importStaged(directory: staged, name: try ModelReference(parsing: "s"))) { error in
            guard case let .inconsistentInput(file, _, offset, _, _)? = (error as? StoreError)?.reason else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(file, staged + "/shards/00000.bin")
            XCTAssertLessThanOrEqual(offset, 1, "the tensor holding byte 1")
        }
        XCTAssertEqual(TestCheckpoints.listing(store.root), before)
    }

    func testImportStaged_DirectoryOutsideTmp_Throws() throws {
        try TestCheckpoints.write(at: scratch + "/outside")
        XCTAssertThrowsError(try store.importStaged(directory: scratch + "/outside")) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .notInStagingArea(scratch + "/outside", tmp: store.tmpDirectory))
        }
        XCTAssertEqual(FileSystem.kind(of: scratch + "/outside"), .directory, "a folder outside tmp/ is not consumed")
    }

    // MARK: Resolve

    func testResolve_UniquePrefix_FindsModel() throws {
        let checkpoint = try makeCheckpoint()
        let digest = try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "tiny"))
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: String(digest.hex.prefix(4)))), digest)
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: "sha256:" + digest.hex.prefix(10))), digest)
        XCTAssertEqual(try store.resolve(.digest(digest)), digest)
    }

    func testResolve_AmbiguousPrefix_ListsCandidates() throws {
        // Refs are resolved from the ref files alone, so two refs with digests sharing "abcd" are enough.
        try store.prepareForTest()
        let first = try XCTUnwrap(SHA256Digest(hex: "abcd1" + String(repeating: "0", count: 59)))
        let second = try XCTUnwrap(SHA256Digest(hex: "abcd2" + String(repeating: "0", count: 59)))
        for (name, digest) in [("x", first), ("y", second)] {
            try FileSystem.makeDirectories(store.refDirectory + "/" + name)
            try FileSystem.writeAtomically(Array((digest.description + "\n").utf8), to: store.refDirectory + "/\(name)/latest")
        }
        XCTAssertThrowsError(try store.resolve(try ModelReference(parsing: "abcd"))) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .ambiguousDigest(prefix: "abcd", candidates: [first, second]))
            XCTAssertEqual("\(error)", "digest prefix abcd matches 2 models: \(first), \(second); give more digits")
        }
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: "sha256:abcd2")), second)
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: "abcd1")), first)
    }

    func testResolve_UnknownName_ThrowsNoSuchModel() throws {
        XCTAssertThrowsError(try store.resolve(try ModelReference(parsing: "nope:v1"))) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .noSuchModel("nope:v1"))
            XCTAssertEqual("\(error)", "no model nope:v1 in the store")
        }
        XCTAssertThrowsError(try store.resolve(try ModelReference(parsing: "sha256:0000"))) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .noSuchModel("sha256:0000"))
        }
    }

    func testResolve_HexWordThatIsAlsoAName_PrefersName() throws {
        let first = try store.importCheckpoint(try makeCheckpoint("one", seed: 1), name: try ModelReference(name: "cafe"))
        let second = try store.importCheckpoint(try makeCheckpoint("two", seed: 2), name: try ModelReference(name: "other"))
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: "cafe")), first)
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: String(second.hex.prefix(8)))), second)
    }

    func testResolve_CorruptRef_ThrowsNamingFile() throws {
        try store.importCheckpoint(try makeCheckpoint(), name: try ModelReference(parsing: "tiny"))
        try FileSystem.writeAtomically(Array("garbage\n".utf8), to: store.root + "/refs/tiny/latest")
        XCTAssertThrowsError(try store.resolve(try ModelReference(parsing: "tiny"))) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .corruptRef(path: store.root + "/refs/tiny/latest"))
        }
    }

    // MARK: List

    func testList_TwoModels_SummarisesEach() throws {
        let a = try makeCheckpoint("a", seed: 1)
        let b = try makeCheckpoint("b", seed: 2)
        let before = Int(time(nil))
        try store.importCheckpoint(b, name: try ModelReference(parsing: "zeta/model:v2"))
        try store.importCheckpoint(a, name: try ModelReference(parsing: "alpha"))
        let after = Int(time(nil))
        let entries = try store.list()
        XCTAssertEqual(entries.map(\.ref.description), ["alpha:latest", "zeta/model:v2"])
        XCTAssertTrue((before...after).contains(entries[0].created), "created \(entries[0].created)")
        XCTAssertEqual(entries[0], StoreEntry(
            name: "alpha", tag: "latest", digest: a.digest, created: entries[0].created, lastUsed: nil,
            byteCount: a.manifest.totalByteCount + a.manifest.canonicalBytes.count,
            family: .autoencoding, type: "bert", parameterCount: 28, problem: nil))
    }

    func testList_EmptyOrMissingStore_IsEmpty() throws {
        XCTAssertEqual(try store.list(), [])
    }

    func testList_CorruptManifestBlob_ListsProblem() throws {
        let digest = try store.importCheckpoint(try makeCheckpoint(), name: try ModelReference(parsing: "tiny"))
        try TestCheckpoints.flipByte(in: store.blobPath(digest), at: 3)
        // list reads the summaries, not the manifests: the flip shows once the summary must be rebuilt.
        try FileSystem.removeTree(store.indexDirectory)
        let entries = try store.list()
        XCTAssertEqual(entries.count, 1)
        XCTAssertNil(entries[0].family)
        XCTAssertTrue(entries[0].problem?.hasPrefix("manifest blob \(digest) is corrupt: its bytes hash to sha256:") == true,
                      entries[0].problem ?? "nil")
    }

    // MARK: Open errors

    func testOpen_MissingShardBlob_ThrowsMissingBlob() throws {
        let checkpoint = try makeCheckpoint()
        try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "tiny"))
        let shard = checkpoint.manifest.shards[0]
        try FileSystem.removeTree(store.blobPath(shard.digest))
        XCTAssertThrowsError(try store.checkpoint(for: try ModelReference(parsing: "tiny"))) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .missingBlob(name: "shards/00000.bin", digest: shard.digest))
        }
    }

    func testOpen_CorruptManifestBlob_Throws() throws {
        let digest = try store.importCheckpoint(try makeCheckpoint(), name: try ModelReference(parsing: "tiny"))
        try TestCheckpoints.flipByte(in: store.blobPath(digest), at: 0)
        XCTAssertThrowsError(try store.checkpoint(for: try ModelReference(parsing: "tiny"))) { error in
            guard case .corruptManifestBlob(digest, _)? = (error as? StoreError)?.reason else {
                return XCTFail("unexpected \(error)")
            }
        }
    }

    // MARK: Verify

    func testVerify_FlippedShardByte_ReportsShardAndTensor() throws {
        let checkpoint = try makeCheckpoint()
        try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "tiny"))
        let shardBlob = store.blobPath(checkpoint.manifest.shards[0].digest)
        try TestCheckpoints.flipByte(in: shardBlob, at: 66)  // inside encoder.weight (offset 64, after encoder.bias)
        let report = try store.verify(try ModelReference(parsing: "tiny"), options: .deep)
        XCTAssertEqual(report.failures.map(\.kind), [.shard, .tensor])
        XCTAssertEqual(report.failures.map(\.name), ["shards/00000.bin", "encoder.weight"])
        XCTAssertEqual(report.failures.map(\.file), [shardBlob, shardBlob])
        XCTAssertEqual(report.failures.map(\.offset), [0, 64])
    }

    // MARK: Remove

    func testRemove_OnlyModel_DeletesRefAndBlobs() throws {
        let checkpoint = try makeCheckpoint()
        try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "org/tiny:v1"))
        let report = try store.remove(try ModelReference(parsing: "org/tiny:v1"))
        XCTAssertEqual(report.removedRefs, [StoreRef(name: "org/tiny", tag: "v1", digest: checkpoint.digest)])
        XCTAssertEqual(report.deletedBlobs.count, 3)
        XCTAssertEqual(report.freedByteCount, checkpoint.manifest.totalByteCount + checkpoint.manifest.canonicalBytes.count)
        XCTAssertEqual(try store.storedBlobs(), [])
        XCTAssertEqual(try FileSystem.listDirectory(store.refDirectory), [], "empty name folders are removed")
    }

    func testRemove_SharedBlobs_KeepsWhatOthersNeed() throws {
        let a = try makeCheckpoint("a", seed: 1)
        try store.importCheckpoint(a, name: try ModelReference(parsing: "a"))
        try store.importCheckpoint(a, name: try ModelReference(parsing: "a:other"))
        let b = try makeCheckpoint("b", seed: 2)  // same config asset as a, different shard
        try store.importCheckpoint(b, name: try ModelReference(parsing: "b"))

        let first = try store.remove(try ModelReference(parsing: "a"))
        XCTAssertEqual(first.deletedBlobs, [], "a:other still needs every blob")
        let second = try store.remove(try ModelReference(parsing: "a:other"))
        XCTAssertEqual(Set(second.deletedBlobs), [a.digest, a.manifest.shards[0].digest])
        XCTAssertEqual(Set(try store.storedBlobs()), try store.reachableBlobs())
        XCTAssertTrue(try store.verify(try ModelReference(parsing: "b")).isClean)
    }

    func testRemove_ByDigestPrefix_RemovesEveryTag() throws {
        let checkpoint = try makeCheckpoint()
        try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "a"))
        try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "b:v1"))
        let report = try store.remove(try ModelReference(parsing: "sha256:" + checkpoint.digest.hex.prefix(6)))
        XCTAssertEqual(report.removedRefs.map(\.description), ["a:latest", "b:v1"])
        XCTAssertEqual(try store.list(), [])
        XCTAssertEqual(try store.storedBlobs(), [])
    }

    func testRemove_UnknownModel_ThrowsAndChangesNothing() throws {
        try store.importCheckpoint(try makeCheckpoint(), name: try ModelReference(parsing: "a"))
        let before = TestCheckpoints.listing(store.root)
        XCTAssertThrowsError(try store.remove(try ModelReference(parsing: "b"))) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .noSuchModel("b:latest"))
        }
        XCTAssertEqual(TestCheckpoints.listing(store.root), before)
    }

    func testUnreachableBlobs_AfterRefDeletedByHand_ListsThem() throws {
        let checkpoint = try makeCheckpoint()
        try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "a"))
        try FileSystem.removeTree(store.root + "/refs/a")
        XCTAssertEqual(Set(try store.unreachableBlobs()), Set(try store.storedBlobs()))
        XCTAssertEqual(try store.unreachableBlobs().count, 3)
    }
}

extension Store {
    /// Creates the store's folders (what the first import does), for tests that list it first.
    func prepareForTest() throws {
        _ = try makeStagingDirectory(prefix: "probe")
        for name in try FileSystem.listDirectory(tmpDirectory) { try FileSystem.removeTree(tmpDirectory + "/" + name) }
    }
}
