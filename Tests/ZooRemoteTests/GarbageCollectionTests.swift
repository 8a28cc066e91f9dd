import XCTest
import ZooFormat
import ZooStore
@testable import ZooRemote

/// `Store.collectGarbage` beside transfers: what is stale goes, what a running transfer holds stays.
final class GarbageCollectionTests: XCTestCase {
    private var scratch = ""
    private var store: Store!
    private var manifest: Manifest!

    override func setUpWithError() throws {
        scratch = try TestSupport.makeTemporaryDirectory()
        store = Store(root: scratch + "/store")
        manifest = try TestSupport.writeSmall(at: scratch + "/model")
    }

    override func tearDownWithError() throws {
        try FileSystem.removeTree(scratch)
    }

    /// Starts a pull session of the small model and publishes its shard (as a pull does before
    /// it names the model).
    private func sessionWithPublishedShard() throws -> TransferSession {
        let session = try store.beginTransfer(manifestBytes: manifest.canonicalBytes)
        let shard = manifest.shards[0]
        let partial = try session.openPartial(shard.digest)
        let bytes = try XCTUnwrap(try FileSystem.readFile(scratch + "/model/" + shard.path, limit: 1 << 20))
        try bytes.withUnsafeBytes { try partial.write($0, at: 0) }
        try session.publish(partial, digest: shard.digest, replacing: false)
        return session
    }

    func testCollect_LiveSession_KeepsItsBlobsUntilItEnds() throws {
        let session = try sessionWithPublishedShard()
        let shard = manifest.shards[0].digest
        let during = try store.collectGarbage()
        XCTAssertEqual(during.deletedBlobs, [])
        XCTAssertEqual(during.liveTransferCount, 1)
        XCTAssertEqual(FileSystem.kind(of: store.blobPath(shard)), .regular)

        session.end()
        let after = try store.collectGarbage()
        XCTAssertEqual(after.deletedBlobs, [shard])
        XCTAssertEqual(after.blobByteCount, manifest.shards[0].length)
        XCTAssertEqual(after.liveTransferCount, 0)
        XCTAssertEqual(FileSystem.kind(of: store.blobPath(shard)), .missing)
    }

    func testCollect_CommittedSession_KeepsEverythingTheNameReaches() throws {
        let session = try sessionWithPublishedShard()
        let asset = manifest.assets[0]
        let partial = try session.openPartial(asset.digest)
        try Array("{\"hidden_size\":8}".utf8).withUnsafeBytes { try partial.write($0, at: 0) }
        try session.publish(partial, digest: asset.digest, replacing: false)
        XCTAssertEqual(try session.commit(as: try ModelReference(parsing: "tiny:v1")), manifest.digest)
        session.end()
        let report = try store.collectGarbage()
        XCTAssertEqual(report, GarbageReport())
        XCTAssertEqual(try store.verify(.tagged(name: "tiny", tag: "v1"), options: .deep).failures, [])
    }

    func testCollect_PartialFiles_StaleOnesGoHeldOnesStay() throws {
        try FileSystem.makeDirectories(store.partialDirectory)
        let stale = store.partialDirectory + "/" + SHA256.digest([1]).hex
        try FileSystem.writeAtomically([UInt8](repeating: 7, count: 1000), to: stale)
        let held = try XCTUnwrap(try ExclusiveFile.open(store.partialDirectory + "/" + SHA256.digest([2]).hex, create: true, wait: true))
        try [UInt8](repeating: 1, count: 10).withUnsafeBytes { try held.write($0, at: 0) }

        let dry = try store.collectGarbage(dryRun: true)
        XCTAssertEqual(dry.deletedPartials, ["partial/" + SHA256.digest([1]).hex])
        XCTAssertEqual(FileSystem.kind(of: stale), .regular, "a dry run deletes nothing")

        let report = try store.collectGarbage()
        XCTAssertEqual(report.deletedPartials, ["partial/" + SHA256.digest([1]).hex])
        XCTAssertEqual(report.partialByteCount, 1000)
        XCTAssertEqual(report.livePartialCount, 1)
        XCTAssertEqual(FileSystem.kind(of: stale), .missing)
        XCTAssertEqual(FileSystem.kind(of: held.path), .regular)
    }

    func testCollect_StagingFolders_OfGoneProcessesOnly() throws {
        try FileSystem.makeDirectories(store.tmpDirectory)
        let gone = try exitedProcessID()
        let dead = store.tmpDirectory + "/import.\(gone).12345"
        let alive = store.tmpDirectory + "/import.\(getpid()).12345"
        for path in [dead, alive] {
            try FileSystem.makeDirectories(path)
            try FileSystem.writeAtomically([UInt8](repeating: 0, count: 300), to: path + "/blob")
        }
        let report = try store.collectGarbage()
        XCTAssertEqual(report.deletedStaging, ["import.\(gone).12345"])
        XCTAssertEqual(report.stagingByteCount, 300)
        XCTAssertEqual(FileSystem.kind(of: dead), .missing)
        XCTAssertEqual(FileSystem.kind(of: alive), .directory)
    }

    func testCollect_SessionOfAKilledProcess_IsStale() throws {
        // A session folder whose lock nobody holds is what `kill -9` leaves.
        let session = try sessionWithPublishedShard()
        let folder = session.directory
        let copy = store.tmpDirectory + "/transfer.1.2"
        try FileSystem.makeDirectories(copy)
        try FileSystem.writeAtomically(manifest.canonicalBytes, to: copy + "/manifest.json")
        try FileSystem.writeAtomically([], to: copy + "/lock")
        let report = try store.collectGarbage()
        XCTAssertEqual(report.deletedStaging, ["transfer.1.2"])
        XCTAssertEqual(report.liveTransferCount, 1)
        XCTAssertEqual(FileSystem.kind(of: folder), .directory)
        session.end()
    }

    /// The pid of a process that has exited (and been reaped).
    private func exitedProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
