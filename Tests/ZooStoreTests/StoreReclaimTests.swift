#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
import ZooFormat
@testable import ZooStore

/// ``Store/reclaimInterruptedWork()``: staging whose owner lock is free goes, live staging stays.
final class StoreReclaimTests: StoreTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try store.prepareForTest()
    }

    /// The pid of a process that has exited (and been reaped).
    private func deadPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// A staging-like folder `tmp/<name>` with an owner file and `bytes` bytes of data.
    private func makeEntry(_ name: String, bytes: Int, ownerFile: Bool = true) throws -> String {
        let path = store.tmpDirectory + "/" + name
        try FileSystem.makeDirectories(path + "/checkpoint/shards")
        try FileSystem.writeAtomically([UInt8](repeating: 7, count: bytes), to: path + "/checkpoint/shards/00000.bin")
        if ownerFile { try FileSystem.writeAtomically([], to: path + "/" + StagingDirectory.ownerFile) }
        return path
    }

    func testReclaim_FreeOwnerLock_RemovedEvenWhenPidIsAlive() throws {
        // Our own pid is alive, but nobody holds the lock: the lock decides.
        let dead = try makeEntry("import.\(getpid()).12345", bytes: 3000)
        XCTAssertEqual(try store.reclaimInterruptedWork(), 3000)
        XCTAssertEqual(FileSystem.kind(of: dead), .missing)
        XCTAssertEqual(try store.reclaimInterruptedWork(), 0, "nothing left to reclaim")
    }

    func testReclaim_HeldOwnerLock_KeptEvenWhenPidIsGone() throws {
        let live = try makeEntry("import.\(try deadPid()).777", bytes: 500)
        let held = try XCTUnwrap(try ExclusiveFile.open(live + "/" + StagingDirectory.ownerFile, create: false, wait: false))
        XCTAssertEqual(try store.reclaimInterruptedWork(), 0)
        XCTAssertEqual(FileSystem.kind(of: live + "/checkpoint/shards/00000.bin"), .regular)
        withExtendedLifetime(held) {}
    }

    func testReclaim_LiveStagingDirectoryAndDeadOne_OnlyDeadRemoved() throws {
        let live = try store.makeStagingDirectory(prefix: "convert")
        defer { live.remove() }
        try FileSystem.writeAtomically([UInt8](repeating: 1, count: 100), to: live.path + "/part")
        let dead = try makeEntry("extract.\(try deadPid()).99", bytes: 2048)

        XCTAssertEqual(try store.reclaimInterruptedWork(), 2048)
        XCTAssertEqual(FileSystem.kind(of: dead), .missing)
        XCTAssertEqual(FileSystem.kind(of: live.path + "/part"), .regular)
        XCTAssertEqual(try store.collectGarbage().stagingByteCount, 0, "gc keeps the live one too")
        XCTAssertEqual(FileSystem.kind(of: live.path + "/part"), .regular)
    }

    func testReclaim_NoOwnerFile_JudgedByPid() throws {
        let dead = try makeEntry("import.\(try deadPid()).5", bytes: 64, ownerFile: false)
        let alive = try makeEntry("import.\(getpid()).6", bytes: 32, ownerFile: false)
        let unnamed = try makeEntry("by-hand", bytes: 16, ownerFile: false)
        XCTAssertEqual(try store.reclaimInterruptedWork(), 64)
        XCTAssertEqual(FileSystem.kind(of: dead), .missing)
        XCTAssertEqual(FileSystem.kind(of: alive), .directory)
        XCTAssertEqual(FileSystem.kind(of: unnamed), .directory, "no owner to ask: left to gc's age rule")
    }

    func testReclaim_PartialDownloadsAndLiveSessions_Kept() throws {
        try FileSystem.makeDirectories(store.partialDirectory)
        let partial = store.partialDirectory + "/" + String(repeating: "a", count: 64)
        try FileSystem.writeAtomically([UInt8](repeating: 3, count: 4096), to: partial)
        XCTAssertEqual(try store.reclaimInterruptedWork(), 0)
        XCTAssertEqual(FileSystem.kind(of: partial), .regular, "a later pull resumes it")
    }

    func testReclaim_StoreWithoutTmp_NothingCreated() throws {
        let fresh = Store(root: scratch + "/fresh")
        XCTAssertEqual(try fresh.reclaimInterruptedWork(), 0)
        XCTAssertEqual(FileSystem.kind(of: fresh.root), .missing)
    }

    func testReclaim_AfterKilledChildImport_FreesItsStagingOnly() throws {
        let source = scratch + "/big"
        try TestCheckpoints.writeLarge(at: source, megabytes: 64, tensorMegabytes: 8, shardMegabytes: 32)
        let live = try store.makeStagingDirectory(prefix: "import")
        defer { live.remove() }
        try FileSystem.writeAtomically([UInt8](repeating: 9, count: 1000), to: live.path + "/blob")

        // Kill -9 a real `zoo import` once it has staged some bytes.
        let process = try ZooBinary.start(["import", source, "--name", "big:x"], home: store.root)
        let deadline = Date().addingTimeInterval(60)
        var staged = 0
        while process.isRunning && Date() < deadline {
            staged = stagedBytes(excluding: live.path)
            if staged >= 1 << 20 { break }
            usleep(2000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the import finished before it could be killed")
        let left = stagedBytes(excluding: live.path)
        XCTAssertGreaterThan(left, 0, "the kill left staging behind")

        XCTAssertEqual(try store.reclaimInterruptedWork(), left)
        XCTAssertEqual(stagedBytes(excluding: live.path), 0)
        XCTAssertEqual(FileSystem.kind(of: live.path + "/blob"), .regular, "the live staging is kept")
    }

    /// Bytes under `tmp/` outside `excluded`.
    private func stagedBytes(excluding excluded: String) -> Int {
        let names = (try? FileSystem.listDirectory(store.tmpDirectory)) ?? []
        return names.filter { store.tmpDirectory + "/" + $0 != excluded }
            .reduce(0) { $0 + Store.byteCount(under: store.tmpDirectory + "/" + $1) }
    }
}
