import Foundation
import XCTest
import ZooFormat

/// A test with its own scratch directory and an empty store in it (`ZOO_HOME`).
class CLITestCase: XCTestCase {
    var scratch = ""
    var zoo = ZooProcess(home: "")
    var storeRoot: String { zoo.home }

    override func setUpWithError() throws {
        scratch = try Fixtures.makeTemporaryDirectory()
        zoo = ZooProcess(home: scratch + "/store")
    }

    override func tearDownWithError() throws {
        try FileSystem.removeTree(scratch)
    }

    /// Runs zoo and checks its exit status.
    @discardableResult
    func run(_ arguments: [String], expect status: Int32 = 0, file: StaticString = #filePath, line: UInt = #line)
        throws -> ZooProcess.Result
    {
        let result = try zoo.run(arguments)
        XCTAssertEqual(result.status, status, "zoo \(arguments.joined(separator: " "))\nstdout: \(result.stdout)\nstderr: \(result.stderr)",
                       file: file, line: line)
        return result
    }

    /// Imports bert-tiny and returns its digest (from the one line zoo prints,
    /// `Imported NAME:TAG sha256:...`).
    func importBertTiny(_ extra: [String] = []) throws -> String {
        let result = try run(["import", try Fixtures.bertTiny()] + extra)
        let digest = result.importedDigest
        XCTAssertTrue(digest.hasPrefix("sha256:") && digest.count == 71, digest)
        XCTAssertTrue(result.stdout.hasPrefix("Imported ") && result.stdout.hasSuffix(" " + digest + "\n"), result.stdout)
        XCTAssertEqual(result.stdout.filter { $0 == "\n" }.count, 1, "one line on stdout")
        return digest
    }

    /// Parses JSON output.
    func json(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        do {
            return try JSONValue(parsing: Array(text.utf8))
        } catch {
            XCTFail("not JSON (\(error)): \(text)", file: file, line: line)
            throw error
        }
    }

    /// Asserts stderr is exactly one `Error: ...` line containing every fragment.
    func assertErrorLine(_ result: ZooProcess.Result, contains fragments: [String],
                         file: StaticString = #filePath, line: UInt = #line)
    {
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 2, "one line and its newline: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("Error: "), result.stderr, file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(result.stderr.contains(fragment), "\(fragment) not in: \(result.stderr)", file: file, line: line)
        }
    }
}
