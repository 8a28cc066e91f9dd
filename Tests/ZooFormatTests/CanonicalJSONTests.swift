import Foundation
import XCTest
import ZooFormat

/// RFC 8785 (JSON Canonicalization Scheme) output of `JSONValue.canonicalBytes`: the RFC's own
/// examples, ECMAScript number formatting (vectors checked against Node.js), UTF-16 key order,
/// idempotence, and a seeded property test.
final class CanonicalJSONTests: XCTestCase {
    private func canonical(_ value: JSONValue) -> String { String(decoding: value.canonicalBytes, as: UTF8.self) }

    private func canonical(parsing text: String) throws -> String {
        canonical(try JSONValue(parsing: Array(text.utf8)))
    }

    // MARK: RFC 8785 examples

    /// RFC 8785 §3.2.2, the input of its main example and the output the RFC prints.
    func testCanonical_RFC8785MainExample_MatchesPublishedOutput() throws {
        let input = #"""
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#
        let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        XCTAssertEqual(try canonical(parsing: input), expected)
    }

    /// RFC 8785 §3.2.3: members sorted by UTF-16 code units.
    func testCanonical_RFC8785SortingExample_SortsByUTF16CodeUnits() throws {
        let input = #"""
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """#
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\","
            + "\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\","
            + "\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        XCTAssertEqual(try canonical(parsing: input), expected)
    }

    func testCanonical_KeysAroundSurrogates_SortByCodeUnitsNotScalars() {
        let keys = ["\u{20AC}", "\r", "\u{1F600}", "1", "\u{80}", "\u{F6}", "\u{FB33}", "a"]
        let value = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.integer(0)) }))
        let order = ["\r", "1", "a", "\u{80}", "\u{F6}", "\u{20AC}", "\u{1F600}", "\u{FB33}"]
        let expected = "{" + order.map { key in
            "\(key == "\r" ? "\"\\r\"" : "\"\(key)\""):0"
        }.joined(separator: ",") + "}"
        XCTAssertEqual(canonical(value), expected)
    }

    func testCanonical_SpecKeyOrderExample_IsKept() {
        // spec/format.md §4.2: "", "B", "a", "naïve", "é", "😀", "Ａ".
        let keys = ["Ａ", "😀", "é", "naïve", "a", "B", ""]
        let value = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.null) }))
        XCTAssertEqual(canonical(value), #"{"":null,"B":null,"a":null,"naïve":null,"é":null,"😀":null,"Ａ":null}"#)
    }

    func testCanonical_ProperPrefixKey_SortsFirst() {
        XCTAssertEqual(canonical(["ab": 1, "a": 2, "abc": 3, "b": 4]), #"{"a":2,"ab":1,"abc":3,"b":4}"#)
    }

    // MARK: Numbers

    /// RFC 8785 Appendix B (IEEE 754 bit patterns and their ECMAScript text), checked with Node.js.
    func testCanonical_RFC8785NumberVectors_MatchECMAScript() {
        let vectors: [(UInt64, String)] = [
            (0x0000_0000_0000_0000, "0"), (0x8000_0000_0000_0000, "0"),
            (0x0000_0000_0000_0001, "5e-324"), (0x8000_0000_0000_0001, "-5e-324"),
            (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e+308"), (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e+308"),
            (0x4340_0000_0000_0000, "9007199254740992"), (0xC340_0000_0000_0000, "-9007199254740992"),
            (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"), (0x44B5_2D02_C7E1_4AF6, "1e+23"),
            (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"),
            (0x444B_1AE4_D6E2_EF4E, "999999999999999700000"), (0x444B_1AE4_D6E2_EF4F, "999999999999999900000"),
            (0x444B_1AE4_D6E2_EF50, "1e+21"),
            (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"), (0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
            (0x41B3_DE43_5555_5553, "333333333.3333332"), (0x41B3_DE43_5555_5554, "333333333.33333325"),
            (0x41B3_DE43_5555_5555, "333333333.3333333"), (0x41B3_DE43_5555_5556, "333333333.3333334"),
            (0x41B3_DE43_5555_5557, "333333333.33333343"),
            (0xBECB_F647_612F_3696, "-0.0000033333333333333333"), (0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
        ]
        for (bits, expected) in vectors {
            XCTAssertEqual(canonical(.number(Double(bitPattern: bits))), expected, String(bits, radix: 16))
        }
    }

    /// Pseudo-random bit patterns around every layout boundary, formatted by Node.js `String(x)`.
    func testCanonical_NodeCheckedRandomNumbers_MatchECMAScript() {
        let vectors: [(UInt64, String)] = [
            (0x6e789e6aa1b965f4, "1.4238489803937894e+224"), (0x3f445d188009454f, "0.0006214494351956342"),
            (0xbeabb8a8724c81ec, "-8.261597242744355e-7"), (0x4449896a51a8749b, "942140836714837800000"),
            (0x53cb9f0c747ea2ea, "4.609273758621373e+95"), (0x41629abe1f4532e1, "9754096.977197113"),
            (0xbee4133ac916ab3c, "-0.000009572561142719858"), (0x4445789041c98ac3, "792138283125941100000"),
            (0xf3b8488c368cb0a6, "-2.7166002272904965e+249"), (0x3e2eecdd3cb13d09, "3.6001730256164486e-9"),
            (0xbf0326e0055bdef6, "-0.000036529265953375996"), (0xc441a03fe0bbdb7b, "-650283688640218800000"),
            (0x8e1f7555983aa92f, "-1.1794492062552345e-240"), (0xbf2e0f1600cc4d19, "-0.0002293314322733074"),
            (0xbedb3f97971d80ab, "-0.000006496526440219619"), (0x4469825c75521255, "3.764496910087057e+21"),
            (0xc3cf17102b7f7f86, "-4480554237297626000"), (0x3ed6e9a083914f64, "0.000005462790846417216"),
            (0xbeaa8d2b5a4485ac, "-7.912946569413476e-7"), (0xc481602b100b9ed7, "-1.0256777579097523e+22"),
            (0xa9038a921825f10d, "-4.062794696117944e-111"), (0xbf35f1d90dca2f6a, "-0.0003348498264947793"),
            (0x3ea96ad67bd2634c, "7.57495619690878e-7"), (0xc42c01d4f5407269, "-258320417005057100000"),
            (0x935e82f1db4c4f7b, "-2.2127212872690492e-215"), (0x3f582ebc92233300, "0.0014759866249278164"),
            (0x3ea29eb57de1d510, "5.549179567093129e-7"), (0xc4709dabb45c6316, "-4.904148447571479e+21"),
            (0xee521d7a0f4d3872, "-2.619259841009158e+223"), (0xc00952ee72f3454f, "-3.1654938679209077"),
            (0x3ebd35dea8e40225, "0.0000017410772304439267"), (0x441de8064963bab0, "137918677374229800000"),
            (0x05582d37111ac529, "6.503388459155917e-283"), (0xbe84741f599dc6f7, "-1.5239122036106654e-7"),
            (0x3ed30f7593d108c3, "0.000004544350585668723"), (0x444ef96181daa383, "1.1427442179510353e+21"),
            (0x3c3c41a3b43343a1, "1.5317827395708478e-18"), (0x3ec9905dcbe531df, "0.000003047458078919563"),
            (0x3ef9fa7324851729, "0.00002477485603093809"), (0xc43b4454a792922a, "-502985834530740000000"),
        ]
        for (bits, expected) in vectors {
            XCTAssertEqual(canonical(.number(Double(bitPattern: bits))), expected, String(bits, radix: 16))
        }
    }

    func testCanonical_CommonNumbers_MatchECMAScript() throws {
        let cases: [(String, String)] = [
            ("1e30", "1e+30"), ("4.5", "4.5"), ("4.50", "4.5"), ("0.002", "0.002"), ("2e-3", "0.002"),
            ("1e-7", "1e-7"), ("0.0000001", "1e-7"), ("1e-6", "0.000001"), ("333333333.3333333", "333333333.3333333"),
            ("-0", "0"), ("-0.0", "0"), ("0.0", "0"), ("9007199254740991", "9007199254740991"),
            ("9007199254740991.0", "9007199254740991"), ("-9007199254740991", "-9007199254740991"),
            ("1e21", "1e+21"), ("1E21", "1e+21"), ("1e20", "100000000000000000000"), ("0.1", "0.1"),
            ("0.10", "0.1"), ("100.0", "100"), ("1.0e-12", "1e-12"), ("123e-20", "1.23e-18"), ("1.5e300", "1.5e+300"),
            ("-1.5", "-1.5"), ("5e-7", "5e-7"), ("2.5e-7", "2.5e-7"), ("0.000001234", "0.000001234"),
            ("1e16", "10000000000000000"), ("1.7976931348623157E+308", "1.7976931348623157e+308"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(try canonical(parsing: input), expected, input)
        }
    }

    func testCanonical_Int64Integers_PrintAsPlainDecimal() {
        XCTAssertEqual(canonical(.integer(0)), "0")
        XCTAssertEqual(canonical(.integer(-42)), "-42")
        XCTAssertEqual(canonical(.integer(9_007_199_254_740_991)), "9007199254740991")
        XCTAssertEqual(canonical(.integer(-9_007_199_254_740_991)), "-9007199254740991")
    }

    // MARK: Strings

    func testCanonical_ControlCharacters_UseShortOrLowercaseHexEscapes() {
        var expected: [String] = []
        for c in 0..<0x20 {
            switch c {
            case 0x08: expected.append("\\b")
            case 0x09: expected.append("\\t")
            case 0x0A: expected.append("\\n")
            case 0x0C: expected.append("\\f")
            case 0x0D: expected.append("\\r")
            default: expected.append(String(format: "\\u%04x", c))
            }
        }
        for c in 0..<0x20 {
            let value = JSONValue.string(String(UnicodeScalar(UInt8(c))))
            XCTAssertEqual(canonical(value), "\"" + expected[c] + "\"", "U+\(String(c, radix: 16))")
        }
        XCTAssertEqual(canonical("\u{F}"), #""\u000f""#)
        XCTAssertEqual(canonical("\u{1F}"), #""\u001f""#)
    }

    func testCanonical_QuoteAndBackslash_AreEscaped() {
        XCTAssertEqual(canonical(#"a"b\c"#), #""a\"b\\c""#)
    }

    func testCanonical_EverythingElse_IsLiteralUTF8() {
        let s = "/ \u{7F} \u{2028} \u{2029} é e\u{301} 日本 😀 \u{FFFF} \u{10FFFF}"
        XCTAssertEqual(Array(JSONValue.string(s).canonicalBytes), Array(("\"" + s + "\"").utf8))
    }

    func testCanonical_EscapedInput_BecomesMinimalEscapes() throws {
        XCTAssertEqual(try canonical(parsing: #""\u0041\/\u00e9\ud83d\ude00\u000F\u001F\u007f""#), "\"A/é😀\\u000f\\u001f\u{7F}\"")
    }

    // MARK: Whole documents

    func testCanonical_PrettyDocument_LosesAllWhitespace() throws {
        let text = "{\n  \"b\" : [ 1 , 2.50 , { \"y\" : null , \"x\" : true } ] ,\n  \"a\" : \"s p\"\n}\n"
        XCTAssertEqual(try canonical(parsing: text), #"{"a":"s p","b":[1,2.5,{"x":true,"y":null}]}"#)
        XCTAssertTrue(Self.hasWhitespaceOutsideStrings(Array(text.utf8)))
        XCTAssertFalse(Self.hasWhitespaceOutsideStrings(Array(try canonical(parsing: text).utf8)), "a space inside a string is fine")
    }

    func testCanonical_ArrayOrder_IsKept() {
        XCTAssertEqual(canonical([3, 1, 2, "b", "a"]), #"[3,1,2,"b","a"]"#)
    }

    func testCanonical_EqualValuesBuiltDifferently_GiveEqualBytes() throws {
        let a: JSONValue = ["z": 1, "a": ["k": [1.5, "x"]]]
        let b = try JSONValue(parsing: Array(#" { "a" : { "k" : [ 15e-1 , "\u0078" ] } , "z" : 1.0 } "#.utf8))
        XCTAssertEqual(a.canonicalBytes, b.canonicalBytes)
    }

    // MARK: Idempotence and properties

    func testCanonical_ParsingCanonicalBytes_GivesTheSameBytes() throws {
        let texts = [
            #"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001,-0.0,100.0]}"#,
            #"{"\u20ac":1,"\r":2,"\ufb33":3,"1":4,"\ud83d\ude00":5,"\u0080":6,"\u00f6":7}"#,
            #"{"s":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","l":[null,true,false,[],{}]}"#,
        ]
        for text in texts {
            let once = try JSONValue(parsing: Array(text.utf8)).canonicalBytes
            let twice = try JSONValue(parsing: once).canonicalBytes
            XCTAssertEqual(once, twice, text)
        }
    }

    func testCanonical_RandomValues_AreFixedPointsAndRoundTrip() throws {
        var generator = SplitMix64(seed: 0x5EED_2025)
        for i in 0..<400 {
            let value = randomValue(depth: 0, &generator)
            let once = value.canonicalBytes
            let reparsed: JSONValue
            do {
                reparsed = try JSONValue(parsing: once)
            } catch {
                XCTFail("value \(i): canonical bytes do not parse: \(error)\n\(String(decoding: once, as: UTF8.self))")
                continue
            }
            XCTAssertEqual(reparsed.canonicalBytes, once, "value \(i) is not a fixed point")
            XCTAssertEqual(normalised(reparsed), normalised(value), "value \(i) changed in the round trip")
            XCTAssertFalse(Self.hasWhitespaceOutsideStrings(once), "value \(i): whitespace outside strings")
        }
    }

    func testCanonical_RandomDoubles_RoundTripShortestInECMAScriptLayout() {
        var generator = SplitMix64(seed: 42)
        var checked = 0
        while checked < 3000 {
            let bits = generator.next()
            // Half fully random patterns, half with exponents near the layout boundaries (1e-7 .. 1e21).
            let d = checked % 2 == 0
                ? Double(bitPattern: bits)
                : Double(sign: bits & 1 == 0 ? .plus : .minus, exponent: Int(bits % 121) - 40,
                         significand: 1 + Double(bits >> 12 & 0xFFFFF) / 1048576)
            guard d.isFinite else { continue }
            checked += 1
            let text = canonical(.number(d))
            if d == 0 {
                XCTAssertEqual(text, "0")
                continue
            }
            XCTAssertEqual(Double(text), d, "\(text) does not round-trip to \(d)")
            let reference = Self.referenceECMAScript(d)
            let digits = Self.significantDigits(text)
            XCTAssertLessThanOrEqual(digits, Self.significantDigits(reference), "\(text) is not shortest (\(reference))")
            if digits == Self.significantDigits(reference) {
                XCTAssertEqual(text, reference, String(d.bitPattern, radix: 16))
            }
        }
    }

    // MARK: Helpers

    /// An independent Number::toString: shortest correctly rounded digits from printf's `%.*e`, then
    /// the ECMA-262 layout rules.
    static func referenceECMAScript(_ value: Double) -> String {
        if value < 0 { return "-" + referenceECMAScript(-value) }
        for precision in 0..<17 {
            let text = String(format: "%.\(precision)e", value)
            guard Double(text) == value else { continue }
            let parts = text.split(separator: "e")
            var digits = String(parts[0].filter { $0 != "." })
            while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
            let k = digits.count
            let n = (Int(parts[1]) ?? 0) + 1
            if k <= n && n <= 21 { return digits + String(repeating: "0", count: n - k) }
            if 0 < n && n <= 21 { return String(digits.prefix(n)) + "." + String(digits.dropFirst(n)) }
            if -6 < n && n <= 0 { return "0." + String(repeating: "0", count: -n) + digits }
            let e = n - 1
            let exponent = (e < 0 ? "-" : "+") + String(abs(e))
            return k == 1 ? digits + "e" + exponent : String(digits.prefix(1)) + "." + String(digits.dropFirst()) + "e" + exponent
        }
        return String(format: "%.17g", value)
    }

    /// The number of significant digits in an ECMAScript number text.
    static func significantDigits(_ text: String) -> Int {
        let mantissa = text.split(separator: "e").first.map(String.init) ?? text
        var digits = mantissa.filter(\.isNumber)
        while digits.hasPrefix("0") { digits.removeFirst() }
        if !mantissa.contains(".") { while digits.hasSuffix("0") { digits.removeLast() } }
        return max(1, digits.count)
    }

    /// Whether JSON text has a space, tab, CR or LF outside its strings.
    static func hasWhitespaceOutsideStrings(_ bytes: [UInt8]) -> Bool {
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
            } else if byte == 0x22 {
                inString = true
            } else if [0x20, 0x09, 0x0A, 0x0D].contains(byte) {
                return true
            }
        }
        return false
    }

    /// Numbers compared by value: integers and integral doubles are the same JSON number, -0 is 0.
    private func normalised(_ value: JSONValue) -> JSONValue {
        switch value {
        case let .integer(i): .number(Double(i))
        case let .number(d): .number(d == 0 ? 0 : d)
        case let .array(a): .array(a.map(normalised))
        case let .object(o): .object(o.mapValues(normalised))
        default: value
        }
    }

    private func randomString(_ g: inout SplitMix64) -> String {
        let pools: [ClosedRange<UInt32>] = [0x00...0x1F, 0x20...0x7E, 0x7F...0x7F, 0x80...0x7FF, 0x800...0xD7FF,
                                            0xE000...0xFFFF, 0x10000...0x10FFFF, 0x300...0x36F]
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...12, using: &g) {
            let pool = pools[Int.random(in: 0..<pools.count, using: &g)]
            if let scalar = Unicode.Scalar(UInt32.random(in: pool, using: &g)) { s.append(scalar) }
        }
        if Bool.random(using: &g) { s.append(contentsOf: ["\"", "\\", "/"].randomElement(using: &g)!.unicodeScalars) }
        return String(s)
    }

    private func randomNumber(_ g: inout SplitMix64) -> JSONValue {
        switch Int.random(in: 0..<5, using: &g) {
        case 0: return .integer(Int64.random(in: -9_007_199_254_740_991...9_007_199_254_740_991, using: &g))
        case 1: return .integer(Int64.random(in: -1000...1000, using: &g))
        case 2: return .number(Double(Int.random(in: -100_000...100_000, using: &g)) / pow(10, Double(Int.random(in: 0...9, using: &g))))
        case 3:
            let d = Double(bitPattern: g.next())
            return d.isFinite ? .number(d) : .number(0.5)
        default: return .number(Double.random(in: -1e25...1e25, using: &g))
        }
    }

    private func randomValue(depth: Int, _ g: inout SplitMix64) -> JSONValue {
        let kind = depth >= 5 ? Int.random(in: 0..<4, using: &g) : Int.random(in: 0..<7, using: &g)
        switch kind {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &g))
        case 2: return randomNumber(&g)
        case 3: return .string(randomString(&g))
        case 4, 5:
            return .array((0..<Int.random(in: 0...5, using: &g)).map { _ in randomValue(depth: depth + 1, &g) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &g) { members[randomString(&g)] = randomValue(depth: depth + 1, &g) }
            return .object(members)
        }
    }
}
