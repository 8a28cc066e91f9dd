import Foundation
import TrainingCore
import XCTest
import ZooFormat
import ZooLoaders

/// The byte-level BPE (GPT-2) tokenizer: agreement with Hugging Face's GPT2Tokenizer on the
/// fixture of scripts/make_bpe_fixtures.py (ids, tokens, decoded text, invalid UTF-8), the
/// pre-tokenization pattern and merge order on hand-made inputs, and hostile files refused.
final class BPETokenizerTests: LoaderTestCase {
    struct Reference: Decodable {
        struct Case: Decodable {
            var text: String
            var ids: [Int]
            var tokens: [String]
            var decoded: String
        }
        struct ByteRun: Decodable {
            var bytes: [UInt8]
            var ids: [Int]
            var decoded: String
        }
        var vocab_size: Int
        var eos_token_id: Int
        var cases: [Case]
        var invalid_utf8_decodes: [ByteRun]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gpt2-tokenizer").path

    func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/" + name)))
    }

    func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(fixture("reference.json")))
    }

    func filesTokenizer() throws -> BPETokenizer {
        try BPETokenizer(files: BPETokenizerFiles(location: "gpt2", vocabJSON: fixture("vocab.json"), merges: fixture("merges.txt")))
    }

    // MARK: Agreement with transformers

    func testEncode_VocabAndMerges_EveryReferenceCaseMatchesGPT2Tokenizer() throws {
        let tokenizer = try filesTokenizer()
        let reference = try reference()
        XCTAssertEqual(tokenizer.count, reference.vocab_size)
        XCTAssertEqual(tokenizer.id(of: BPETokenizer.endOfText), reference.eos_token_id)
        XCTAssertGreaterThan(reference.cases.count, 30)
        for item in reference.cases {
            XCTAssertEqual(tokenizer.encode(item.text), item.ids, "ids of \(item.text.debugDescription)")
            XCTAssertEqual(tokenizer.tokenize(item.text), item.tokens, "tokens of \(item.text.debugDescription)")
            XCTAssertEqual(tokenizer.decode(item.ids), item.decoded, "decode of \(item.text.debugDescription)")
            // Byte-exact round trip (String == alone would accept a canonically equivalent text).
            XCTAssertEqual(Array(tokenizer.decode(tokenizer.encode(item.text)).utf8), Array(item.text.utf8))
        }
    }

    func testEncode_TokenizerJSON_SameTokenizerAndIDsAsVocabAndMerges() throws {
        let fromJSON = try BPETokenizer(files: BPETokenizerFiles(location: "gpt2", tokenizerJSON: fixture("tokenizer.json")))
        XCTAssertEqual(fromJSON, try filesTokenizer())
        XCTAssertEqual(fromJSON.addedTokens, [BPETokenizer.AddedToken(content: "<|endoftext|>", id: 511, special: true)])
        for item in try reference().cases {
            XCTAssertEqual(fromJSON.encode(item.text), item.ids, "ids of \(item.text.debugDescription)")
        }
    }

    func testDecode_InvalidUTF8Runs_ReplacementCharactersAsTokenizers() throws {
        let tokenizer = try filesTokenizer()
        let runs = try reference().invalid_utf8_decodes
        XCTAssertEqual(runs.count, 8)
        for run in runs {
            XCTAssertEqual(tokenizer.bytes(of: run.ids), run.bytes)
            XCTAssertEqual(tokenizer.decode(run.ids), run.decoded, "bytes \(run.bytes)")
        }
    }

    func testDecode_IDsWithoutToken_Skipped() throws {
        let tokenizer = try filesTokenizer()
        let hello = tokenizer.encode("hello")
        XCTAssertEqual(tokenizer.decode([-1] + hello + [512, Int.max]), "hello")
    }

    func testDecode_SkipSpecialTokens_DropsEndOfTextOnly() throws {
        let tokenizer = try filesTokenizer()
        let ids = tokenizer.encode("a<|endoftext|>b <|endoftext|>")
        XCTAssertEqual(ids.filter { $0 == 511 }.count, 2)
        XCTAssertEqual(tokenizer.decode(ids), "a<|endoftext|>b <|endoftext|>")
        XCTAssertEqual(tokenizer.decode(ids, skipSpecialTokens: true), "ab ")
    }

    func testFiles_Folder_ReadsTheFixtureFolder() throws {
        let files = try BPETokenizerFiles(folder: Self.fixtures)
        XCTAssertTrue(files.isComplete)
        let hello = try XCTUnwrap(try reference().cases.first { $0.text == "Hello world" })
        XCTAssertEqual(try BPETokenizer(files: files).encode("Hello world"), hello.ids)
        XCTAssertFalse(try BPETokenizerFiles(folder: scratch).isComplete)
    }

    func testEncode_LongWord_RoundTripsAndMergesPairs() throws {
        let tokenizer = try filesTokenizer()
        let word = String(repeating: "the", count: 40_000)   // one 120,000-byte piece
        let ids = tokenizer.encode(word)
        XCTAssertEqual(tokenizer.decode(ids), word)
        XCTAssertLessThan(ids.count, 60_000)
    }

    func testEncode_RandomTexts_DecodeGivesTheSameBytes() throws {
        // Seeded random mixes of ASCII, whitespace, Latin, CJK, emoji, combining marks and
        // contraction-like runs: every encoding decodes back byte for byte.
        let tokenizer = try filesTokenizer()
        let pools: [[Unicode.Scalar]] = [
            Array("abcxyzABCXYZ0123456789".unicodeScalars), Array(" \t\n\r\u{0B}\u{0C}\u{85}\u{A0}\u{2028}\u{3000}".unicodeScalars),
            Array("'sStTreRvemldL!?.,;:-_\"()[]{}<|>".unicodeScalars), Array("éèçßøÆœŁńİı".unicodeScalars),
            Array("日本語中文한국어".unicodeScalars), Array("😀🎉👍🏽❤\u{FE0F}\u{200D}🇫🇷".unicodeScalars),
            Array("\u{301}\u{308}\u{200B}\u{AD}\u{0}\u{7F}\u{1C}".unicodeScalars), Array("²½Ⅻ٣௰𝟙".unicodeScalars),
        ]
        var generator = SeededGenerator(seed: 12)
        for round in 0..<300 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &generator) {
                let pool = pools[Int.random(in: 0..<pools.count, using: &generator)]
                scalars.append(pool[Int.random(in: 0..<pool.count, using: &generator)])
            }
            let text = String(scalars)
            let ids = tokenizer.encode(text)
            XCTAssertEqual(tokenizer.bytes(of: ids), Array(text.utf8), "round \(round): \(text.debugDescription)")
            XCTAssertEqual(ids.isEmpty, text.isEmpty)
        }
        // "<|endoftext|>" in the text is the one special token; a piece of it is plain text.
        XCTAssertEqual(tokenizer.encode("a<|endoftext|>b").filter { $0 == 511 }.count, 1)
        XCTAssertFalse(tokenizer.encode("a<|endoftext|b").contains(511))
    }

    func testFiles_TruncationsAndByteFlips_ParseOrThrowNeverCrash() throws {
        let vocab = try fixture("vocab.json")
        let merges = try fixture("merges.txt")
        var refused = 0
        var tried = 0
        for n in stride(from: 0, to: merges.count, by: 5) {
            tried += 1
            if (try? BPETokenizer(vocabJSON: vocab, vocabFile: "v", merges: Array(merges.prefix(n)), mergesFile: "m")) == nil { refused += 1 }
        }
        // A prefix that cuts a line mid-merge names a token that is not in the vocabulary (mostly).
        XCTAssertGreaterThan(refused, tried / 4)
        for n in stride(from: 0, to: vocab.count, by: 23) {
            XCTAssertThrowsError(try BPETokenizer(vocabJSON: Array(vocab.prefix(n)), vocabFile: "v", merges: merges, mergesFile: "m"), "prefix \(n)")
        }
        let json = try fixture("tokenizer.json")
        for n in stride(from: 0, to: json.count, by: 197) {
            XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: Array(json.prefix(n)), file: "t"), "prefix \(n)")
        }
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<150 {
            var flipped = merges
            flipped[Int.random(in: 0..<flipped.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
            if let tokenizer = try? BPETokenizer(vocabJSON: vocab, vocabFile: "v", merges: flipped, mergesFile: "m") {
                XCTAssertEqual(tokenizer.decode(tokenizer.encode("flip test, it's ok")), "flip test, it's ok")
            }
        }
    }

    // MARK: Pre-tokenization and merges

    func testPieces_GPT2Pattern_ContractionsSpacesAndKinds() {
        XCTAssertEqual(ByteLevelPreTokenizer.pieces(of: "it's  a test!!"), ["it", "'s", " ", " a", " test", "!!"])
        XCTAssertEqual(ByteLevelPreTokenizer.pieces(of: "I'LL we'll 'x"), ["I", "'", "LL", " we", "'ll", " '", "x"])
        XCTAssertEqual(ByteLevelPreTokenizer.pieces(of: "a1b 23 ½x"), ["a", "1", "b", " 23", " ½", "x"])
        XCTAssertEqual(ByteLevelPreTokenizer.pieces(of: "x \t\n y  "), ["x", " \t\n", " y", "  "])
        XCTAssertEqual(ByteLevelPreTokenizer.pieces(of: "\ta \u{3000}b"), ["\t", "a", " ", "\u{3000}", "b"])
        XCTAssertEqual(ByteLevelPreTokenizer.pieces(of: "日本語、ok"), ["日本語", "、", "ok"])
        XCTAssertEqual(ByteLevelPreTokenizer.pieces(of: ""), [])
    }

    func testAlphabet_EveryByteHasItsOwnPrintableCharacter() {
        let scalars = ByteLevelAlphabet.scalars
        XCTAssertEqual(Set(scalars).count, 256)
        XCTAssertEqual(scalars[0x20], "Ġ")
        XCTAssertEqual(scalars[0x0A], "Ċ")
        XCTAssertEqual(scalars[0x41], "A")
        XCTAssertEqual(scalars[0xAD], "Ń")
        for byte in 0..<256 { XCTAssertEqual(ByteLevelAlphabet.byte(for: scalars[byte]), UInt8(byte)) }
        XCTAssertNil(ByteLevelAlphabet.byte(for: " "))
        XCTAssertNil(ByteLevelAlphabet.byte(for: "\u{144}"))
    }

    /// A vocabulary of the 256 byte characters plus `extra`.
    func byteVocabulary(_ extra: [String]) -> [String] {
        ByteLevelAlphabet.scalars.map { String(Character($0)) } + extra
    }

    func testMerges_LowestRankFirstThenLeftmost() throws {
        // "aaa": (a a) merges at 0 first, leaving "aa" + "a"; (aa a) then joins them only if listed.
        let plain = try BPETokenizer(tokens: byteVocabulary(["aa"]), merges: [("a", "a")])
        XCTAssertEqual(plain.tokenize("aaa"), ["aa", "a"])
        XCTAssertEqual(plain.tokenize("aaaa"), ["aa", "aa"])
        // (b c) ranks above (a b): "abc" becomes a + bc, never ab + c.
        let ranked = try BPETokenizer(tokens: byteVocabulary(["bc", "ab", "abc"]), merges: [("b", "c"), ("a", "b"), ("a", "bc")])
        XCTAssertEqual(ranked.tokenize("abc"), ["abc"])
        XCTAssertEqual(ranked.tokenize("abab"), ["ab", "ab"])
        let noThird = try BPETokenizer(tokens: byteVocabulary(["bc", "ab"]), merges: [("b", "c"), ("a", "b")])
        XCTAssertEqual(noThird.tokenize("abc"), ["a", "bc"])
    }

    func testEncode_MissingByteToken_Dropped() throws {
        // Without "z" in the vocabulary, its byte is dropped (tokenizers' BPE without unk_token).
        var tokens = byteVocabulary([])
        tokens.removeAll { $0 == "z" }
        let tokenizer = try BPETokenizer(tokens: tokens, merges: [])
        XCTAssertEqual(tokenizer.tokenize("aza"), ["a", "a"])
    }

    func testEncode_AddPrefixSpaceAndIgnoreMerges() throws {
        let tokens = byteVocabulary(["Ġh", "Ġhi", "hi"])
        let prefixed = try BPETokenizer(tokens: tokens, merges: [("Ġ", "h"), ("Ġh", "i")], addPrefixSpace: true)
        XCTAssertEqual(prefixed.tokenize("hi"), ["Ġhi"])
        XCTAssertEqual(prefixed.tokenize(" hi"), ["Ġhi"])
        // ignore_merges: a piece that is a token is taken whole even without a merge path.
        let whole = try BPETokenizer(tokens: tokens, merges: [], ignoreMerges: true)
        XCTAssertEqual(whole.tokenize("hi"), ["hi"])
        XCTAssertEqual(try BPETokenizer(tokens: tokens, merges: []).tokenize("hi"), ["h", "i"])
    }

    // MARK: Hostile files

    func build(vocab: String, merges: String) -> Result<BPETokenizer, BPETokenizerError> {
        Result { () throws(BPETokenizerError) in
            try BPETokenizer(vocabJSON: Array(vocab.utf8), vocabFile: "v.json", merges: Array(merges.utf8), mergesFile: "m.txt")
        }
    }

    func assertRefused(
        vocab: String = #"{"a":0,"b":1,"ab":2}"#, merges: String, _ expected: BPETokenizerError, line: UInt = #line
    ) {
        switch build(vocab: vocab, merges: merges) {
        case .success: XCTFail("accepted", line: line)
        case let .failure(error): XCTAssertEqual(error, expected, line: line)
        }
    }

    func testMerges_Malformed_RefusedWithLineAndOffset() {
        let header = "#version: 0.2\n"
        assertRefused(merges: header + "a b\nab\n", BPETokenizerError(file: "m.txt", line: 3, offset: 18, reason: .malformedMerge("ab")))
        assertRefused(merges: header + "a  b\n", BPETokenizerError(file: "m.txt", line: 2, offset: 14, reason: .malformedMerge("a  b")))
        assertRefused(merges: "a b\n\na b\n", BPETokenizerError(file: "m.txt", line: 2, offset: 4, reason: .malformedMerge("")))
        assertRefused(merges: "a b c", BPETokenizerError(file: "m.txt", line: 1, offset: 0, reason: .malformedMerge("a b c")))
        // A #version line only counts as the header on line 1.
        assertRefused(merges: "a b\n#version: 0.2\n", BPETokenizerError(
            file: "m.txt", line: 2, offset: 4, reason: .mergeTokenNotInVocabulary(merge: "#version: 0.2", token: "#version:")))
        assertRefused(merges: "a b\n\u{FF}", BPETokenizerError(file: "m.txt", line: 2, offset: 4, reason: .malformedMerge("\u{FF}")))
        switch build(vocab: #"{"a":0,"b":1,"ab":2}"#, merges: "") {
        case let .success(tokenizer): XCTAssertEqual(tokenizer.mergeCount, 0)
        case let .failure(error): XCTFail("\(error)")
        }
    }

    func testMerges_InvalidUTF8_RefusedWithLine() throws {
        let bytes: [UInt8] = Array("a b\r\n".utf8) + [0x61, 0x20, 0xFF]
        XCTAssertThrowsError(try BPETokenizer(vocabJSON: Array(#"{"a":0}"#.utf8), vocabFile: "v.json", merges: bytes, mergesFile: "m.txt")) {
            XCTAssertEqual($0 as? BPETokenizerError, BPETokenizerError(file: "m.txt", line: 2, offset: 5, reason: .invalidUTF8))
        }
    }

    func testMerges_UnknownTokenOrDuplicate_RefusedNamingTheMerge() {
        assertRefused(merges: "#version: 0.2\na c\n", BPETokenizerError(
            file: "m.txt", line: 2, offset: 14, reason: .mergeTokenNotInVocabulary(merge: "a c", token: "c")))
        assertRefused(vocab: #"{"a":0,"b":1}"#, merges: "a b\n", BPETokenizerError(
            file: "m.txt", line: 1, offset: 0, reason: .mergeTokenNotInVocabulary(merge: "a b", token: "ab")))
        assertRefused(merges: "a b\r\na b\r\n", BPETokenizerError(file: "m.txt", line: 2, offset: 5, reason: .duplicateMerge("a b")))
    }

    func testVocab_Hostile_RefusedNamingTheToken() {
        assertRefused(vocab: "[1,2]", merges: "", BPETokenizerError(file: "v.json", reason: .invalidMember("(top level)", expected: "an object of token ids")))
        assertRefused(vocab: "{}", merges: "", BPETokenizerError(file: "v.json", reason: .emptyVocabulary))
        assertRefused(vocab: #"{"a":"0"}"#, merges: "", BPETokenizerError(file: "v.json", reason: .invalidMember("a", expected: "an integer id")))
        assertRefused(vocab: #"{"a":-1}"#, merges: "", BPETokenizerError(file: "v.json", reason: .invalidTokenID(token: "a", id: -1)))
        assertRefused(vocab: #"{"a":4000000}"#, merges: "", BPETokenizerError(file: "v.json", reason: .invalidTokenID(token: "a", id: 4_000_000)))
        assertRefused(vocab: #"{"a":1.5}"#, merges: "", BPETokenizerError(file: "v.json", reason: .invalidMember("a", expected: "an integer id")))
        assertRefused(vocab: #"{"a":0,"b":2}"#, merges: "", BPETokenizerError(file: "v.json", reason: .missingTokenID(1)))
        assertRefused(vocab: #"{"a":9223372036854775807}"#, merges: "", BPETokenizerError(
            file: "v.json", reason: .invalidTokenID(token: "a", id: .max)))
        switch build(vocab: #"{"a":0,"b":0}"#, merges: "") {
        case .success: XCTFail("an id used twice was accepted")
        case let .failure(error):
            guard case .invalidTokenID(_, 0) = error.reason else { return XCTFail("\(error)") }
        }
        switch build(vocab: "{\n\"a\":0,\n\"a\":1}", merges: "") {
        case .success: XCTFail("a token listed twice was accepted")
        case let .failure(error):
            XCTAssertEqual(error.file, "v.json")
            XCTAssertEqual(error.line, 3)
            guard case .json = error.reason else { return XCTFail("\(error)") }
            XCTAssertTrue(error.description.hasPrefix("v.json: line 3 (byte "), error.description)
        }
    }

    func testFiles_TooLargeOrIncomplete_Refused() {
        let big = [UInt8](repeating: 0x20, count: BPETokenizer.maxFileByteCount + 1)
        XCTAssertThrowsError(try BPETokenizer(vocabJSON: big, vocabFile: "v.json", merges: [], mergesFile: "m.txt")) {
            XCTAssertEqual($0 as? BPETokenizerError, BPETokenizerError(
                file: "v.json", reason: .fileTooLarge(byteCount: big.count, limit: BPETokenizer.maxFileByteCount)))
        }
        XCTAssertThrowsError(try BPETokenizer(files: BPETokenizerFiles(location: "m"))) {
            XCTAssertEqual($0 as? BPETokenizerError, BPETokenizerError(file: "m", reason: .missingFiles))
            XCTAssertEqual("\($0)", "m: no vocab.json + merges.txt or tokenizer.json")
        }
        XCTAssertThrowsError(try BPETokenizer(files: BPETokenizerFiles(location: "m", vocabJSON: Array("{}".utf8)))) {
            XCTAssertEqual($0 as? BPETokenizerError, BPETokenizerError(file: "m/merges.txt", reason: .missingCompanion("merges.txt")))
        }
    }

    /// The fixture's tokenizer.json with one edit applied to its parsed JSON.
    func editedTokenizerJSON(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(fixture("tokenizer.json"))) as? [String: Any])
        edit(&root)
        return Array(try JSONSerialization.data(withJSONObject: root))
    }

    func assertTokenizerJSONRefused(
        _ edit: (inout [String: Any]) -> Void, _ reason: BPETokenizerError.Reason, line: UInt = #line
    ) throws {
        let bytes = try editedTokenizerJSON(edit)
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: bytes, file: "t.json"), line: line) {
            XCTAssertEqual($0 as? BPETokenizerError, BPETokenizerError(file: "t.json", reason: reason), line: line)
        }
    }

    func testTokenizerJSON_UnsupportedOrHostile_Refused() throws {
        func model(_ root: inout [String: Any], _ key: String, _ value: Any) {
            var model = root["model"] as? [String: Any] ?? [:]
            model[key] = value
            root["model"] = model
        }
        try assertTokenizerJSONRefused({ model(&$0, "type", "WordPiece") }, .unsupported(what: "model.type", value: "\"WordPiece\""))
        try assertTokenizerJSONRefused({ model(&$0, "dropout", 0.1) }, .unsupported(what: "model.dropout", value: "0.1"))
        try assertTokenizerJSONRefused({ model(&$0, "byte_fallback", true) }, .unsupported(what: "model.byte_fallback", value: "true"))
        try assertTokenizerJSONRefused({ $0["normalizer"] = ["type": "NFC"] }, .unsupported(what: "normalizer", value: #"{"type":"NFC"}"#))
        try assertTokenizerJSONRefused(
            { $0["pre_tokenizer"] = ["type": "Whitespace"] }, .unsupported(what: "pre_tokenizer", value: #"{"type":"Whitespace"}"#))
        try assertTokenizerJSONRefused({ model(&$0, "merges", [["a"]]) }, .invalidMember(
            "model.merges[0]", expected: #""a b" or ["a", "b"] with two non-empty tokens"#))
        try assertTokenizerJSONRefused({ model(&$0, "merges", ["Ġ a", "Ġ a"]) }, .duplicateMerge("Ġ a"))
        try assertTokenizerJSONRefused({ model(&$0, "merges", ["Ġ q"]) }, .mergeTokenNotInVocabulary(merge: "Ġ q", token: "Ġq"))
        try assertTokenizerJSONRefused({ model(&$0, "vocab", "x") }, .invalidMember("model.vocab", expected: "an object of token ids"))
        try assertTokenizerJSONRefused({
            $0["added_tokens"] = [["id": 600, "content": "<x>", "special": true]]
        }, .missingTokenID(512))
        try assertTokenizerJSONRefused({
            $0["added_tokens"] = [["id": 5, "content": "<x>", "special": true]]
        }, .invalidTokenID(token: "<x>", id: 5))
        try assertTokenizerJSONRefused({
            $0["added_tokens"] = [["id": 511, "content": "<|endoftext|>", "lstrip": true]]
        }, .unsupported(what: "added_tokens[0].lstrip", value: "true"))
        try assertTokenizerJSONRefused({
            $0["post_processor"] = ["type": "TemplateProcessing", "single": [["SpecialToken": ["id": "<|endoftext|>"]], ["Sequence": ["id": "A"]]]]
        }, .unsupported(what: "post_processor.single", value: #"[{"SpecialToken":{"id":"<|endoftext|>"}},{"Sequence":{"id":"A"}}]"#))
    }

    func testTokenizerJSON_AddedTokenBeyondModelVocab_MatchedWhole() throws {
        let bytes = try editedTokenizerJSON {
            $0["added_tokens"] = [
                ["id": 511, "content": "<|endoftext|>", "special": true],
                ["id": 512, "content": "<|pad|>", "special": true],
            ]
        }
        let tokenizer = try BPETokenizer(tokenizerJSON: bytes, file: "t.json")
        XCTAssertEqual(tokenizer.count, 513)
        let ids = tokenizer.encode("a<|pad|><|endoftext|>")
        XCTAssertEqual(Array(ids.suffix(2)), [512, 511])
        XCTAssertEqual(tokenizer.decode(ids), "a<|pad|><|endoftext|>")
    }
}
