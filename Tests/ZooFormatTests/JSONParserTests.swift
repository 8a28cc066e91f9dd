import XCTest
import ZooFormat

/// The strict JSON parser (`JSONValue(parsing:)`): every kind of value, and every rejection with
/// its exact reason and byte offset.
final class JSONParserTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue { try JSONValue(parsing: Array(text.utf8)) }

    private func assertRejected(
        _ bytes: [UInt8], offset: Int, _ reason: JSONError.Reason, maxDepth: Int = JSONValue.defaultMaxDepth,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let shown = String(decoding: bytes.prefix(80), as: UTF8.self).debugDescription
        XCTAssertThrowsError(try JSONValue(parsing: bytes, maxDepth: maxDepth), shown, file: file, line: line) { error in
            guard let error = error as? JSONError else { return XCTFail("not a JSONError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.reason, reason, shown, file: file, line: line)
            XCTAssertEqual(error.offset, offset, shown, file: file, line: line)
        }
    }

    private func assertRejected(
        _ text: String, offset: Int, _ reason: JSONError.Reason, file: StaticString = #filePath, line: UInt = #line
    ) {
        assertRejected(Array(text.utf8), offset: offset, reason, file: file, line: line)
    }

    // MARK: Valid documents

    func testParse_Literals_GiveTheirValues() throws {
        XCTAssertEqual(try parse("null"), .null)
        XCTAssertEqual(try parse("true"), .bool(true))
        XCTAssertEqual(try parse("false"), .bool(false))
        XCTAssertEqual(try parse("\"\""), .string(""))
        XCTAssertEqual(try parse("[]"), .array([]))
        XCTAssertEqual(try parse("{}"), .object([:]))
    }

    func testParse_NestedDocumentWithWhitespace_GivesTree() throws {
        let text = " \t\r\n{ \"a\" : [1, -2.5, \"x\", true, false, null, {}, []],\n\"b\":{\"c\":{\"d\":\"e\"}} }\n\t "
        let expected: JSONValue = [
            "a": [.integer(1), .number(-2.5), "x", true, false, nil, .object([:]), .array([])],
            "b": ["c": ["d": "e"]],
        ]
        XCTAssertEqual(try parse(text), expected)
    }

    func testParse_TopLevelScalars_AreAccepted() throws {
        XCTAssertEqual(try parse("42"), .integer(42))
        XCTAssertEqual(try parse(" \"s\" "), .string("s"))
    }

    func testParse_UnsafeRawBufferOverload_MatchesArrayOverload() throws {
        let bytes = Array("{\"k\":[1,2,3]}".utf8)
        let viaBuffer = try bytes.withUnsafeBytes { try JSONValue(parsing: $0) }
        XCTAssertEqual(viaBuffer, try JSONValue(parsing: bytes))
    }

    // MARK: Strings

    func testParse_SimpleEscapes_AreDecoded() throws {
        XCTAssertEqual(try parse(#""\"\\\/\b\f\n\r\t""#), .string("\"\\/\u{8}\u{C}\n\r\t"))
    }

    func testParse_UnicodeEscapes_AreDecodedInAnyHexCase() throws {
        XCTAssertEqual(try parse(#""\u0041\u00e9\u00E9\u20AC\u20ac""#), .string("Aéé€€"))
        XCTAssertEqual(try parse(#""\u0000""#), .string("\u{0}"))
        XCTAssertEqual(try parse(#""\u001f\u007f\u2028""#), .string("\u{1F}\u{7F}\u{2028}"))
    }

    func testParse_SurrogatePairEscapes_GiveOneScalar() throws {
        XCTAssertEqual(try parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(try parse(#""\uD834\uDD1E""#), .string("\u{1D11E}"))
        XCTAssertEqual(try parse(#""\uDBFF\uDFFF""#), .string("\u{10FFFF}"))
        XCTAssertEqual(try parse(#""\uD800\uDC00""#), .string("\u{10000}"))
    }

    func testParse_RawUTF8_IsKeptAsIs() throws {
        let text = "\"naïve 日本 😀 \u{7F} \u{2028} e\u{301}\""
        XCTAssertEqual(try parse(text).stringValue?.unicodeScalars.map(\.value),
                       "naïve 日本 😀 \u{7F} \u{2028} e\u{301}".unicodeScalars.map(\.value))
    }

    func testParse_EscapesAfterRawNonASCII_KeepThePrefix() throws {
        // The parser switches from its fast path to the escape path in the middle of the string.
        XCTAssertEqual(try parse("\"日本\\n😀\\u00e9\""), .string("日本\n😀é"))
    }

    func testParse_NormalisationVariants_StayDistinct() throws {
        let value = try parse(#"["\u00e9","e\u0301"]"#)
        let scalars = value.arrayValue?.map { $0.stringValue?.unicodeScalars.map(\.value) ?? [] }
        XCTAssertEqual(scalars, [[0xE9], [0x65, 0x301]])
    }

    // MARK: Numbers

    func testParse_Integers_StayExactInt64() throws {
        XCTAssertEqual(try parse("0"), .integer(0))
        XCTAssertEqual(try parse("-17"), .integer(-17))
        XCTAssertEqual(try parse("9007199254740991"), .integer(9_007_199_254_740_991))
        XCTAssertEqual(try parse("9223372036854775807"), .integer(Int64.max))
        XCTAssertEqual(try parse("-9223372036854775808"), .integer(Int64.min))
    }

    func testParse_IntegerBeyondInt64_BecomesDouble() throws {
        XCTAssertEqual(try parse("9223372036854775808"), .number(9_223_372_036_854_775_808.0))
        XCTAssertEqual(try parse("-9223372036854775809"), .number(-9_223_372_036_854_775_808.0))
    }

    func testParse_NegativeZero_IsZero() throws {
        XCTAssertEqual(try parse("-0"), .integer(0))
        guard case let .number(d) = try parse("-0.0") else { return XCTFail("-0.0 is not a double") }
        XCTAssertEqual(d, 0)
        XCTAssertEqual(d.sign, .minus)
    }

    func testParse_FractionsAndExponents_AreDoubles() throws {
        XCTAssertEqual(try parse("1.5"), .number(1.5))
        XCTAssertEqual(try parse("-2.5e-3"), .number(-0.0025))
        XCTAssertEqual(try parse("1E2"), .number(100))
        XCTAssertEqual(try parse("1e+2"), .number(100))
        XCTAssertEqual(try parse("1.0"), .number(1))
        XCTAssertEqual(try parse("0.1"), .number(0.1))
        XCTAssertEqual(try parse("333333333.33333329"), .number(333_333_333.333_333_3))
        XCTAssertEqual(try parse("1.7976931348623157e308"), .number(.greatestFiniteMagnitude))
        XCTAssertEqual(try parse("5e-324"), .number(.leastNonzeroMagnitude))
        XCTAssertEqual(try parse("1e-400"), .number(0), "underflow rounds to zero, which is finite")
    }

    // MARK: Structural rejections

    func testParse_EmptyOrBlank_ThrowsUnexpectedEnd() {
        assertRejected("", offset: 0, .unexpectedEnd)
        assertRejected(" \n\t", offset: 3, .unexpectedEnd)
    }

    func testParse_TrailingBytes_ThrowsAtFirstExtraByte() {
        assertRejected("[1] x", offset: 4, .trailingBytes)
        assertRejected("{} {}", offset: 3, .trailingBytes)
        assertRejected("null\u{0}", offset: 4, .trailingBytes)
        assertRejected("\"a\"\"b\"", offset: 3, .trailingBytes)
    }

    func testParse_TrailingCommasAndMissingSeparators_Throw() {
        assertRejected("[1,]", offset: 3, .unexpectedByte(UInt8(ascii: "]")))
        assertRejected(#"{"a":1,}"#, offset: 7, .unexpectedByte(UInt8(ascii: "}")))
        assertRejected(#"{"a" 1}"#, offset: 5, .unexpectedByte(UInt8(ascii: "1")))
        assertRejected("{1:2}", offset: 1, .unexpectedByte(UInt8(ascii: "1")))
        assertRejected("[1 2]", offset: 3, .unexpectedByte(UInt8(ascii: "2")))
        assertRejected("[1", offset: 2, .unexpectedEnd)
        assertRejected(#"{"a":1"#, offset: 6, .unexpectedEnd)
        assertRejected(#"{"a""#, offset: 4, .unexpectedEnd)
    }

    func testParse_BrokenLiterals_Throw() {
        assertRejected("tru", offset: 3, .unexpectedEnd)
        assertRejected("trUe", offset: 2, .unexpectedByte(UInt8(ascii: "U")))
        assertRejected("True", offset: 0, .unexpectedByte(UInt8(ascii: "T")))
        assertRejected("nul", offset: 3, .unexpectedEnd)
        assertRejected("[fals]", offset: 5, .unexpectedByte(UInt8(ascii: "]")))
    }

    func testParse_ExtensionsAndBOM_AreRefused() {
        assertRejected([0xEF, 0xBB, 0xBF] + Array("{}".utf8), offset: 0, .unexpectedByte(0xEF))
        assertRejected("// c\n{}", offset: 0, .unexpectedByte(UInt8(ascii: "/")))
        assertRejected("[1,/*c*/2]", offset: 3, .unexpectedByte(UInt8(ascii: "/")))
        assertRejected("{'a':1}", offset: 1, .unexpectedByte(UInt8(ascii: "'")))
        assertRejected("\u{C}1", offset: 0, .unexpectedByte(0x0C))
        assertRejected([UInt8(ascii: "["), 0xFF, UInt8(ascii: "]")], offset: 1, .unexpectedByte(0xFF))
    }

    // MARK: Duplicate keys

    func testParse_DuplicateKey_ThrowsAtSecondKey() {
        assertRejected(#"{"a":1,"a":2}"#, offset: 7, .duplicateKey("a"))
        assertRejected(#"{"x":{"b":1,"c":2,"b":3}}"#, offset: 18, .duplicateKey("b"))
    }

    func testParse_DuplicateKeyAfterUnescaping_Throws() {
        assertRejected(#"{"a":1,"\u0061":2}"#, offset: 7, .duplicateKey("a"))
        assertRejected(#"{"😀":1,"\ud83d\ude00":2}"#, offset: 10, .duplicateKey("😀"))
    }

    // MARK: Invalid UTF-8 (offset = first byte of the string's content)

    func testParse_OverlongUTF8_ThrowsInvalidUTF8() {
        assertRejected([0x22, 0xC0, 0xAF, 0x22], offset: 1, .invalidUTF8)  // '/' in 2 bytes
        assertRejected([0x22, 0xC1, 0xBF, 0x22], offset: 1, .invalidUTF8)
        assertRejected([0x22, 0xE0, 0x80, 0xAF, 0x22], offset: 1, .invalidUTF8)  // '/' in 3 bytes
        assertRejected([0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22], offset: 1, .invalidUTF8)  // '/' in 4 bytes
    }

    func testParse_LoneContinuationByte_ThrowsInvalidUTF8() {
        assertRejected([0x22, 0x80, 0x22], offset: 1, .invalidUTF8)
        assertRejected([0x22, 0x61, 0x62, 0xBF, 0x22], offset: 1, .invalidUTF8)
    }

    func testParse_SurrogateEncodedInUTF8_ThrowsInvalidUTF8() {
        assertRejected([0x22, 0xED, 0xA0, 0x80, 0x22], offset: 1, .invalidUTF8)  // U+D800
        assertRejected([0x22, 0xED, 0xBF, 0xBF, 0x22], offset: 1, .invalidUTF8)  // U+DFFF
        // CESU-8 style pair for U+1F600.
        assertRejected([0x22, 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80, 0x22], offset: 1, .invalidUTF8)
    }

    func testParse_OtherInvalidUTF8_Throws() {
        assertRejected([0x22, 0xE2, 0x82, 0x22], offset: 1, .invalidUTF8)  // truncated sequence
        assertRejected([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], offset: 1, .invalidUTF8)  // above U+10FFFF
        assertRejected([0x22, 0xFE, 0x22], offset: 1, .invalidUTF8)
        assertRejected([0x22, 0xFF, 0x22], offset: 1, .invalidUTF8)
    }

    func testParse_InvalidUTF8InKeyOrEscapedString_Throws() {
        assertRejected([0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x3A, 0x31, 0x7D], offset: 2, .invalidUTF8)
        // Same check on the escape path: "\n" then an overlong byte pair.
        assertRejected([0x22, 0x5C, 0x6E, 0xC0, 0xAF, 0x22], offset: 1, .invalidUTF8)
    }

    // MARK: Escapes

    func testParse_LoneSurrogateEscapes_ThrowInvalidEscape() {
        assertRejected(#""\uDD1E""#, offset: 7, .invalidEscape)  // low surrogate alone
        assertRejected(#""\uDC00x""#, offset: 7, .invalidEscape)
        assertRejected(#""\uD800""#, offset: 7, .invalidEscape)  // high surrogate at the end
        assertRejected(#""\uD800abcdef""#, offset: 7, .invalidEscape)  // high surrogate, no escape after
        assertRejected(#""\uD800\u0041""#, offset: 13, .invalidEscape)  // high then not-low
        assertRejected(#""\uD800\uD800""#, offset: 13, .invalidEscape)  // high then high
        assertRejected(#""\uDBFF\n1234""#, offset: 7, .invalidEscape)  // high then another escape
    }

    func testParse_UnknownOrMalformedEscapes_Throw() {
        assertRejected(#""\x""#, offset: 2, .invalidEscape)
        assertRejected(#""\'""#, offset: 2, .invalidEscape)
        assertRejected(#""\U0041""#, offset: 2, .invalidEscape)
        assertRejected(#""\u12G4""#, offset: 5, .invalidEscape)
        assertRejected(#""\u12""#, offset: 6, .unexpectedEnd)
        assertRejected("\"\\", offset: 2, .unexpectedEnd)
    }

    // MARK: Control characters

    func testParse_RawControlCharacters_ThrowAtTheirOffset() {
        assertRejected([0x22, 0x61, 0x0A, 0x22], offset: 2, .controlCharacterInString)
        assertRejected([0x22, 0x09, 0x22], offset: 1, .controlCharacterInString)
        assertRejected([0x22, 0x00, 0x22], offset: 1, .controlCharacterInString)
        assertRejected([0x22, 0x1F, 0x22], offset: 1, .controlCharacterInString)
        assertRejected([0x22, 0x5C, 0x6E, 0x01, 0x22], offset: 3, .controlCharacterInString)  // after an escape
        XCTAssertEqual(try JSONValue(parsing: [0x22, 0x7F, 0x22]), .string("\u{7F}"), "DEL is not a control character in JSON")
    }

    func testParse_UnterminatedString_ThrowsUnexpectedEnd() {
        assertRejected("\"abc", offset: 4, .unexpectedEnd)
        assertRejected("\"ab\\n", offset: 5, .unexpectedEnd)
        assertRejected("[\"ab\\", offset: 5, .unexpectedEnd)
    }

    // MARK: Number rejections

    func testParse_LeadingZeros_AreRefused() {
        assertRejected("01", offset: 1, .trailingBytes)
        assertRejected("-01", offset: 2, .trailingBytes)
        assertRejected("00", offset: 1, .trailingBytes)
        assertRejected("[01]", offset: 2, .unexpectedByte(UInt8(ascii: "1")))
        assertRejected("0x10", offset: 1, .trailingBytes)
    }

    func testParse_IncompleteNumbers_ThrowInvalidNumber() {
        assertRejected("1.", offset: 2, .invalidNumber)
        assertRejected("1.e3", offset: 2, .invalidNumber)
        assertRejected("[1.]", offset: 3, .invalidNumber)
        assertRejected("1e", offset: 2, .invalidNumber)
        assertRejected("1e+", offset: 3, .invalidNumber)
        assertRejected("1E-x", offset: 3, .invalidNumber)
        assertRejected("-a", offset: 1, .invalidNumber)
        assertRejected("-", offset: 1, .unexpectedEnd)
    }

    func testParse_NumbersJSONDoesNotHave_AreRefused() {
        assertRejected(".5", offset: 0, .unexpectedByte(UInt8(ascii: ".")))
        assertRejected("+1", offset: 0, .unexpectedByte(UInt8(ascii: "+")))
        assertRejected("NaN", offset: 0, .unexpectedByte(UInt8(ascii: "N")))
        assertRejected("Infinity", offset: 0, .unexpectedByte(UInt8(ascii: "I")))
        assertRejected("-Infinity", offset: 1, .invalidNumber)
        assertRejected("[-NaN]", offset: 2, .invalidNumber)
    }

    func testParse_OutOfRangeNumbers_ThrowInvalidNumberAtTheirStart() {
        assertRejected("1e999", offset: 0, .invalidNumber)
        assertRejected("-1e999", offset: 0, .invalidNumber)
        assertRejected("[0, 1.8e308]", offset: 4, .invalidNumber)
        assertRejected("1" + String(repeating: "0", count: 400), offset: 0, .invalidNumber)
    }

    // MARK: Nesting

    func testParse_64NestedArrays_Accepted() throws {
        var value = try JSONValue(parsing: Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8))
        var depth = 0
        while case let .array(elements) = value {
            depth += 1
            value = elements.first ?? .null
        }
        XCTAssertEqual(depth, 64)
    }

    func testParse_65NestedArrays_ThrowsNestingTooDeep() {
        let text = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        assertRejected(text, offset: 64, .nestingTooDeep(limit: 64))
    }

    func testParse_NestedObjects_CountLikeArrays() throws {
        let ok = String(repeating: #"{"a":"#, count: 63) + "[1]" + String(repeating: "}", count: 63)
        XCTAssertNoThrow(try parse(ok))
        let deep = String(repeating: #"{"a":"#, count: 64) + "[1]" + String(repeating: "}", count: 64)
        assertRejected(deep, offset: 64 * 5, .nestingTooDeep(limit: 64))
    }

    func testParse_100kOpenBrackets_ThrowsNestingTooDeepWithoutCrashing() {
        assertRejected([UInt8](repeating: UInt8(ascii: "["), count: 100_000), offset: 64, .nestingTooDeep(limit: 64))
        let objects = Array(String(repeating: #"{"a":"#, count: 100_000).utf8)
        assertRejected(objects, offset: 64 * 5, .nestingTooDeep(limit: 64))
    }

    func testParse_CustomMaxDepth_IsHonoured() {
        XCTAssertNoThrow(try JSONValue(parsing: Array("[[1]]".utf8), maxDepth: 2))
        assertRejected(Array("[[[1]]]".utf8), offset: 2, .nestingTooDeep(limit: 2), maxDepth: 2)
    }

    // MARK: Robustness

    private let richDocument = #"""
        {"name":"bert","n":[0,-1,9007199254740991,-9223372036854775808,1.5e-7,2E+10,-0.0],
         "s":"a\"b\\c\/\b\f\n\r\t\u0000\u00e9\uD83D\uDE00 日本 😀","deep":[[[{"k":[true,false,null]}]]],
         "e":{},"a":[]}
        """#

    func testParse_RichDocument_Parses() throws {
        let value = try parse(richDocument)
        XCTAssertEqual(value["s"]?.stringValue, "a\"b\\c/\u{8}\u{C}\n\r\t\u{0}é😀 日本 😀")
        XCTAssertEqual(value["n"]?.arrayValue?.count, 7)
    }

    func testParse_EveryPrefixOfADocument_Throws() {
        let bytes = Array(richDocument.utf8)
        for n in 0..<bytes.count {
            XCTAssertThrowsError(try JSONValue(parsing: Array(bytes.prefix(n))), "prefix of \(n) bytes") { error in
                guard let error = error as? JSONError else { return XCTFail("not a JSONError: \(error)") }
                XCTAssertLessThanOrEqual(error.offset, n, "prefix of \(n) bytes: \(error)")
            }
        }
    }

    func testParse_EverySingleByteCorruption_ParsesOrThrowsWithinBounds() {
        // Poor man's fuzzing: the only contract is "no crash, and an error points inside the input".
        let bytes = Array(richDocument.utf8)
        let replacements: [UInt8] = [0x00, 0x22, 0x5C, 0x5B, 0x7B, 0x7D, 0x2C, 0x30, 0x2D, 0x65, 0x80, 0xC0, 0xED, 0xFF]
        var rejected = 0
        for i in bytes.indices {
            for replacement in replacements where replacement != bytes[i] {
                var corrupt = bytes
                corrupt[i] = replacement
                do {
                    _ = try JSONValue(parsing: corrupt)
                } catch {
                    rejected += 1
                    XCTAssertLessThanOrEqual(error.offset, corrupt.count, "byte \(i) -> \(replacement): \(error)")
                }
            }
        }
        XCTAssertGreaterThan(rejected, bytes.count, "most corruptions must be rejected")
    }

    func testErrorDescription_NamesWhatAndWhere() {
        XCTAssertThrowsError(try parse("[1,]")) { error in
            XCTAssertEqual("\(error)", "unexpected character ']' at JSON byte 3")
        }
        XCTAssertThrowsError(try JSONValue(parsing: [0x5B, 0x01])) { error in
            XCTAssertEqual("\(error)", "unexpected byte 0x1 at JSON byte 1")
        }
        XCTAssertThrowsError(try parse(#"{"k":1,"k":2}"#)) { error in
            XCTAssertEqual("\(error)", "duplicate key \"k\" at JSON byte 7")
        }
    }

    // MARK: Unicode equivalence

    /// Keys that are canonically equivalent (NFC vs NFD) are duplicates (spec §4.1): refusing
    /// them is stricter than RFC 8259 and keeps look-alike keys out of manifests and headers.
    func testParse_CanonicallyEquivalentKeys_AreDuplicates() throws {
        XCTAssertThrowsError(try parse(#"{"\u00e9":1,"e\u0301":2}"#)) { error in
            XCTAssertEqual((error as? JSONError)?.reason, .duplicateKey("e\u{301}"))
        }
    }
}
