import Foundation
import TrainingCore
import XCTest
import ZooConverters
import ZooFormat
import ZooLoaders

/// The BERT WordPiece tokenizer: rules on a small hand-made vocabulary, errors, file handling,
/// and agreement with Hugging Face's tokenizer on the real MiniLM vocabulary (fixture).
final class TokenizerTests: LoaderTestCase {
    static let tokens = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", ",", "!", "'", "don", "t", "un", "##aff",
        "##able", "creme", "brulee", "日", "本", "の", "##テ", "a", "##a", "aa", "##aa", "naive", "cafe", "-", "x",
        "##²", "Hello",
    ]

    func makeTokenizer(maxLength: Int = 512, basic: BasicTokenizer = BasicTokenizer()) throws -> BertTokenizer {
        try BertTokenizer(vocabulary: WordPieceVocabulary(tokens: Self.tokens), basic: basic, maxLength: maxLength)
    }

    func id(_ token: String) -> Int { Self.tokens.firstIndex(of: token) ?? -1 }

    // MARK: Normalisation and splitting

    func testTokenize_AccentsAndCase_StrippedAndLowered() throws {
        XCTAssertEqual(try makeTokenizer().tokenize("Crème BRÛLÉE"), ["creme", "brulee"])
        XCTAssertEqual(try makeTokenizer().tokenize("naïve café"), ["naive", "cafe"])
    }

    func testTokenize_DecomposedAccent_SameAsPrecomposed() throws {
        XCTAssertEqual(try makeTokenizer().tokenize("cafe\u{301}"), ["cafe"])
        XCTAssertEqual(BasicTokenizer().normalize("Cre\u{300}me"), "creme")
    }

    func testTokenize_CJK_IdeographsSplitKanaNot() throws {
        // 日本 are CJK ideographs (one word each); の and テ are kana, so "のテ" is one word.
        XCTAssertEqual(try makeTokenizer().tokenize("日本のテ"), ["日", "本", "の", "##テ"])
        XCTAssertEqual(BasicTokenizer().tokenize("中文abc"), ["中", "文", "abc"])
    }

    func testTokenize_Punctuation_EachMarkIsAWord() throws {
        XCTAssertEqual(try makeTokenizer().tokenize("hello,world!!"), ["hello", ",", "world", "!", "!"])
        XCTAssertEqual(try makeTokenizer().tokenize("don't"), ["don", "'", "t"])
        XCTAssertEqual(BasicTokenizer().tokenize("a$b«c»d—e"), ["a", "$", "b", "«", "c", "»", "d", "—", "e"])
    }

    func testTokenize_WordPiece_GreedyLongestMatchFirst() throws {
        XCTAssertEqual(try makeTokenizer().tokenize("unaffable"), ["un", "##aff", "##able"])
        // "aa" beats "a" + "##a"; then "##aa" beats "##a".
        XCTAssertEqual(try makeTokenizer().tokenize("aaaaa"), ["aa", "##aa", "##a"])
    }

    func testTokenize_UnmatchablePiece_WholeWordIsUnknown() throws {
        XCTAssertEqual(try makeTokenizer().tokenize("unaffablez hello"), ["[UNK]", "hello"])
    }

    func testTokenize_WordOverHundredCharacters_Unknown() throws {
        let tokenizer = try makeTokenizer()
        XCTAssertEqual(tokenizer.tokenize(String(repeating: "a", count: 101)), ["[UNK]"])
        XCTAssertEqual(tokenizer.tokenize(String(repeating: "a", count: 100)), ["aa"] + Array(repeating: "##aa", count: 49))
        // The limit counts Unicode scalars after accent stripping: 199 scalars leave 100 letters.
        XCTAssertEqual(tokenizer.tokenize("x" + String(repeating: "a\u{301}", count: 99)).first, "x")
    }

    func testTokenize_EmptyAndWhitespaceOnly_NoTokens() throws {
        let tokenizer = try makeTokenizer()
        XCTAssertEqual(tokenizer.tokenize(""), [])
        XCTAssertEqual(tokenizer.tokenize(" \t\n\u{00A0}\u{3000} "), [])
        XCTAssertEqual(tokenizer.encode(""), [id("[CLS]"), id("[SEP]")])
        XCTAssertEqual(tokenizer.encode("   "), [id("[CLS]"), id("[SEP]")])
    }

    func testTokenize_ControlAndFormatCharacters_Removed() throws {
        // NUL, zero-width space (Cf), soft hyphen (Cf), U+FFFD and a private-use character vanish.
        XCTAssertEqual(try makeTokenizer().tokenize("hel\u{0}lo wo\u{200B}r\u{AD}l\u{FFFD}d\u{E000}"), ["hello", "world"])
    }

    func testTokenize_Emoji_Unknown() throws {
        // U+FE0F (a variation selector) is a nonspacing mark and is stripped with the accents.
        XCTAssertEqual(try makeTokenizer().tokenize("hello ❤️ 🍕!"), ["hello", "[UNK]", "[UNK]", "!"])
    }

    func testTokenize_SpecialTokensInText_KeptWholeAndCaseSensitive() throws {
        let tokenizer = try makeTokenizer()
        XCTAssertEqual(tokenizer.tokenize("[CLS]hello [MASK]"), ["[CLS]", "hello", "[MASK]"])
        // Lower-case "[mask]" is ordinary text: "[", "mask" and "]", none of them in the vocabulary.
        XCTAssertEqual(tokenizer.tokenize("[mask]"), ["[UNK]", "[UNK]", "[UNK]"])
    }

    func testTokenize_Cased_KeepsCaseAndAccents() throws {
        let tokenizer = try makeTokenizer(basic: BasicTokenizer(lowercase: false))
        XCTAssertEqual(tokenizer.tokenize("Hello"), ["Hello"])
        XCTAssertEqual(BasicTokenizer(lowercase: false).tokenize("Crème"), ["Crème"])
        XCTAssertEqual(BasicTokenizer(lowercase: false, stripAccents: true).tokenize("Crème"), ["Creme"])
    }

    // MARK: Encoding and batches

    func testEncode_LongText_TruncatedToMaxLengthWithSeparator() throws {
        let tokenizer = try makeTokenizer(maxLength: 5)
        let ids = tokenizer.encode("hello world hello world hello world")
        XCTAssertEqual(ids, [id("[CLS]"), id("hello"), id("world"), id("hello"), id("[SEP]")])
        XCTAssertEqual(tokenizer.tokenIDs("hello world hello world hello world").count, 6, "tokenIDs never truncates")
    }

    func testBatch_DifferentLengths_PaddedWithMask() throws {
        let batch = try makeTokenizer().batch(["hello world!", "hello"])
        XCTAssertEqual(batch.batchSize, 2)
        XCTAssertEqual(batch.sequenceLength, 5)
        XCTAssertEqual(batch.inputIDs, [2, 5, 6, 8, 3, 2, 5, 3, 0, 0])
        XCTAssertEqual(batch.attentionMask, [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
        XCTAssertEqual(batch.tokenTypeIDs, Array(repeating: 0, count: 10))
    }

    func testBatch_NoTexts_ThrowsEmptyBatch() throws {
        XCTAssertThrowsError(try makeTokenizer().batch([])) { error in
            XCTAssertEqual(error as? ModelInputError, ModelInputError(reason: .emptyBatch))
        }
    }

    // MARK: Vocabulary and construction errors

    func testVocabulary_CRLFAndDuplicates_LaterIDWins() throws {
        let vocabulary = try WordPieceVocabulary(vocabText: Array("[PAD]\r\na\nb\na\n".utf8), file: "vocab.txt")
        XCTAssertEqual(vocabulary.tokens, ["[PAD]", "a", "b", "a"])
        XCTAssertEqual(vocabulary.id(of: "a"), 3)
        XCTAssertEqual(vocabulary.id(of: "[PAD]"), 0)
        XCTAssertEqual(vocabulary.token(for: 2), "b")
        XCTAssertNil(vocabulary.token(for: 4))
    }

    func testVocabulary_InvalidUTF8_ThrowsLineAndOffset() {
        XCTAssertThrowsError(try WordPieceVocabulary(vocabText: Array("ok\nfine\n".utf8) + [0x61, 0xFF, 0x0A], file: "v.txt")) {
            error in
            XCTAssertEqual(error as? TokenizerError, TokenizerError(file: "v.txt", offset: 8, reason: .invalidUTF8(line: 3)))
            XCTAssertEqual("\(error)", "v.txt: byte 8: line 3 is not valid UTF-8")
        }
    }

    func testVocabulary_Empty_Throws() {
        XCTAssertThrowsError(try WordPieceVocabulary(vocabText: [], file: "v.txt")) { error in
            XCTAssertEqual(error as? TokenizerError, TokenizerError(file: "v.txt", reason: .emptyVocabulary))
        }
    }

    func testInit_MissingSpecialToken_ThrowsNamingIt() {
        XCTAssertThrowsError(try BertTokenizer(vocabulary: WordPieceVocabulary(tokens: ["[PAD]", "[UNK]", "[SEP]"]))) {
            error in
            XCTAssertEqual(error as? TokenizerError, TokenizerError(file: "vocabulary", reason: .missingSpecialToken("[CLS]")))
        }
    }

    func testInit_MaxLengthBelowTwo_Throws() throws {
        XCTAssertThrowsError(try makeTokenizer(maxLength: 1)) { error in
            XCTAssertEqual((error as? TokenizerError)?.reason, .invalidMaxLength(1))
        }
        XCTAssertThrowsError(try makeTokenizer().withMaxLength(0)) { error in
            XCTAssertEqual((error as? TokenizerError)?.reason, .invalidMaxLength(0))
        }
        XCTAssertEqual(try makeTokenizer().withMaxLength(3).encode("hello world"), [2, 5, 3])
    }

    // MARK: Files

    static let vocabText = Array(tokens.joined(separator: "\n").utf8) + [0x0A]

    func testFiles_TokenizerConfigOptions_Applied() throws {
        let config = #"{"do_lower_case": false, "model_max_length": 7, "tokenize_chinese_chars": true}"#
        let tokenizer = try BertTokenizer(
            files: TokenizerFiles(location: "m", vocabText: Self.vocabText, tokenizerConfig: Array(config.utf8)))
        XCTAssertEqual(tokenizer.tokenize("Hello hello"), ["Hello", "hello"])
        XCTAssertEqual(tokenizer.maxLength, 7)
        XCTAssertEqual(tokenizer.basic, BasicTokenizer(lowercase: false))
    }

    func testFiles_MaxLength_ExplicitThenConfigThenPositionsClamped() throws {
        let positions = Array(#"{"max_position_embeddings": 64}"#.utf8)
        func length(config: String?, explicit: Int?) throws -> Int {
            try BertTokenizer(
                files: TokenizerFiles(
                    location: "m", vocabText: Self.vocabText, tokenizerConfig: config.map { Array($0.utf8) },
                    modelConfig: positions),
                maxLength: explicit
            ).maxLength
        }
        XCTAssertEqual(try length(config: #"{"model_max_length": 32}"#, explicit: 16), 16)
        XCTAssertEqual(try length(config: #"{"model_max_length": 32}"#, explicit: nil), 32)
        XCTAssertEqual(try length(config: #"{"model_max_length": 1000000000000000019884624838656}"#, explicit: nil), 64)
        XCTAssertEqual(try length(config: nil, explicit: nil), 64)
        XCTAssertEqual(try length(config: nil, explicit: 100), 64, "never more than the model's positions")
        XCTAssertEqual(try BertTokenizer(files: TokenizerFiles(location: "m", vocabText: Self.vocabText)).maxLength, 512)
    }

    func testFiles_TokenizerJSON_VocabularyAndNormalizerUsed() throws {
        let vocab = Self.tokens.enumerated().map { "\"\($1)\": \($0)" }.joined(separator: ", ")
        let json = """
            {"added_tokens": [{"id": 2, "content": "[CLS]"}, {"id": 3, "content": "[SEP]"}],
             "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                            "strip_accents": null, "lowercase": false},
             "pre_tokenizer": {"type": "BertPreTokenizer"},
             "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                       "max_input_chars_per_word": 5, "vocab": {\(vocab)}}}
            """
        let tokenizer = try BertTokenizer(files: TokenizerFiles(location: "m", tokenizerJSON: Array(json.utf8)))
        XCTAssertEqual(tokenizer.tokenize("Hello aaaaaa aaa"), ["Hello", "[UNK]", "aa", "##a"])
        XCTAssertEqual(tokenizer.protectedTokens.sorted(), ["[CLS]", "[SEP]"])
        XCTAssertEqual(tokenizer.tokenize("[MASK]"), ["[UNK]", "[UNK]", "[UNK]"], "only added tokens are kept whole")
    }

    func testFiles_TokenizerJSONOfBPE_ThrowsUnsupported() {
        let json = #"{"model": {"type": "BPE", "vocab": {"a": 0}}, "pre_tokenizer": null}"#
        XCTAssertThrowsError(try BertTokenizer(files: TokenizerFiles(location: "m", tokenizerJSON: Array(json.utf8)))) {
            error in
            XCTAssertEqual(
                error as? TokenizerError,
                TokenizerError(file: "m/tokenizer.json", reason: .unsupported(what: "model.type", value: "BPE")))
        }
    }

    func testFiles_TokenizerJSONDuplicateID_Throws() {
        let json = #"{"model": {"type": "WordPiece", "vocab": {"a": 0, "b": 0}}}"#
        XCTAssertThrowsError(try BertTokenizer(files: TokenizerFiles(location: "m", tokenizerJSON: Array(json.utf8)))) {
            error in
            guard case .invalidTokenID(_, 0)? = (error as? TokenizerError)?.reason else {
                return XCTFail("\(error)")
            }
        }
    }

    func testFiles_InvalidConfigJSON_ThrowsWithOffset() {
        let files = TokenizerFiles(location: "m", vocabText: Self.vocabText, tokenizerConfig: Array(#"{"do_lower_case": tru}"#.utf8))
        XCTAssertThrowsError(try BertTokenizer(files: files)) { error in
            let error = error as? TokenizerError
            XCTAssertEqual(error?.file, "m/tokenizer_config.json")
            XCTAssertEqual(error?.offset, 21, "where the parser met the unexpected \"}\"")
        }
    }

    func testFiles_WrongMemberType_ThrowsNamingMember() {
        let files = TokenizerFiles(location: "m", vocabText: Self.vocabText, tokenizerConfig: Array(#"{"do_lower_case": "yes"}"#.utf8))
        XCTAssertThrowsError(try BertTokenizer(files: files)) { error in
            XCTAssertEqual(
                error as? TokenizerError,
                TokenizerError(file: "m/tokenizer_config.json", reason: .invalidMember("do_lower_case", expected: "true, false or null")))
        }
    }

    func testFiles_NoVocabulary_ThrowsMissingVocabulary() {
        XCTAssertThrowsError(try BertTokenizer(files: TokenizerFiles(location: "m"))) { error in
            XCTAssertEqual(error as? TokenizerError, TokenizerError(file: "m", reason: .missingVocabulary))
            XCTAssertEqual("\(error)", "m: no vocab.txt or tokenizer.json among the checkpoint's assets")
        }
    }

    func testCheckpoint_BertTiny_ReadsVocabularyAsset() throws {
        let folder = scratch + "/bert-tiny"
        try SafetensorsImporter().importFolder(try Self.bertTinyFolder(), to: folder)
        let tokenizer = try BertTokenizer(checkpoint: try Checkpoint(directory: folder))
        XCTAssertEqual(tokenizer.vocabulary.count, 1000)
        XCTAssertEqual(tokenizer.maxLength, 512)
        XCTAssertEqual(tokenizer.specialTokens, .init(classification: 2, separator: 3, padding: 0, unknown: 1))
        let direct = try BertTokenizer(files: TokenizerFiles(folder: try Self.bertTinyFolder()))
        XCTAssertEqual(direct, tokenizer)
    }

    // MARK: Hugging Face agreement (fixture made by scripts/make_minilm_reference.py)

    func testHuggingFaceFixture_TokenizerJSONAndVocabText_MatchEveryCase() throws {
        let folder = try MiniLMFixtures.modelFolder()
        var files = try TokenizerFiles(folder: folder)
        let fromJSON = try BertTokenizer(files: files)
        files.tokenizerJSON = nil
        let fromVocab = try BertTokenizer(files: files)
        let cases = try MiniLMFixtures.tokenizerCases()
        XCTAssertGreaterThan(cases.count, 300)
        for (text, expected) in cases {
            XCTAssertEqual(fromJSON.encode(text), expected, "tokenizer.json: \(text.debugDescription)")
            XCTAssertEqual(fromVocab.encode(text), expected, "vocab.txt: \(text.debugDescription)")
        }
    }
}
