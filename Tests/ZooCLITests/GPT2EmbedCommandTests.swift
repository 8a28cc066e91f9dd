import Foundation
import XCTest
import ZooFormat

/// `zoo embed` on a GPT-2 checkpoint (the transformers fixture of Tests/Fixtures/gpt2): token ids
/// with --ids, and texts when it carries the BPE tokenizer of Tests/Fixtures/gpt2-tokenizer.
final class GPT2EmbedCommandTests: CLITestCase {
    static func fixtureFolder() -> String { fixtureRoot + "/gpt2" }

    /// The printed lines of `embed` as numbers, one vector a line.
    func vectors(_ stdout: String) -> [[Float]] {
        stdout.split(separator: "\n").map { $0.split(separator: " ").compactMap { Float($0) } }
    }

    func assertClose(_ a: [Float], _ b: [Float], accuracy: Float, _ message: String, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, line: line)
        XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max() ?? .infinity, accuracy, message, line: line)
    }

    func testEmbed_GPT2Texts_SameAsTheirIDsAndTransformersTokenIDs() throws {
        try importGPT2(name: "gpt2-text", tokenizer: true)
        // The model has 64 positions: a longer text is truncated to its first 64 tokens.
        let cases = try XCTUnwrap(try reference("gpt2-tokenizer/reference.json")["cases"]?.arrayValue)
            .filter { ($0["ids"]?.arrayValue?.count ?? 0) > 0 && $0["text"]?.stringValue?.contains("\0") == false }  // argv has no NUL
        XCTAssertGreaterThanOrEqual(cases.count, 3)
        XCTAssertTrue(cases.contains { ($0["ids"]?.arrayValue?.count ?? 0) > 64 }, "a case longer than the positions")
        let texts = try cases.map { try XCTUnwrap($0["text"]?.stringValue) }
        let ids = try cases.map { try ints($0["ids"]) }
        let byText = try run(["embed", "gpt2-text"] + texts)
        XCTAssertEqual(byText.stderr, "")
        let byIDs = try run(["embed", "gpt2-text", "--ids"] + ids.map { $0.prefix(64).map(String.init).joined(separator: " ") })
        let textVectors = vectors(byText.stdout), idVectors = vectors(byIDs.stdout)
        XCTAssertEqual(textVectors.count, texts.count)
        XCTAssertEqual(idVectors.count, texts.count)
        guard textVectors.count == texts.count, idVectors.count == texts.count else { return }
        for (index, text) in texts.enumerated() {
            XCTAssertEqual(textVectors[index].count, 64, text)
            XCTAssertEqual(textVectors[index].reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5, text)
            assertClose(textVectors[index], idVectors[index], accuracy: 0, text)
        }
        // Different texts give different vectors (the test could not pass with a constant).
        XCTAssertNotEqual(textVectors[0], textVectors[1])
        // --max-length truncates the text's tokens.
        let truncated = try run(["embed", "gpt2-text", "--max-length", "2", texts[1]])
        let firstTwo = try run(["embed", "gpt2-text", "--ids", ids[1].prefix(2).map(String.init).joined(separator: " ")])
        XCTAssertEqual(truncated.stdout, firstTwo.stdout)
        XCTAssertNotEqual(vectors(truncated.stdout).first, textVectors[1])

        // --json has each text with transformers' ids for it; stdin (one text a line) gives the same.
        let json = try self.json(try run(["embed", "gpt2-text", "--json"] + texts).stdout)
        let entries = try XCTUnwrap(json["embeddings"]?.arrayValue)
        XCTAssertEqual(try entries.map { try XCTUnwrap($0["text"]?.stringValue) }, texts)
        XCTAssertEqual(try entries.map { try ints($0["ids"]) }, ids.map { Array($0.prefix(64)) })
        XCTAssertEqual(entries.map { $0["tokens"]?.integerValue.map(Int.init) }, ids.map { min($0.count, 64) })
        let isLine = { (text: String) in !text.contains("\n") && !text.contains("\r") }
        let lines = texts.filter(isLine)
        let stdin = try zoo.run(["embed", "gpt2-text", "-"], input: lines.joined(separator: "\n") + "\n")
        XCTAssertEqual(stdin.status, 0, stdin.stderr)
        XCTAssertEqual(vectors(stdin.stdout), texts.indices.filter { isLine(texts[$0]) }.map { textVectors[$0] })
    }

    func testEmbed_GPT2IDs_EqualTransformersMeanPooledHiddenState() throws {
        try run(["import", Self.fixtureFolder(), "--name", "gpt2-tiny"])
        let reference = try reference("gpt2/reference.json")
        let ids = try ints(reference["input_ids"]?.arrayValue?.first)
        let hidden = try XCTUnwrap(reference["last_hidden_state"]?.arrayValue).compactMap { $0.doubleValue }
        XCTAssertEqual(hidden.count, ids.count * 64)
        var mean = [Double](repeating: 0, count: 64)
        for (index, value) in hidden.enumerated() { mean[index % 64] += value / Double(ids.count) }
        let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let expected = mean.map { Float($0 / norm) }
        let output = try run(["embed", "gpt2-tiny", "--ids", ids.map(String.init).joined(separator: " ")])
        assertClose(try XCTUnwrap(vectors(output.stdout).first), expected, accuracy: 1e-4, "mean-pooled ln_f output")
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
        XCTAssertTrue(text.stderr.contains("it carries no tokenizer"), text.stderr)
        let word = try run(["embed", "gpt2-tiny", "--ids", "7 x"], expect: 2)
        XCTAssertTrue(word.stderr.contains("'x' is not a token id"), word.stderr)
        let outside = try run(["embed", "gpt2-tiny", "--ids", "7 600"], expect: 1)
        XCTAssertTrue(outside.stderr.contains("input_ids entry 1 is 600, outside 0..<512"), outside.stderr)
    }
}
