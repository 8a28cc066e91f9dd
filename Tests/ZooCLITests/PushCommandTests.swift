import Foundation
import XCTest
import ZooFormat

final class PushCommandTests: RemoteCLITestCase {
    func testPush_ToARegistryThenPullIntoAnEmptyStore_SameModel() throws {
        let registry = try startRegistry()
        let manifest = try importBig(count: 2, megabytes: 1)
        let pushed = try run(["push", "big", "oci://\(registry.address)/team/big:v1", "--insecure"])
        let lines = pushed.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, pushed.stdout)
        XCTAssertTrue(lines[0].hasPrefix("Pushed \(manifest.digest) to oci://\(registry.address)/team/big:v1 (manifest sha256:"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("3 blobs sent, 0 already there (0 B); 2.1 MB sent in "), lines[1])

        let again = try run(["push", "big", "oci://\(registry.address)/team/big:v1", "--insecure", "--json"])
        let report = try json(again.stdout)
        XCTAssertEqual(report["uploaded"], 0)
        XCTAssertEqual(report["skippedBlobs"], 3)

        let other = ZooProcess(home: scratch + "/target")
        let pulled = try other.run(["pull", "oci://\(registry.address)/team/big:v1", "--insecure", "--name", "copy"])
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
        XCTAssertEqual(pulled.stdout.split(separator: "\n").first.map(String.init), "Pulled copy:latest (\(manifest.digest))")
    }

    func testPush_LoopbackRegistryWithoutSchemeOrInsecure_SpeaksPlainHTTP() throws {
        let registry = try startRegistry()
        let manifest = try importBig(count: 1, megabytes: 1)
        let port = registry.address.split(separator: ":").last.map(String.init) ?? ""
        let pushed = try run(["push", "big", "localhost:\(port)/team/big:v1"])
        XCTAssertTrue(pushed.stdout.hasPrefix("Pushed \(manifest.digest) to oci://localhost:\(port)/team/big:v1"), pushed.stdout)
        let other = ZooProcess(home: scratch + "/target")
        let pulled = try other.run(["pull", "\(registry.address)/team/big:v1"])
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
    }

    func testPush_KilledMidTransfer_NextPushSendsOnlyWhatTheRegistryLacks() throws {
        let registry = try startRegistry()
        let manifest = try importBig(count: 4, megabytes: 30)
        let proxy = try startProxy(upstream: registry.address)
        let destination = "oci://\(proxy.address)/big"
        let slow = try start(zoo, ["push", "big", destination, "--insecure", "--jobs", "1", "--limit-rate", "20MB"])
        XCTAssertTrue(try wait(while: slow) { try proxy.stats().uploaded >= 75 << 20 }, "the push got past two blobs")
        kill(slow.processIdentifier, SIGKILL)
        slow.waitUntilExit()
        let sentBefore = try proxy.stats().uploaded
        let total = manifest.totalByteCount + manifest.canonicalBytes.count
        XCTAssertLessThan(sentBefore, total, "killed mid-transfer")

        try proxy.reset()
        let resumed = try run(["push", "big", destination, "--insecure", "--json"])
        let report = try json(resumed.stdout)
        XCTAssertGreaterThanOrEqual(Int(report["skippedBlobs"]?.integerValue ?? 0), 2, resumed.stdout)
        let sentAfter = try proxy.stats().uploaded
        XCTAssertLessThanOrEqual(sentAfter, total - (60 << 20) + (16 << 10),
                                 "the blobs the registry had were not sent again (16 KiB: the OCI manifest)")

        let other = ZooProcess(home: scratch + "/target")
        XCTAssertEqual(try other.run(["pull", "oci://\(registry.address)/big", "--insecure"]).status, 0)
        XCTAssertEqual(try other.run(["verify", "big", "--deep"]).status, 0)
    }

    func testPush_ConnectionDroppedBetweenChunks_NextPushAsksTheRegistryAndContinues() throws {
        let registry = try startRegistry()
        let manifest = try importBig(count: 1, megabytes: 100)
        let proxy = try startProxy(upstream: registry.address)
        try proxy.failPatch(2)
        let destination = "oci://\(proxy.address)/big"
        let failed = try run(["push", "big", destination, "--insecure", "--jobs", "1"], expect: 1)
        assertErrorLine(failed, contains: ["registry answered 503 UNAVAILABLE: connection dropped by the test proxy for PATCH",
                                           "/v2/big/blobs/uploads/", "?<redacted>"])
        XCTAssertFalse(failed.stderr.contains("_state"), "the session token is not printed: \(failed.stderr)")
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/tmp/uploads").count, 1, "the upload's location is kept")

        try proxy.reset()
        let resumed = try run(["push", "big", destination, "--insecure", "--json"])
        let report = try json(resumed.stdout)
        XCTAssertEqual(report["resumed"], .integer(64 << 20), "the first 64 MiB chunk the registry holds is not sent again")
        let length = manifest.shards[0].length
        XCTAssertLessThanOrEqual(try proxy.stats().uploaded, length - (64 << 20) + (64 << 10))
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/tmp/uploads"), [])

        let other = ZooProcess(home: scratch + "/target")
        XCTAssertEqual(try other.run(["pull", "oci://\(registry.address)/big", "--insecure"]).status, 0)
        XCTAssertEqual(try other.run(["verify", "big", "--deep"]).status, 0)
    }

    func testPush_ModelWithAOneByteShard_GoesUpWholeAndPullsBack() throws {
        let registry = try startRegistry()
        let path = scratch + "/one"
        let writer = try CheckpointWriter(destination: path, name: "one", architecture: Architecture(family: .autoregressive, type: "gpt2"))
        try writer.addTensor(name: "flag", dtype: .u8, shape: [1], bytes: [0x2A])
        let manifest = try writer.finish()
        XCTAssertEqual(manifest.shards.map(\.length), [1])
        try run(["import", path, "--name", "one"])
        let pushed = try run(["push", "one", "oci://\(registry.address)/one", "--insecure", "--json"])
        let report = try json(pushed.stdout)
        XCTAssertEqual(report["uploadedBlobs"], 2, pushed.stdout)

        let other = ZooProcess(home: scratch + "/target")
        let pulled = try other.run(["pull", "oci://\(registry.address)/one", "--insecure"])
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
        XCTAssertEqual(pulled.stdout.split(separator: "\n").first.map(String.init), "Pulled one:latest (\(manifest.digest))")
        XCTAssertEqual(try other.run(["verify", "one", "--deep"]).status, 0)
    }

    func testPush_ToANewFolder_MakesALayoutListedAndPulledByPath() throws {
        let manifest = try importBig(count: 1, megabytes: 1)
        let layout = scratch + "/shared"
        let pushed = try run(["push", "big", layout + ":models/big:v2"])
        XCTAssertTrue(pushed.stdout.hasPrefix("Pushed \(manifest.digest) to \(layout):models/big:v2"), pushed.stdout)
        XCTAssertEqual(FileSystem.kind(of: layout + "/oci-layout"), .regular)
        let listed = try run(["list", "--remote", layout])
        XCTAssertEqual(listed.stdout.split(separator: "\n").count, 2)
        XCTAssertTrue(listed.stdout.contains("models/big   v2    \(manifest.digest.hex.prefix(12))   1.0 MB   gpt2 (autoregressive)"), listed.stdout)
        let other = ZooProcess(home: scratch + "/target")
        XCTAssertEqual(try other.run(["pull", "file://" + layout + ":models/big:v2"]).status, 0)
        XCTAssertEqual(try other.run(["show", "models/big:v2"]).status, 0)
    }

    /// `--limit-rate` caps each blob copy to and from a folder too, as it does for registries:
    /// 4 MiB at 8 MB/s cannot take less than about half a second (a lower bound only).
    func testPushAndPull_FolderWithLimitRate_TakeAtLeastTheBytesOverTheRate() throws {
        try importBig(count: 1, megabytes: 4)
        let layout = scratch + "/shared"
        var started = Date()
        try run(["push", "big", layout + ":big", "--limit-rate", "8MB"])
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.4)
        let other = ZooProcess(home: scratch + "/target")
        started = Date()
        XCTAssertEqual(try other.run(["pull", "file://" + layout + ":big", "--limit-rate", "8MB"]).status, 0)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.4)
        XCTAssertEqual(try other.run(["verify", "big", "--deep"]).status, 0)
    }

    func testPush_UnknownModel_ExitsOne() throws {
        let result = try run(["push", "nothing", scratch + "/shared"], expect: 1)
        assertErrorLine(result, contains: ["Error: no model nothing:latest in the store"])
    }
}
