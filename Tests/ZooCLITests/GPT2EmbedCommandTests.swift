import Foundation
import XCTest
import ZooFormat

/// `zoo embed --ids` on a GPT-2 checkpoint (the transformers fixture of Tests/Fixtures/gpt2).
final class GPT2EmbedCommandTests: CLITestCase {
    static func fixtureFolder(file: StaticString = #filePath) -> String {
        URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/gpt2").path
    }

    func testEmbed_GPT2IDs_UnitVectorsSameAsJSONAndBatchSizeOne() throws {
        try run(["import", Self.fixtureFolder(), "--name", "gpt2-tiny"])
        let text = try run(["embed", "gpt2-tiny", "--ids", "7 99 250", "13,42", "--batch-size", "1"])
        let lines = text.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let json = try self.json(try run(["embed", "gpt2-tiny", "--ids", "--json", "7 99 250", "13,42"]).stdout)
        XCTAssertEqual(json["dimension"], .integer(64))
        XCTAssertEqual(json["maxLength"], .integer(64))
        let entries = try XCTUnwrap(json["embeddings"]?.arrayValue)
        XCTAssertEqual(entries.map { $0["tokens"] }, [.integer(3), .integer(2)])
        for (entry, line) in zip(entries, lines) {
            let numbers = try XCTUnwrap(entry["embedding"]?.arrayValue).compactMap { $0.doubleValue.map(Float.init) }
            let printed = line.split(separator: " ").compactMap { Float($0) }
            XCTAssertEqual(numbers.count, 64)
            XCTAssertEqual(printed.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
            XCTAssertLessThanOrEqual(zip(numbers, printed).map { abs($0 - $1) }.max() ?? 1, 1e-6)
        }
    }

    func testEmbed_GPT2WithoutIDsOrWithBadIDs_FailsWithAHint() throws {
        try run(["import", Self.fixtureFolder(), "--name", "gpt2-tiny"])
        let text = try run(["embed", "gpt2-tiny", "hello"], expect: 2)
        XCTAssertTrue(text.stderr.contains("is a GPT-2 model: pass token ids with --ids"), text.stderr)
        let word = try run(["embed", "gpt2-tiny", "--ids", "7 x"], expect: 2)
        XCTAssertTrue(word.stderr.contains("'x' is not a token id"), word.stderr)
        let outside = try run(["embed", "gpt2-tiny", "--ids", "7 600"], expect: 1)
        XCTAssertTrue(outside.stderr.contains("input_ids entry 1 is 600, outside 0..<512"), outside.stderr)
    }
}
