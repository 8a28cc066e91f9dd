import Foundation
import XCTest
import ZooFormat

final class ListCommandTests: CLITestCase {
    func testList_EmptyStore_HeaderOnly() throws {
        XCTAssertEqual(try run(["list"]).stdout, "NAME   TAG   DIGEST   SIZE   CREATED   USED   ARCHITECTURE\n")
        XCTAssertEqual(try run(["list", "--json"]).stdout, "[]\n")
    }

    func testList_Table_ShowsNameTagShortDigestSizeTimesArchitecture() throws {
        let digest = try importBertTiny(["--name", "bert-tiny:v1"])
        try setModified(storeRoot + "/refs/bert-tiny/v1", to: 1_700_000_000)  // 2023-11-14T22:13:20Z
        try FileSystem.removeTree(storeRoot + "/index")  // rebuilt: created comes from the ref file
        let lines = try run(["list"]).stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines[0], "NAME        TAG   DIGEST         SIZE       CREATED      USED   ARCHITECTURE")
        XCTAssertEqual(lines[1], "bert-tiny   v1    \(digest.dropFirst(7).prefix(12))   823.1 kB   2023-11-14   -      bert (autoencoding)")
    }

    func testList_JSON_ParsesWithEveryField() throws {
        let digest = try importBertTiny()
        try setModified(storeRoot + "/refs/bert-tiny/latest", to: 1_700_000_000)
        try FileSystem.removeTree(storeRoot + "/index")
        let entries = try XCTUnwrap(try json(try run(["list", "--json"]).stdout).arrayValue)
        XCTAssertEqual(entries, [[
            "name": "bert-tiny", "tag": "latest", "reference": "bert-tiny:latest", "digest": .string(digest), "size": 823_069,
            "family": "autoencoding", "type": "bert", "parameterCount": 201_282, "problem": nil,
            "created": "2023-11-14T22:13:20Z", "lastUsed": nil,
        ]])
    }

    func testList_UsedColumn_SetByAReadOutNotByShowListOrVerify() throws {
        let digest = try importBertTiny()
        try run(["show", "bert-tiny"])
        try run(["list"])
        XCTAssertEqual(try json(try run(["list", "--json"]).stdout).arrayValue?.first?["lastUsed"], .null)
        let before = Int(time(nil))
        try run(["verify", "bert-tiny"])  // a check, not a use
        XCTAssertEqual(try json(try run(["list", "--json"]).stdout).arrayValue?.first?["lastUsed"], .null)
        try run(["export", "bert-tiny", "-o", scratch + "/out.zoo"])
        let used = try XCTUnwrap(try json(try run(["list", "--json"]).stdout).arrayValue?.first?["lastUsed"]?.stringValue)
        XCTAssertTrue(used.hasSuffix("Z") && used.count == 20, used)
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/index/used"), [String(digest.dropFirst(7))])
        XCTAssertGreaterThanOrEqual(try FileManager.default.attributesOfItem(atPath: storeRoot + "/index/used/" + digest.dropFirst(7))[.modificationDate]
            .flatMap { ($0 as? Date).map { Int($0.timeIntervalSince1970) } } ?? 0, before - 1)
        let row = try run(["list"]).stdout.split(separator: "\n")[1]
        XCTAssertTrue(row.contains("   just now   just now   ") || row.contains("minute"), String(row))
    }

    private func setModified(_ path: String, to seconds: Int) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0, path)
    }

    func testList_StoreWithoutIndex_SameOutputAndIndexRebuilt() throws {
        _ = try importBertTiny(["--name", "bert-tiny:v1"])
        try Fixtures.writeCheckpoint(at: scratch + "/cp", name: "other")
        try run(["import", scratch + "/cp"])
        let table = try run(["list"]).stdout
        let json = try run(["list", "--json"]).stdout
        try FileSystem.removeTree(storeRoot + "/index")  // a store an older zoo wrote
        XCTAssertEqual(try run(["list"]).stdout, table)
        XCTAssertEqual(FileSystem.kind(of: storeRoot + "/index/refs"), .regular, "written back")
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/index/models").count, 2)
        XCTAssertEqual(try run(["list", "--json"]).stdout, json)
    }

    func testList_Pattern_KeepsTheMatchingNamesAndTags() throws {
        _ = try importBertTiny()
        _ = try importBertTiny(["--name", "team/copy:v1"])
        XCTAssertEqual(try json(try run(["list", "bert*", "--json"]).stdout).arrayValue?.compactMap { $0["name"]?.stringValue },
                       ["bert-tiny"])
        XCTAssertEqual(try json(try run(["list", "*:v1", "--json"]).stdout).arrayValue?.compactMap { $0["name"]?.stringValue },
                       ["team/copy"])
        XCTAssertEqual(try run(["list", "nothing*", "--json"]).stdout, "[]\n")
        try run(["list", "x*", "--hf"], expect: 2)
    }

    func testDiskUsage_CountsSharedUniqueAndReclaimableBytes() throws {
        let digest = try importBertTiny()
        _ = try importBertTiny(["--name", "copy:v1"])  // the same model: one line, both refs
        let usage = try json(try run(["du", "--json"]).stdout)
        let models = try XCTUnwrap(usage["models"]?.arrayValue)
        XCTAssertEqual(models.count, 1)
        XCTAssertEqual(models[0]["digest"], .string(digest))
        XCTAssertEqual(models[0]["refs"], ["bert-tiny:latest", "copy:v1"])
        XCTAssertEqual(models[0]["size"], usage["blobSize"], "every blob is the model's")
        XCTAssertEqual(models[0]["uniqueSize"], models[0]["size"])
        XCTAssertEqual(usage["sharedSize"], 0)
        XCTAssertEqual(usage["unreachableSize"], 0)

        // A converted copy shares the assets (same bytes, same blobs), not the tensors.
        try run(["convert", "bert-tiny", "--dtype", "f16"])
        let both = try json(try run(["du", "--json"]).stdout)
        let shared = try XCTUnwrap(both["sharedSize"]?.integerValue)
        XCTAssertGreaterThan(shared, 0)
        for model in try XCTUnwrap(both["models"]?.arrayValue) {
            XCTAssertEqual(model["uniqueSize"]?.integerValue, (model["size"]?.integerValue ?? 0) - shared, "\(model)")
        }

        try run(["rm", "bert-tiny", "copy:v1", "bert-tiny-f16"])
        let empty = try json(try run(["du", "--json"]).stdout)
        XCTAssertEqual(empty["models"], [])
        XCTAssertEqual(empty["blobs"], 0)
        XCTAssertTrue(try run(["du"]).stdout.contains("0 blobs, 0 B"), "the table's totals line")
    }
}
