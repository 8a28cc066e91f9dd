import XCTest
import ZooFormat
import ZooStore

/// Untagged refs (`NAME@sha256:...`, what a pull by digest stores) and the times `list` shows.
final class StoreUntaggedTests: StoreTestCase {
    /// Imports `checkpoint` untagged under `name`.
    @discardableResult
    private func importUntagged(_ checkpoint: Checkpoint, name: String = "team/bert") throws -> SHA256Digest {
        try store.importCheckpoint(checkpoint, name: .untagged(name: name, digest: checkpoint.digest))
    }

    // MARK: References

    func testParse_NameAtDigest_IsUntagged() throws {
        let hex = String(repeating: "ab", count: 32)
        let digest = try XCTUnwrap(SHA256Digest(hex: hex))
        XCTAssertEqual(try ModelReference(parsing: "team/bert@sha256:" + hex), .untagged(name: "team/bert", digest: digest))
        XCTAssertEqual(ModelReference.untagged(name: "team/bert", digest: digest).description, "team/bert@sha256:" + hex)
        XCTAssertNil(ModelReference.untagged(name: "team/bert", digest: digest).nameAndTag)
    }

    func testParse_NameAtBadDigest_ThrowsNamingTheText() {
        for text in ["bert@sha256:abc", "bert@abc", "bert@", "bert@sha256:" + String(repeating: "A", count: 64)] {
            XCTAssertThrowsError(try ModelReference(parsing: text), text) { error in
                XCTAssertEqual((error as? StoreError)?.reason, .invalidReference(
                    text, why: "after \"@\" comes a full digest, sha256: and 64 lowercase hex digits"))
            }
        }
        XCTAssertThrowsError(try ModelReference(parsing: "Bert@sha256:" + String(repeating: "a", count: 64))) { error in
            guard case .invalidName("Bert", _)? = (error as? StoreError)?.reason else { return XCTFail("\(error)") }
        }
    }

    // MARK: Store

    func testImport_Untagged_WritesAtFileAndListsWithoutTag() throws {
        let checkpoint = try makeCheckpoint()
        let digest = try importUntagged(checkpoint)
        let path = store.root + "/refs/team/bert/@sha256-" + digest.hex
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), digest.description + "\n")
        XCTAssertEqual(try store.refs(), [StoreRef(name: "team/bert", tag: nil, digest: digest)])
        XCTAssertEqual(try store.refs().first?.description, "team/bert@" + digest.description)
        let entries = try store.list()
        XCTAssertEqual(entries.map(\.name), ["team/bert"])
        XCTAssertEqual(entries.map(\.tag), [nil])
        XCTAssertEqual(try store.resolve(.untagged(name: "team/bert", digest: digest)), digest)
        XCTAssertEqual(try store.resolve(.digest(digest)), digest)
        XCTAssertEqual(try store.resolve(.digestPrefix(String(digest.hex.prefix(8)), mayBeName: false)), digest)
        // Survives a rebuild of the index from refs/.
        try FileSystem.removeTree(store.indexDirectory)
        XCTAssertEqual(try store.list(), entries)
    }

    func testImport_UntaggedWithAnotherDigest_IsRefused() throws {
        let checkpoint = try makeCheckpoint()
        let other = try XCTUnwrap(SHA256Digest(hex: String(repeating: "0", count: 64)))
        XCTAssertThrowsError(try store.importCheckpoint(checkpoint, name: .untagged(name: "bert", digest: other))) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .invalidReference(
                "bert@" + other.description, why: "the model stored is \(checkpoint.digest)"))
        }
        XCTAssertEqual(try store.refs(), [])
    }

    func testTag_UntaggedModel_TagReplacesTheUntaggedRef() throws {
        let checkpoint = try makeCheckpoint()
        let digest = try importUntagged(checkpoint)
        try store.tag(.untagged(name: "team/bert", digest: digest), as: try ModelReference(parsing: "team/bert:v1"))
        XCTAssertEqual(try store.refs(), [StoreRef(name: "team/bert", tag: "v1", digest: digest)])
        XCTAssertEqual(try store.list().map(\.ref.description), ["team/bert:v1"])
        // NAME@digest still names it, through the tag.
        XCTAssertEqual(try store.resolve(.untagged(name: "team/bert", digest: digest)), digest)
        // An untagged ref is not written while a tag of the name holds the model.
        try importUntagged(checkpoint)
        XCTAssertEqual(try store.refs(), [StoreRef(name: "team/bert", tag: "v1", digest: digest)])
    }

    func testTag_AnotherName_KeepsTheUntaggedRef() throws {
        let digest = try importUntagged(try makeCheckpoint())
        try store.tag(.digest(digest), as: try ModelReference(parsing: "mine"))
        XCTAssertEqual(try store.refs().map(\.description), ["mine:latest", "team/bert@" + digest.description])
    }

    func testRemove_ByNameAtDigest_RemovesRefAndBlobs() throws {
        let checkpoint = try makeCheckpoint()
        let digest = try importUntagged(checkpoint)
        let blobs = try store.blobs(ofModel: digest)
        let report = try store.remove(.untagged(name: "team/bert", digest: digest))
        XCTAssertEqual(report.removedRefs, [StoreRef(name: "team/bert", tag: nil, digest: digest)])
        XCTAssertEqual(Set(report.deletedBlobs), blobs)
        XCTAssertEqual(try store.refs(), [])
        XCTAssertEqual(try store.storedBlobs(), [])
        XCTAssertEqual(FileSystem.kind(of: store.root + "/refs/team"), .missing)
        XCTAssertThrowsError(try store.resolve(.untagged(name: "team/bert", digest: digest)))
    }

    func testRemove_ByDigest_RemovesUntaggedAndTaggedRefs() throws {
        let digest = try importUntagged(try makeCheckpoint())
        try store.tag(.digest(digest), as: try ModelReference(parsing: "other:v2"))
        let report = try store.remove(.digest(digest))
        XCTAssertEqual(report.removedRefs.map(\.description), ["other:v2", "team/bert@" + digest.description])
        XCTAssertEqual(try store.storedBlobs(), [])
    }

    func testRemove_ByNameAtDigest_OnlyThatName() throws {
        let digest = try importUntagged(try makeCheckpoint())
        try store.tag(.digest(digest), as: try ModelReference(parsing: "other:v2"))
        let report = try store.remove(.untagged(name: "team/bert", digest: digest))
        XCTAssertEqual(report.removedRefs.map(\.description), ["team/bert@" + digest.description])
        XCTAssertEqual(report.deletedBlobs, [])
        XCTAssertEqual(try store.refs().map(\.description), ["other:v2"])
    }

    func testGC_KeepsUntaggedModels() throws {
        let checkpoint = try makeCheckpoint()
        let digest = try importUntagged(checkpoint)
        let report = try store.collectGarbage()
        XCTAssertEqual(report.deletedBlobs, [])
        XCTAssertEqual(Set(try store.storedBlobs()), try store.blobs(ofModel: digest))
        XCTAssertTrue(try store.verify(.untagged(name: "team/bert", digest: digest), options: .deep).isClean)
    }

    func testRefs_UntaggedFileNamedByAnotherDigest_IsCorrupt() throws {
        let digest = try importUntagged(try makeCheckpoint())
        let wrong = store.root + "/refs/team/bert/@sha256-" + String(repeating: "1", count: 64)
        try FileSystem.rename(store.root + "/refs/team/bert/@sha256-" + digest.hex, to: wrong)
        XCTAssertThrowsError(try store.refs()) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .corruptRef(path: wrong))
        }
    }

    func testOldSha256Tag_StillWorks() throws {
        // Stores written before untagged refs hold pulls by digest under a tag `sha256-<12 hex>`.
        let checkpoint = try makeCheckpoint()
        let tag = "sha256-" + checkpoint.digest.hex.prefix(12)
        try store.importCheckpoint(checkpoint, name: try ModelReference(name: "bert", tag: tag))
        XCTAssertEqual(try store.list().map(\.ref.description), ["bert:" + tag])
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: "bert:" + tag)), checkpoint.digest)
        XCTAssertEqual(try store.remove(try ModelReference(parsing: "bert:" + tag)).removedRefs.count, 1)
    }

    // MARK: Times

    func testList_CreatedIsTheRefWriteTime_RebuiltFromTheRefFile() throws {
        let checkpoint = try makeCheckpoint()
        try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "tiny:v1"))
        let refFile = store.root + "/refs/tiny/v1"
        try setModified(refFile, to: 1_700_000_000)
        XCTAssertNotEqual(try store.list().first?.created, 1_700_000_000, "the index keeps the time it wrote")
        try FileSystem.removeTree(store.indexDirectory)
        XCTAssertEqual(try store.list().first?.created, 1_700_000_000, "a rebuilt index takes the ref file's time")
    }

    func testCheckpointForReference_RecordsUseAtMostOncePerResolution() throws {
        let checkpoint = try makeCheckpoint()
        let digest = try store.importCheckpoint(checkpoint, name: try ModelReference(parsing: "tiny"))
        XCTAssertNil(try store.list().first?.lastUsed)
        XCTAssertNil(store.lastUsed(digest))
        _ = try store.checkpoint(for: try ModelReference(parsing: "tiny"))
        let first = try XCTUnwrap(store.lastUsed(digest))
        XCTAssertEqual(try store.list().first?.lastUsed, first)
        XCTAssertEqual(try store.list().first?.created ?? 0 <= first, true)

        // A use recorded less than usageResolution ago is not written again.
        let path = store.indexDirectory + "/used/" + digest.hex
        let recent = first - Store.usageResolution / 2
        try setModified(path, to: recent)
        _ = try store.checkpoint(for: .digest(digest))
        XCTAssertEqual(store.lastUsed(digest), recent)
        // An older one is.
        try setModified(path, to: first - Store.usageResolution - 5)
        _ = try store.checkpoint(for: .digest(digest))
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(store.lastUsed(digest)), first)
        // Opening by digest without a reference (as a pull's commit does), or not recording, records nothing.
        try setModified(path, to: 1_000)
        _ = try store.checkpoint(digest: digest)
        _ = try store.checkpoint(for: .digest(digest), verifying: [], recordingUse: false)
        XCTAssertEqual(store.lastUsed(digest), 1_000)

        // Removing the model removes its use time.
        try store.remove(try ModelReference(parsing: "tiny"))
        XCTAssertEqual(FileSystem.kind(of: path), .missing)
    }

    private func setModified(_ path: String, to seconds: Int) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0, path)
    }
}
