import Foundation
import XCTest
import ZooFormat

final class GCCommandTests: RemoteCLITestCase {
    func testGC_CleanStore_FreesNothing() throws {
        try importBig(count: 1, megabytes: 1)
        XCTAssertEqual(try run(["gc"]).stdout, """
            Deleted 0 unreferenced blobs (0 B)
            Deleted 0 stale partial transfers (0 B)
            Deleted 0 stale staging entries (0 B)
            Freed 0 B

            """)
        XCTAssertEqual(try run(["verify", "big"]).status, 0)
    }

    func testGC_AfterAKilledPull_DeletesItsPartialAndUnnamedBlobs() throws {
        let registry = try startRegistry()
        let manifest = try importBig(count: 3, megabytes: 16)
        try run(["push", "big", "oci://\(registry.address)/big", "--insecure"])
        let other = ZooProcess(home: scratch + "/target")
        let slow = try start(other, ["pull", "oci://\(registry.address)/big", "--insecure", "--jobs", "1", "--limit-rate", "16MB"])
        let published = { (try? FileSystem.listDirectory(other.home + "/blobs/sha256").count) ?? 0 }
        XCTAssertTrue(wait(while: slow) { published() >= 1 && ((try? FileSystem.listDirectory(other.home + "/tmp/partial").count) ?? 0) >= 1 })
        kill(slow.processIdentifier, SIGKILL)
        slow.waitUntilExit()

        let report = try json(try other.run(["gc", "--json"]).stdout)
        XCTAssertGreaterThanOrEqual(report["blobs"]?.arrayValue?.count ?? 0, 1, "\(report)")
        XCTAssertEqual(report["partials"]?.arrayValue?.count, 1)
        XCTAssertEqual(report["staging"]?.arrayValue?.count, 1, "the killed pull's session folder")
        XCTAssertEqual(try FileSystem.listDirectory(other.home + "/blobs/sha256"), [])
        XCTAssertEqual(try FileSystem.listDirectory(other.home + "/tmp/partial"), [])
        XCTAssertEqual(manifest.shards.count, 3)
    }

    func testGC_BesideARunningPull_DeletesNothingItNeeds() throws {
        let registry = try startRegistry()
        try importBig(count: 3, megabytes: 16)
        try run(["push", "big", "oci://\(registry.address)/big", "--insecure"])
        let other = ZooProcess(home: scratch + "/target")
        let slow = try start(other, ["pull", "oci://\(registry.address)/big", "--insecure", "--jobs", "1", "--limit-rate", "16MB"])
        var sawLiveTransfer = false
        var collections = 0
        while slow.isRunning {
            let result = try other.run(["gc", "--json"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let report = try json(result.stdout)
            XCTAssertEqual(report["blobs"], .array([]), "nothing the pull needs")
            XCTAssertEqual(report["partials"], .array([]))
            if report["liveTransfers"] == 1 { sawLiveTransfer = true }
            collections += 1
            usleep(200_000)
        }
        slow.waitUntilExit()
        XCTAssertEqual(slow.terminationStatus, 0)
        XCTAssertTrue(sawLiveTransfer, "gc ran while the pull was registered (\(collections) runs)")
        XCTAssertEqual(try other.run(["verify", "big", "--deep"]).status, 0)
    }
}
