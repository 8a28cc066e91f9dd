import Foundation
import XCTest
import ZooFormat

final class DiffCommandTests: CLITestCase {
    /// Writes a checkpoint of F32 (or given dtype) tensors and imports it as `name`; returns its digest.
    private func importModel(_ name: String, _ tensors: [(String, DType, [Int], [UInt8])]) throws -> String {
        let path = scratch + "/" + name
        let writer = try CheckpointWriter(destination: path, name: name, architecture: Architecture(family: .other, type: "test"))
        for (tensorName, dtype, shape, bytes) in tensors {
            try bytes.withUnsafeBytes { try writer.addTensor(name: tensorName, dtype: dtype, shape: shape, bytes: $0) }
        }
        try writer.finish()
        let digest = try run(["import", path, "--name", name]).importedDigest
        XCTAssertTrue(digest.hasPrefix("sha256:"), digest)
        return digest
    }

    private func f32(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    private func importPair() throws -> (String, String) {
        let a = try importModel("a", [
            ("same", .f32, [4], f32([1, 2, 3, 4])), ("w", .f32, [2], f32([1, 2])), ("gone", .f32, [1], f32([0])),
            ("grow", .f32, [2], f32([0, 0])), ("ids", .i32, [1], [1, 0, 0, 0]),
        ])
        let b = try importModel("b", [
            ("same", .f32, [4], f32([1, 2, 3, 4])), ("w", .f32, [2], f32([1, 2.5])), ("grow", .f32, [3], f32([0, 0, 0])),
            ("ids", .i32, [1], [2, 0, 0, 0]), ("new", .f32, [2], f32([7, 7])),
        ])
        return (a, b)
    }

    func testDiff_Text_SummaryAndOneRowPerDifference() throws {
        let (a, b) = try importPair()
        let text = try run(["diff", "a", "b"]).stdout
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(Array(lines.prefix(7)), [
            "from:        \(a)  a:latest",
            "to:          \(b)  b:latest",
            "added:       1",
            "removed:     1",
            "changed:     3",
            "unchanged:   1 (16 B, 16 bytes)",
            "",
        ])
        XCTAssertEqual(Array(lines.dropFirst(7)), [
            "CHANGE    NAME   BEFORE    AFTER     MAX ABS DIFF",
            "added     new    -         F32 [2]   -",
            "removed   gone   F32 [1]   -         -",
            "changed   w      F32 [2]   F32 [2]   0.5",
            "changed   grow   F32 [2]   F32 [3]   shape changed",
            "changed   ids    I32 [1]   I32 [1]   n/a (not floating point)",
            "",
        ])
    }

    func testDiff_JSON_EveryListAndCount() throws {
        let (a, b) = try importPair()
        let value = try json(try run(["diff", String(a.dropFirst(7).prefix(10)), "b:latest", "--json"]).stdout)
        XCTAssertEqual(value["from"]?["digest"]?.stringValue, a)
        XCTAssertEqual(value["to"]?["digest"]?.stringValue, b)
        XCTAssertEqual(value["to"]?["refs"], ["b:latest"])
        XCTAssertEqual(value["added"]?.arrayValue?.map { $0["name"] }, ["new"])
        XCTAssertEqual(value["added"]?.arrayValue?.first?["shape"], [2])
        XCTAssertEqual(value["removed"]?.arrayValue?.map { $0["name"] }, ["gone"])
        let changed = try XCTUnwrap(value["changed"]?.arrayValue)
        XCTAssertEqual(changed.map { $0["name"] }, ["w", "grow", "ids"])
        XCTAssertEqual(changed.map { $0["maxAbsDifference"] }, [0.5, .null, .null])
        XCTAssertEqual(changed[1]["before"]?["shape"], [2])
        XCTAssertEqual(changed[1]["after"]?["shape"], [3])
        XCTAssertEqual(changed[0]["nonFiniteDifference"], false)
        XCTAssertEqual(value["unchanged"], ["count": 1, "bytes": 16])
    }

    func testDiff_SameModel_NoRows() throws {
        let (a, _) = try importPair()
        let text = try run(["diff", "a", a]).stdout
        XCTAssertTrue(text.contains("changed:     0\nunchanged:   5 (40 B, 40 bytes)\n"), text)
        XCTAssertFalse(text.contains("CHANGE"))
    }

    func testDiff_UnknownModel_Exit1() throws {
        _ = try importPair()
        let result = try run(["diff", "a", "nope"], expect: 1)
        XCTAssertEqual(result.stderr, "Error: no model nope:latest in the store\n")
    }

    func testDiff_MissingArgument_Exit2() throws {
        let result = try run(["diff", "a"], expect: 2)
        XCTAssertTrue(result.stderr.contains("Missing expected argument '<b>'"), result.stderr)
    }
}
