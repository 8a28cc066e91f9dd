import Foundation
import XCTest
import ZooFormat

final class TagCommandTests: CLITestCase {
    func testTag_StoredModel_NewNamePointsAtTheSameDigest() throws {
        try Fixtures.writeCheckpoint(at: scratch + "/m")
        let digest = try run(["import", scratch + "/m", "--name", "tiny"]).importedDigest
        XCTAssertEqual(try run(["tag", "tiny", "team/tiny:v1"]).stdout, "Tagged team/tiny:v1 (\(digest))\n")
        let listed = try json(try run(["list", "--json"]).stdout)
        XCTAssertEqual(listed.arrayValue?.map { "\($0["name"]?.stringValue ?? ""):\($0["tag"]?.stringValue ?? "")" },
                       ["team/tiny:v1", "tiny:latest"])
        XCTAssertEqual(Set(listed.arrayValue?.compactMap { $0["digest"]?.stringValue } ?? []), [digest])
        try run(["rm", "tiny"])
        XCTAssertEqual(try run(["verify", "team/tiny:v1"]).status, 0, "the blobs stay while a name needs them")
    }

    func testTag_UnknownSource_ExitsOne() throws {
        assertErrorLine(try run(["tag", "nothing", "other"], expect: 1), contains: ["Error: no model nothing:latest in the store"])
    }

    func testTag_DigestAsTarget_IsAUsageError() throws {
        let result = try run(["tag", "a", "sha256:" + String(repeating: "a", count: 64)], expect: 2)
        XCTAssertTrue(result.stderr.contains("DST takes NAME[:TAG], not a digest"), result.stderr)
    }

    func testTag_JSON_NamesTheTagAndTheModel() throws {
        let digest = try importBertTiny()
        let tagged = try json(try run(["tag", "bert-tiny", "copy:v2", "--json"]).stdout)
        XCTAssertEqual(tagged, .object(["tagged": "copy:v2", "digest": .string(digest)]))
    }
}
