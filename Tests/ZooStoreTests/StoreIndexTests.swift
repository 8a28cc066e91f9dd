import XCTest
import ZooFormat
import ZooStore

/// `index/`: the per-model summaries and the ref index that `list`, `show` and name resolution
/// read instead of every manifest and every ref.
final class StoreIndexTests: StoreTestCase {
    private var refIndexPath: String { store.indexDirectory + "/refs" }

    /// The refs `index/refs` lists, `nil` when there is no such file.
    private func indexedRefNames() throws -> [String]? {
        guard let bytes = try? FileSystem.readFile(refIndexPath, limit: 1 << 24) else { return nil }
        let refs = try XCTUnwrap(try JSONValue(parsing: bytes)["refs"]?.arrayValue)
        return refs.compactMap { ref in
            guard let name = ref["name"]?.stringValue, let digest = ref["digest"]?.stringValue else { return nil }
            let shown = ref["tag"]?.stringValue.map { "\(name):\($0)" } ?? "\(name)@\(digest)"  // null: untagged
            return "\(shown)=\(digest.dropFirst(7).prefix(8))"
        }
    }

    private func expectedNames(_ refs: [StoreRef]) -> [String] {
        refs.map { "\($0.description)=\($0.digest.hex.prefix(8))" }
    }

    // MARK: Written with every ref

    func testImport_WritesSummaryBeforeRefAndIndexAfter() throws {
        let checkpoint = try makeCheckpoint()
        let digest = try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "tiny:v1"))
        let bytes = try XCTUnwrap(try FileSystem.readFile(store.summaryPath(digest), limit: 1 << 20))
        let summary = try store.summary(for: digest)
        XCTAssertEqual(summary.digest, digest)
        XCTAssertEqual(summary.name, "tiny")
        XCTAssertEqual(summary.tensorCount, 2)
        XCTAssertEqual(summary.dtypes, [.f32])
        XCTAssertEqual(summary.parameterCount, checkpoint.manifest.architecture.parameterCount)
        XCTAssertEqual(summary.byteCount, checkpoint.manifest.totalByteCount + checkpoint.manifest.canonicalBytes.count)
        XCTAssertEqual(summary.manifestByteCount, checkpoint.manifest.canonicalBytes.count)
        XCTAssertEqual(summary.shards, checkpoint.manifest.shards)
        XCTAssertEqual(summary.assets.map(\.path), ["assets/config.json"])
        XCTAssertEqual(summary.metadataKeys, ["note"])
        XCTAssertNil(summary.lineage)
        XCTAssertEqual(try FileSystem.readFile(store.summaryPath(digest), limit: 1 << 20), bytes, "read, not rewritten")
        XCTAssertEqual(try indexedRefNames(), ["tiny:v1=\(digest.hex.prefix(8))"])
        XCTAssertEqual(try FileSystem.listDirectory(store.tmpDirectory), [], "no temp file left")
    }

    func testTag_AddsIndexEntryWithoutNewSummary() throws {
        let digest = try store.importCheckpoint(try makeCheckpoint(), name: try ModelReference(parsing: "a"))
        try store.tag(try ModelReference(parsing: "a"), as: try ModelReference(parsing: "b:v2"))
        XCTAssertEqual(try indexedRefNames(), ["a:latest=\(digest.hex.prefix(8))", "b:v2=\(digest.hex.prefix(8))"])
        XCTAssertEqual(try FileSystem.listDirectory(store.summaryDirectory), [digest.hex])
        XCTAssertEqual(try store.refs(pointingTo: digest).map(\.description), ["a:latest", "b:v2"])
    }

    func testTransferCommit_WritesSummaryAndIndex() throws {
        // A pull as ZooRemote does it: register the manifest, publish each blob, then commit the name.
        let checkpoint = try makeCheckpoint()
        let session = try store.beginTransfer(manifestBytes: checkpoint.manifest.canonicalBytes)
        for (index, shard) in checkpoint.manifest.shards.enumerated() {
            try publish(try XCTUnwrap(try FileSystem.readFile(checkpoint.shardRegions[index].path, limit: 1 << 20)),
                        digest: shard.digest, session: session)
        }
        for asset in checkpoint.manifest.assets {
            try publish(try checkpoint.asset(path: asset.path), digest: asset.digest, session: session)
        }
        let digest = try session.commit(as: try ModelReference(parsing: "pulled:v1"))
        session.end()
        XCTAssertEqual(try store.summary(for: digest).name, "tiny")
        XCTAssertEqual(FileSystem.kind(of: store.summaryPath(digest)), .regular)
        XCTAssertEqual(try indexedRefNames(), ["pulled:v1=\(digest.hex.prefix(8))"])
        XCTAssertEqual(try store.list().map(\.type), ["bert"])
    }

    private func publish(_ bytes: [UInt8], digest: SHA256Digest, session: TransferSession) throws {
        let partial = try session.openPartial(digest)
        try bytes.withUnsafeBytes { try partial.write($0, at: 0) }
        try session.publish(partial, digest: digest, replacing: false)
    }

    func testRemove_DropsIndexEntryAndSummaryOfModelsNoRefNames() throws {
        let a = try store.importCheckpoint(try makeCheckpoint("a", seed: 1), name: try ModelReference(parsing: "a"))
        try store.tag(try ModelReference(parsing: "a"), as: try ModelReference(parsing: "a2"))
        let b = try store.importCheckpoint(try makeCheckpoint("b", seed: 2), name: try ModelReference(parsing: "b"))
        try store.remove(try ModelReference(parsing: "a"))
        XCTAssertEqual(FileSystem.kind(of: store.summaryPath(a)), .regular, "a2 still names it")
        try store.remove(try ModelReference(parsing: "a2"))
        XCTAssertEqual(FileSystem.kind(of: store.summaryPath(a)), .missing)
        XCTAssertEqual(try FileSystem.listDirectory(store.summaryDirectory), [b.hex])
        XCTAssertEqual(try indexedRefNames(), ["b:latest=\(b.hex.prefix(8))"])
    }

    // MARK: Old stores and lost files

    func testList_StoreWithoutIndex_ListsThenWritesIndex() throws {
        let a = try makeCheckpoint("a", seed: 1, name: "alpha")
        try store.importCheckpoint(a, name: try ModelReference(parsing: "alpha"))
        try store.importCheckpoint(try makeCheckpoint("b", seed: 2), name: try ModelReference(parsing: "zeta/model:v2"))
        let expected = try store.list()
        try FileSystem.removeTree(store.indexDirectory)  // as an older zoo (or a kill between two steps) leaves it

        XCTAssertEqual(try store.list(), expected)
        XCTAssertEqual(try indexedRefNames(), expectedNames(try store.refs()))
        XCTAssertEqual(Set(try FileSystem.listDirectory(store.summaryDirectory)), Set(try store.refs().map(\.digest.hex)))
        XCTAssertEqual(try store.list(), expected, "and again from the rebuilt index")
    }

    func testResolve_DigestPrefixWithoutIndex_RebuildsFromRefs() throws {
        let digest = try store.importCheckpoint(try makeCheckpoint(), name: try ModelReference(parsing: "tiny"))
        try FileSystem.removeTree(store.indexDirectory)
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: "sha256:" + digest.hex.prefix(8))), digest)
        XCTAssertEqual(try indexedRefNames(), ["tiny:latest=\(digest.hex.prefix(8))"])
    }

    // MARK: Corrupt and stale files

    func testSummary_Garbage_DetectedAndRebuilt() throws {
        let digest = try store.importCheckpoint(try makeCheckpoint(), name: try ModelReference(parsing: "tiny"))
        let good = try XCTUnwrap(try FileSystem.readFile(store.summaryPath(digest), limit: 1 << 20))
        let expected = try store.summary(for: digest)
        for bad in [Array("garbage".utf8), Array(good.prefix(good.count / 2)), [], Array("{}".utf8)] {
            try FileSystem.writeAtomically(bad, to: store.summaryPath(digest))
            XCTAssertEqual(try store.summary(for: digest), expected)
            XCTAssertEqual(try FileSystem.readFile(store.summaryPath(digest), limit: 1 << 20), good, "written back")
        }
    }

    func testSummary_OfAnotherModel_DetectedAndRebuilt() throws {
        let a = try store.importCheckpoint(try makeCheckpoint("a", seed: 1, name: "one"), name: try ModelReference(parsing: "a"))
        let b = try store.importCheckpoint(try makeCheckpoint("b", seed: 2, name: "two"), name: try ModelReference(parsing: "b"))
        // A stale file: b's summary in a's place (a copy gone wrong). The digest inside gives it away.
        let other = try XCTUnwrap(try FileSystem.readFile(store.summaryPath(b), limit: 1 << 20))
        try FileSystem.writeAtomically(other, to: store.summaryPath(a))
        XCTAssertEqual(try store.summary(for: a).name, "one")
        XCTAssertEqual(try store.summary(for: a).digest, a)
    }

    func testVerify_SummaryWithWrongFields_Rewritten() throws {
        let digest = try store.importCheckpoint(try makeCheckpoint(), name: try ModelReference(parsing: "tiny"))
        let manifest = try store.manifest(for: digest)
        XCTAssertTrue(store.checkIndex(of: manifest, digest: digest))
        let good = try XCTUnwrap(try FileSystem.readFile(store.summaryPath(digest), limit: 1 << 20))
        // Digest and size right, a field wrong: only a check against the manifest can tell.
        let text = String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\"tensorCount\":2", with: "\"tensorCount\":7")
        XCTAssertNotEqual(Array(text.utf8), good)
        try FileSystem.writeAtomically(Array(text.utf8), to: store.summaryPath(digest))
        XCTAssertEqual(try store.summary(for: digest).tensorCount, 7, "reading trusts a well-formed summary")

        XCTAssertTrue(try store.verify(try ModelReference(parsing: "tiny")).isClean)
        XCTAssertEqual(try FileSystem.readFile(store.summaryPath(digest), limit: 1 << 20), good)
        XCTAssertTrue(store.checkIndex(of: manifest, digest: digest))
    }

    func testList_ManifestBlobRemoved_ListsProblemNotCachedEntry() throws {
        let digest = try store.importCheckpoint(try makeCheckpoint(), name: try ModelReference(parsing: "tiny"))
        try FileSystem.removeTree(store.blobPath(digest))
        let entries = try store.list()
        XCTAssertEqual(entries.count, 1)
        XCTAssertNil(entries[0].type)
        XCTAssertEqual(entries[0].problem, "manifest: blob \(digest) is missing from the store")
    }

    func testRefIndex_EveryTruncationAndGarbage_NeverTrusted() throws {
        let a = try store.importCheckpoint(try makeCheckpoint("a", seed: 1), name: try ModelReference(parsing: "a"))
        try store.importCheckpoint(try makeCheckpoint("b", seed: 2), name: try ModelReference(parsing: "b:v1"))
        let expected = try store.list()
        let good = try XCTUnwrap(try FileSystem.readFile(refIndexPath, limit: 1 << 20))
        var variants = stride(from: 0, to: good.count, by: 5).map { Array(good.prefix($0)) }
        variants.append(Array(String(decoding: good, as: UTF8.self)
            .replacingOccurrences(of: "\"name\":\"a\"", with: "\"name\":\"../a\"").utf8))
        variants.append(Array(String(decoding: good, as: UTF8.self)
            .replacingOccurrences(of: "\"indexVersion\":1", with: "\"indexVersion\":99").utf8))
        for (number, bad) in variants.enumerated() {
            try FileSystem.writeAtomically(bad, to: refIndexPath)
            XCTAssertEqual(try store.list(), expected, "variant \(number)")
            XCTAssertEqual(try store.resolve(.digest(a)), a, "variant \(number)")
        }
        XCTAssertEqual(try FileSystem.readFile(refIndexPath, limit: 1 << 20), good, "rebuilt to the same bytes")
    }

    func testRefsPointingTo_RefChangedByHand_IndexRebuiltWhenConfirming() throws {
        let a = try store.importCheckpoint(try makeCheckpoint("a", seed: 1), name: try ModelReference(parsing: "a"))
        let b = try store.importCheckpoint(try makeCheckpoint("b", seed: 2), name: try ModelReference(parsing: "b"))
        // Repoint b at a behind zoo's back: the index still says b -> b.
        try FileSystem.writeAtomically(Array((a.description + "\n").utf8), to: store.refDirectory + "/b/latest")
        let reference = try ModelReference(parsing: "b")
        XCTAssertEqual(try store.resolve(reference), a, "NAME:TAG reads its ref file")
        XCTAssertEqual(try store.refs(pointingTo: a).map(\.description), ["a:latest"], "the stale index alone")
        XCTAssertEqual(try store.refs(pointingTo: a, confirming: reference).map(\.description), ["a:latest", "b:latest"])
        XCTAssertEqual(try store.refs(pointingTo: b).map(\.description), [], "rebuilt")
    }

    // MARK: Garbage collection

    func testGC_RefsDeletedByHand_RemovesOrphanSummariesAndRewritesIndex() throws {
        let a = try store.importCheckpoint(try makeCheckpoint("a", seed: 1), name: try ModelReference(parsing: "a"))
        let b = try store.importCheckpoint(try makeCheckpoint("b", seed: 2), name: try ModelReference(parsing: "b"))
        try FileSystem.removeTree(store.refDirectory + "/a")
        try FileSystem.writeAtomically(Array("stray".utf8), to: store.summaryDirectory + "/notes.txt")

        let dry = try store.collectGarbage(dryRun: true)
        XCTAssertEqual(dry.deletedSummaries, [a.hex, "notes.txt"])
        XCTAssertTrue(dry.rewroteRefIndex)
        XCTAssertEqual(FileSystem.kind(of: store.summaryPath(a)), .regular, "a dry run deletes nothing")

        let report = try store.collectGarbage()
        XCTAssertEqual(report.deletedSummaries, [a.hex, "notes.txt"])
        XCTAssertTrue(report.rewroteRefIndex)
        XCTAssertEqual(try FileSystem.listDirectory(store.summaryDirectory), [b.hex])
        XCTAssertEqual(try indexedRefNames(), ["b:latest=\(b.hex.prefix(8))"])
        XCTAssertEqual(try store.list().map(\.name), ["b"])

        let again = try store.collectGarbage()
        XCTAssertEqual(again.deletedSummaries, [])
        XCTAssertFalse(again.rewroteRefIndex)
    }
}
