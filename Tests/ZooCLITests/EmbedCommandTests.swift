import Foundation
import XCTest
import ZooFormat

/// `zoo embed`: sentence embeddings from a stored BERT model, as text or JSON.
final class EmbedCommandTests: CLITestCase {
    /// The numbers of one line of text output.
    func vector(_ line: Substring) -> [Float] {
        line.split(separator: " ").compactMap { Float($0) }
    }

    func testEmbed_BertTiny_PrintsOneUnitVectorPerText() throws {
        _ = try importBertTiny(["--name", "bert-tiny"])
        let result = try run(["embed", "bert-tiny", "hello world", "Crème brûlée!", ""])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 4, "three lines and the final newline: \(result.stdout)")
        XCTAssertEqual(lines.last, "")
        for line in lines.dropLast() {
            let numbers = vector(line)
            XCTAssertEqual(numbers.count, 64)
            XCTAssertEqual(line.split(separator: " ").count, 64, "only numbers on a line")
            XCTAssertEqual(numbers.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
        }
        XCTAssertEqual(result.stderr, "")
    }

    func testEmbed_Dash_ReadsOneTextPerLineOfStandardInput() throws {
        _ = try importBertTiny(["--name", "bert-tiny"])
        let piped = try zoo.run(["embed", "bert-tiny", "-"], input: "hello world\n\nCrème brûlée!\n")
        XCTAssertEqual(piped.status, 0, piped.stderr)
        let direct = try run(["embed", "bert-tiny", "hello world", "Crème brûlée!"])
        XCTAssertEqual(piped.stdout, direct.stdout)
        XCTAssertEqual(piped.stdout.split(separator: "\n").count, 2, "empty lines are skipped")
        let empty = try zoo.run(["embed", "bert-tiny", "-"], input: "")
        XCTAssertEqual(empty.status, 2)
        XCTAssertTrue(empty.stderr.contains("no texts on standard input"), empty.stderr)
    }

    func testEmbed_JSON_SameNumbersAsTextWithTokenCounts() throws {
        let digest = try importBertTiny(["--name", "bert-tiny"])
        let texts = ["hello world", "a longer sentence with more words in it"]
        let text = try run(["embed", "bert-tiny"] + texts + ["--batch-size", "1"])
        let json = try self.json(try run(["embed", "bert-tiny", "--json"] + texts).stdout)
        XCTAssertEqual(json["model"], .string(digest))
        XCTAssertEqual(json["dimension"], .integer(64))
        XCTAssertEqual(json["maxLength"], .integer(512))
        XCTAssertEqual(json["normalized"], .bool(true))
        let entries = try XCTUnwrap(json["embeddings"]?.arrayValue)
        XCTAssertEqual(entries.map { $0["text"]?.stringValue }, texts)
        let tokens = entries.compactMap { $0["tokens"]?.integerValue }
        XCTAssertEqual(tokens.count, 2)
        XCTAssertLessThan(tokens[0], tokens[1])
        for (entry, line) in zip(entries, text.stdout.split(separator: "\n")) {
            let numbers = try XCTUnwrap(entry["embedding"]?.arrayValue).compactMap { $0.doubleValue.map(Float.init) }
            let printed = vector(line)
            XCTAssertEqual(numbers.count, 64)
            // Batch size 1 against 32: the same within float rounding.
            XCTAssertLessThanOrEqual(zip(numbers, printed).map { abs($0 - $1) }.max() ?? 1, 1e-6)
        }
    }

    func testEmbed_ArchivePath_SameAsStoredModel() throws {
        _ = try importBertTiny(["--name", "bert-tiny"])
        let archive = scratch + "/bert-tiny.zoo"
        try run(["export", "bert-tiny", "-o", archive])
        let stored = try run(["embed", "bert-tiny", "zoo"]).stdout
        XCTAssertEqual(try run(["embed", archive, "zoo"]).stdout, stored)
    }

    func testEmbed_MaxLength_TruncatesTheText() throws {
        _ = try importBertTiny(["--name", "bert-tiny"])
        let long = String(repeating: "word ", count: 50)
        let json = try self.json(try run(["embed", "bert-tiny", long, "--json", "--max-length", "8"]).stdout)
        XCTAssertEqual(json["maxLength"], .integer(8))
        XCTAssertEqual(json["embeddings"]?.arrayValue?.first?["tokens"], .integer(8))
    }

    func testEmbed_BatchSizeZero_UsageError() throws {
        let result = try run(["embed", "bert-tiny", "text", "--batch-size", "0"], expect: 2)
        XCTAssertTrue(result.stderr.contains("--batch-size must be at least 1 (got 0)."), result.stderr)
    }

    func testEmbed_NoText_UsageError() throws {
        let result = try run(["embed", "bert-tiny"], expect: 2)
        XCTAssertTrue(result.stderr.contains("Missing expected argument '<text> ...'"), result.stderr)
    }

    func testEmbed_UnknownModel_FailsNamingIt() throws {
        let result = try run(["embed", "no-such-model", "text"], expect: 1)
        assertErrorLine(result, contains: ["no-such-model"])
        XCTAssertEqual(result.stdout, "")
    }

    func testEmbed_GPT2Text_FailsAskingForIDs() throws {
        try Fixtures.writeCheckpoint(at: scratch + "/gpt2")
        try run(["import", scratch + "/gpt2", "--name", "tiny-gpt2"])
        let result = try run(["embed", "tiny-gpt2", "text"], expect: 2)
        XCTAssertTrue(result.stderr.contains("tiny-gpt2 is a GPT-2 model: pass token ids with --ids"), result.stderr)
    }

    func testEmbed_IDsForBERT_UsageError() throws {
        _ = try importBertTiny(["--name", "bert-tiny"])
        let result = try run(["embed", "bert-tiny", "--ids", "1 2 3"], expect: 2)
        XCTAssertTrue(result.stderr.contains("--ids is for GPT-2 models; bert-tiny is not one"), result.stderr)
    }

    /// `zoo import` of the real all-MiniLM-L6-v2 folder, then `zoo embed`, against
    /// sentence-transformers' embeddings (Tests/Fixtures/minilm/reference.json).
    func testEmbed_ImportedMiniLM_MatchesSentenceTransformersWithin1e5() throws {
        guard let folder = ProcessInfo.processInfo.environment["ZOO_MINILM_DIR"], !folder.isEmpty else {
            return XCTFail("ZOO_MINILM_DIR is not set: run `make test` (scripts/minilm.sh installs the model)")
        }
        try run(["import", folder, "--name", "minilm"])
        let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let reference = try json(try String(contentsOfFile: root + "/Tests/Fixtures/minilm/reference.json", encoding: .utf8))
        let length = try XCTUnwrap(reference["max_seq_length"]?.integerValue)
        let sentences = try XCTUnwrap(reference["sentences"]?.arrayValue)
        let texts = sentences.compactMap { $0["text"]?.stringValue }
        let output = try json(try run(["embed", "minilm", "--json", "--max-length", "\(length)"] + texts).stdout)
        XCTAssertEqual(output["dimension"], .integer(384))
        let entries = try XCTUnwrap(output["embeddings"]?.arrayValue)
        XCTAssertEqual(entries.count, sentences.count)
        for (entry, sentence) in zip(entries, sentences) {
            let got = try XCTUnwrap(entry["embedding"]?.arrayValue).compactMap { $0.doubleValue }
            let want = try XCTUnwrap(sentence["embedding"]?.arrayValue).compactMap { $0.doubleValue }
            XCTAssertEqual(got.count, 384)
            XCTAssertLessThanOrEqual(zip(got, want).map { abs($0 - $1) }.max() ?? 1, 1e-5, sentence["text"]?.stringValue ?? "")
            XCTAssertEqual(entry["tokens"]?.integerValue, Int64(sentence["input_ids"]?.arrayValue?.count ?? -1))
        }
    }
}
