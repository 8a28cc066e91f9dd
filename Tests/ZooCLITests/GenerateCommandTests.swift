import Foundation
import XCTest
import ZooFormat

/// `zoo generate` on the GPT-2 fixture of scripts/make_gpt2_reference.py imported into a test
/// store, with and without the tokenizer of scripts/make_bpe_fixtures.py: greedy ids and text
/// equal transformers' `generate`, sampling is reproducible, bad prompts fail with exit status 1.
final class GenerateCommandTests: CLITestCase {
    func testGenerate_Ids_GreedyIDsEqualTransformers() throws {
        try importGPT2(name: "gpt2-bare", tokenizer: false)
        let reference = try reference("gpt2/reference.json")
        let prompt = try ints(reference["prompt"])
        let expected = try ints(reference["greedy_new_ids"])
        let count = try XCTUnwrap(reference["max_new_tokens"]?.integerValue)
        let result = try run(["generate", "gpt2-bare", "--ids", prompt.map(String.init).joined(separator: ","),
                              "--max-new-tokens", "\(count)"])
        XCTAssertEqual(result.stdout, expected.map(String.init).joined(separator: " ") + "\n")
        XCTAssertEqual(result.stderr, "")
        // Spaces separate ids too; --json has the prompt, the ids, no text and the stop reason.
        let output = try json(try run(["generate", "gpt2-bare", "--ids", prompt.map(String.init).joined(separator: " "),
                                       "--max-new-tokens", "\(count)", "--json"]).stdout)
        XCTAssertEqual(try ints(output["promptIDs"]), prompt)
        XCTAssertEqual(try ints(output["ids"]), expected)
        XCTAssertEqual(output["text"], .null)
        XCTAssertEqual(output["stop"], .string("length"))
        XCTAssertEqual(output["model"]?.stringValue?.hasPrefix("sha256:"), true)
    }

    func testGenerate_Prompt_GreedyIDsAndTextEqualTransformers() throws {
        try importGPT2(name: "gpt2-text", tokenizer: true)
        let generation = try XCTUnwrap(try reference("gpt2-tokenizer/reference.json")["generation"],
                                       "reference.json has no generation section: rerun scripts/make_bpe_fixtures.py")
        let count = try XCTUnwrap(generation["max_new_tokens"]?.integerValue)
        let cases = try XCTUnwrap(generation["greedy"]?.arrayValue)
        XCTAssertEqual(cases.count, 4)
        for item in cases {
            let prompt = try XCTUnwrap(item["prompt"]?.stringValue)
            let text = try XCTUnwrap(item["text"]?.stringValue)
            let output = try json(try run(["generate", "gpt2-text", "--prompt", prompt, "--max-new-tokens", "\(count)", "--json"]).stdout)
            XCTAssertEqual(try ints(output["promptIDs"]), try ints(item["prompt_ids"]), prompt)
            XCTAssertEqual(try ints(output["ids"]), try ints(item["new_ids"]), prompt)
            XCTAssertEqual(output["text"]?.stringValue.map { Array($0.utf8) }, Array(text.utf8), prompt)
            let plain = try run(["generate", "gpt2-text", "--prompt", prompt, "--max-new-tokens", "\(count)"])
            XCTAssertEqual(Array(plain.stdout.utf8), Array((text + "\n").utf8), prompt)
        }
        // With a tokenizer, --ids prints text too.
        let first = cases[0]
        let ids = try ints(first["prompt_ids"]).map(String.init).joined(separator: ",")
        let viaIDs = try run(["generate", "gpt2-text", "--ids", ids, "--max-new-tokens", "\(count)"])
        XCTAssertEqual(viaIDs.stdout, (first["text"]?.stringValue ?? "") + "\n")
    }

    func testGenerate_TokenizerJSONOnly_SamePromptIDs() throws {
        let tokenizerJSON = Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtureRoot + "/gpt2-tokenizer/tokenizer.json")))
        try importGPT2(name: "gpt2-json", tokenizer: false, extra: ["tokenizer.json": tokenizerJSON])
        let generation = try XCTUnwrap(try reference("gpt2-tokenizer/reference.json")["generation"]?["greedy"]?.arrayValue?.first)
        let output = try json(try run(["generate", "gpt2-json", "--prompt", generation["prompt"]?.stringValue ?? "",
                                       "--max-new-tokens", "16", "--json"]).stdout)
        XCTAssertEqual(try ints(output["promptIDs"]), try ints(generation["prompt_ids"]))
        XCTAssertEqual(try ints(output["ids"]), try ints(generation["new_ids"]))
    }

    func testGenerate_BrokenMergesAsset_FailsNamingFileAndLine() throws {
        var merges = Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtureRoot + "/gpt2-tokenizer/merges.txt")))
        merges += Array("one two three\n".utf8)
        try importGPT2(name: "gpt2-broken", tokenizer: true, extra: ["merges.txt": merges])
        let result = try run(["generate", "gpt2-broken", "--ids", "1,2"], expect: 1)
        assertErrorLine(result, contains: ["Error: gpt2-broken/merges.txt: line 257 (byte 1436): merge \"one two three\" is not two tokens"])
        XCTAssertEqual(result.stdout, "")
    }

    func testGenerate_Sampling_SameSeedSameTokensSeedsDiffer() throws {
        try importGPT2(name: "gpt2-bare", tokenizer: false)
        func sample(_ seed: Int, _ extra: [String] = ["--temperature", "1.5"]) throws -> String {
            try run(["generate", "gpt2-bare", "--ids", "7,99,250,13", "--max-new-tokens", "12", "--seed", "\(seed)"] + extra).stdout
        }
        let first = try sample(1)
        XCTAssertEqual(try sample(1), first)
        XCTAssertEqual(first.split(separator: " ").count, 12)
        let others = try (2...4).map { try sample($0) }
        XCTAssertTrue(others.contains { $0 != first }, "four seeds gave the same tokens: \(first)")
        // top-k 1 leaves only the most likely token: the greedy continuation, whatever the seed.
        let greedy = try run(["generate", "gpt2-bare", "--ids", "7,99,250,13", "--max-new-tokens", "12"]).stdout
        XCTAssertEqual(try sample(9, ["--top-k", "1", "--temperature", "3"]), greedy)
        XCTAssertNotEqual(try sample(1), greedy)
    }

    func testGenerate_PromptWithoutTokenizer_FailsSayingToUseIds() throws {
        try importGPT2(name: "gpt2-bare", tokenizer: false)
        let result = try run(["generate", "gpt2-bare", "--prompt", "hello"], expect: 1)
        assertErrorLine(result, contains: ["gpt2-bare has no tokenizer", "vocab.json + merges.txt", "--ids"])
        XCTAssertEqual(result.stdout, "")
    }

    func testGenerate_IDOutsideVocabularyOrTooLong_FailsNamingIt() throws {
        try importGPT2(name: "gpt2-bare", tokenizer: false)
        let result = try run(["generate", "gpt2-bare", "--ids", "5,512,3"], expect: 1)
        assertErrorLine(result, contains: ["token id 512 (prompt position 2) is outside the vocabulary of gpt2-bare: ids 0..<512"])
        let long = try run(["generate", "gpt2-bare", "--ids", Array(repeating: "5", count: 65).joined(separator: ",")], expect: 1)
        assertErrorLine(long, contains: ["the prompt has 65 tokens, more than the 64 positions of gpt2-bare"])
        // A malformed id is a usage error.
        let negative = try run(["generate", "gpt2-bare", "--ids", "5,x"], expect: 2)
        XCTAssertTrue(negative.stderr.contains("'x' is not a token id"), negative.stderr)
    }

    func testGenerate_NotGPT2_FailsNamingTheArchitecture() throws {
        let writer = try CheckpointWriter(destination: scratch + "/bert", name: "bert",
                                          architecture: Architecture(family: .autoencoding, type: "bert"))
        let weights: [Float] = [1, 2]
        try weights.withUnsafeBytes { try writer.addTensor(name: "w", dtype: .f32, shape: [2], bytes: $0) }
        try writer.finish()
        try run(["import", scratch + "/bert", "--name", "a-bert"])
        let result = try run(["generate", "a-bert", "--ids", "1,2"], expect: 1)
        assertErrorLine(result, contains: ["a bert model, not GPT-2"])
    }

    func testGenerate_BadArguments_UsageErrors() throws {
        try importGPT2(name: "gpt2-bare", tokenizer: false)
        let neither = try run(["generate", "gpt2-bare"], expect: 2)
        XCTAssertTrue(neither.stderr.contains("Give the prompt: --ids ID,ID,... or --prompt TEXT."), neither.stderr)
        let both = try run(["generate", "gpt2-bare", "--ids", "1", "--prompt", "x"], expect: 2)
        XCTAssertTrue(both.stderr.contains("--ids and --prompt are alternatives"), both.stderr)
        let seed = try run(["generate", "gpt2-bare", "--ids", "1", "--seed", "3"], expect: 2)
        XCTAssertTrue(seed.stderr.contains("--seed only applies when sampling"), seed.stderr)
        let topP = try run(["generate", "gpt2-bare", "--ids", "1", "--top-p", "1.5"], expect: 2)
        XCTAssertTrue(topP.stderr.contains("Sampling: top-p is 1.5, expected in (0, 1]."), topP.stderr)
        let zero = try run(["generate", "gpt2-bare", "--ids", "1", "--max-new-tokens", "0"], expect: 2)
        XCTAssertTrue(zero.stderr.contains("--max-new-tokens must be at least 1 (got 0)."), zero.stderr)
    }
}

/// The GPT-2 fixture of scripts/make_gpt2_reference.py and the tokenizer of
/// scripts/make_bpe_fixtures.py, for the CLI tests of `generate` and `embed`.
extension CLITestCase {
    static let fixtureRoot = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    func reference(_ path: String) throws -> JSONValue {
        try json(try String(contentsOfFile: Self.fixtureRoot + "/" + path, encoding: .utf8))
    }

    /// Imports the GPT-2 fixture (weights and config.json) as `name`, with the tokenizer's
    /// vocab.json + merges.txt among its assets when `tokenizer` is set, and the files of `extra`.
    func importGPT2(name: String, tokenizer: Bool, extra: [String: [UInt8]] = [:]) throws {
        // The fixture is committed (scripts/make_gpt2_reference.py regenerates it): a missing file
        // fails the copy below, never skips.
        let folder = scratch + "/" + name
        try FileSystem.makeDirectories(folder)
        var files = ["gpt2/model.safetensors", "gpt2/config.json"]
        if tokenizer { files += ["gpt2-tokenizer/vocab.json", "gpt2-tokenizer/merges.txt"] }
        for file in files {
            let target = folder + "/" + (file as NSString).lastPathComponent
            try FileManager.default.copyItem(atPath: Self.fixtureRoot + "/" + file, toPath: target)
        }
        for (file, bytes) in extra { try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + file)) }
        try run(["import", folder, "--name", name])
    }

    func ints(_ value: JSONValue?, file: StaticString = #filePath, line: UInt = #line) throws -> [Int] {
        let array = try XCTUnwrap(value?.arrayValue, file: file, line: line)
        return try array.map { try XCTUnwrap($0.integerValue.map(Int.init), file: file, line: line) }
    }
}
