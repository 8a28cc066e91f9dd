import Foundation
import XCTest
import ZooFormat

final class RemoveCommandTests: CLITestCase {
    func testRm_OnlyModel_RemovesRefAndBlobs() throws {
        let digest = try importBertTiny()
        let result = try run(["rm", "bert-tiny"])
        XCTAssertEqual(result.stdout, "Untagged: bert-tiny:latest (\(digest))\nDeleted 8 blobs (823.1 kB)\n")
        XCTAssertEqual(try run(["list", "--json"]).stdout, "[]\n")
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/blobs/sha256"), [])
    }

    func testRm_OneOfTwoTags_KeepsBlobs() throws {
        _ = try importBertTiny()
        _ = try importBertTiny(["--name", "copy:v1"])
        XCTAssertTrue(try run(["rm", "copy:v1"]).stdout.hasSuffix("Deleted 0 blobs (0 B)\n"))
        try run(["verify", "bert-tiny"])
    }

    func testRm_Unknown_Exit1StoreUnchanged() throws {
        _ = try importBertTiny()
        let before = Fixtures.listing(storeRoot)
        let result = try run(["rm", "bert-tiny:v2"], expect: 1)
        XCTAssertEqual(result.stderr, "Error: no model bert-tiny:v2 in the store\n")
        XCTAssertEqual(Fixtures.listing(storeRoot), before)
    }

    func testRm_DryRun_ReportsWhatWouldGoAndChangesNothing() throws {
        let digest = try importBertTiny()
        let before = Fixtures.listing(storeRoot)
        let result = try run(["rm", "bert-tiny", "--dry-run"])
        XCTAssertEqual(result.stdout, "Would untag: bert-tiny:latest (\(digest))\nWould delete 8 blobs (823.1 kB)\n")
        XCTAssertEqual(Fixtures.listing(storeRoot), before)
        XCTAssertEqual(try run(["rm", "bert-tiny"]).stdout, "Untagged: bert-tiny:latest (\(digest))\nDeleted 8 blobs (823.1 kB)\n")
    }

    func testRm_SeveralReferences_RemovesEachAndReportsTheUnknownOne() throws {
        _ = try importBertTiny()
        _ = try importBertTiny(["--name", "copy:v1"])
        let result = try run(["rm", "copy:v1", "nothing", "bert-tiny"], expect: 1)
        XCTAssertEqual(result.stderr, "Error: no model nothing:latest in the store\n")
        XCTAssertTrue(result.stdout.contains("Untagged: copy:v1") && result.stdout.contains("Untagged: bert-tiny:latest"), result.stdout)
        XCTAssertEqual(try run(["list", "--json"]).stdout, "[]\n")
    }

    func testRm_JSON_OneObjectPerReference() throws {
        let digest = try importBertTiny()
        let reports = try XCTUnwrap(try json(try run(["rm", "bert-tiny", "--json"]).stdout).arrayValue)
        XCTAssertEqual(reports.count, 1)
        XCTAssertEqual(reports[0]["untagged"]?.arrayValue?.first?["digest"], .string(digest))
        XCTAssertEqual(reports[0]["deletedBlobs"], 8)
        XCTAssertEqual(reports[0]["dryRun"], false)
    }

    func testRm_ShortPrefix_Exit2() throws {
        let result = try run(["rm", "sha256:ab"], expect: 2)
        XCTAssertTrue(result.stderr.contains("a digest prefix needs at least 4 hex digits"), result.stderr)
    }
}
