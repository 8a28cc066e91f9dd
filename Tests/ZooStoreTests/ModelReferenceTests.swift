import XCTest
import ZooFormat
@testable import ZooStore

final class ModelReferenceTests: XCTestCase {
    private let hex = String(repeating: "ab", count: 32)

    func testParse_NameWithoutTag_DefaultsToLatest() throws {
        XCTAssertEqual(try ModelReference(parsing: "bert-tiny"), .tagged(name: "bert-tiny", tag: "latest"))
    }

    func testParse_NameWithTagAndSlashes_KeepsBoth() throws {
        XCTAssertEqual(try ModelReference(parsing: "google/bert.base_uncased:v1.0-rc_2"),
                       .tagged(name: "google/bert.base_uncased", tag: "v1.0-rc_2"))
    }

    func testParse_FullDigest_IsDigest() throws {
        let digest = try XCTUnwrap(SHA256Digest(hex: hex))
        XCTAssertEqual(try ModelReference(parsing: "sha256:" + hex), .digest(digest))
        XCTAssertEqual(try ModelReference(parsing: hex), .digest(digest))
    }

    func testParse_PrefixWithAlgorithm_IsPrefixOnly() throws {
        XCTAssertEqual(try ModelReference(parsing: "sha256:abcd"), .digestPrefix("abcd", mayBeName: false))
    }

    func testParse_BareHexWord_IsPrefixThatMayBeAName() throws {
        XCTAssertEqual(try ModelReference(parsing: "beef12"), .digestPrefix("beef12", mayBeName: true))
        XCTAssertEqual(try ModelReference(parsing: "beef12").nameAndTag?.name, "beef12")
    }

    func testParse_ShortHex_IsAName() throws {
        XCTAssertEqual(try ModelReference(parsing: "abc"), .tagged(name: "abc", tag: "latest"))
    }

    func testParse_ShortPrefixWithAlgorithm_Throws() {
        XCTAssertThrowsError(try ModelReference(parsing: "sha256:abc")) { error in
            XCTAssertEqual((error as? StoreError)?.reason,
                           .invalidReference("sha256:abc", why: "a digest prefix needs at least 4 hex digits"))
        }
    }

    func testParse_UppercaseDigest_Throws() {
        XCTAssertThrowsError(try ModelReference(parsing: "sha256:ABCD")) { error in
            XCTAssertEqual((error as? StoreError)?.reason,
                           .invalidReference("sha256:ABCD", why: "a digest is sha256: followed by lowercase hex digits"))
        }
    }

    func testParse_EmptyTag_Throws() {
        XCTAssertThrowsError(try ModelReference(parsing: "bert:")) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .invalidReference("bert:", why: "empty tag after \":\""))
        }
    }

    func testValidateName_BadNames_ThrowWithReason() {
        let cases: [(String, String)] = [
            ("", "empty"),
            ("Bert", "uppercase \"B\" at position 1: names are lowercase"),
            ("-bert", "must start with a lowercase letter or digit"),
            ("bert-", "must end with a lowercase letter or digit"),
            ("bert--tiny", "separator \"-\" at position 6 must sit between letters or digits"),
            ("org//bert", "separator \"/\" at position 5 must sit between letters or digits"),
            ("bert tiny", "character 0x20 at position 5 is not allowed (use a-z, 0-9, \".\", \"_\", \"-\", \"/\")"),
            ("../etc", "must start with a lowercase letter or digit"),
            (String(repeating: "a", count: 256), "longer than 255 characters"),
        ]
        for (name, why) in cases {
            XCTAssertThrowsError(try ModelReference.validateName(name), name) { error in
                XCTAssertEqual((error as? StoreError)?.reason, .invalidName(name, why: why), name)
            }
        }
    }

    func testValidateName_LongestName_Passes() throws {
        try ModelReference.validateName(String(repeating: "a", count: 255))
        try ModelReference.validateName("a.b_c-d/e0")
    }

    func testValidateTag_BadTags_ThrowWithReason() {
        let cases: [(String, String)] = [
            ("", "empty"),
            (".hidden", "must start with a letter, a digit or \"_\""),
            ("-x", "must start with a letter, a digit or \"_\""),
            ("v1/2", "character \"/\" at position 3 is not allowed (use A-Z, a-z, 0-9, \".\", \"_\", \"-\")"),
            (String(repeating: "a", count: 129), "longer than 128 characters"),
        ]
        for (tag, why) in cases {
            XCTAssertThrowsError(try ModelReference.validateTag(tag), tag) { error in
                XCTAssertEqual((error as? StoreError)?.reason, .invalidTag(tag, why: why), tag)
            }
        }
    }

    func testParse_InvalidTag_ThrowsInvalidTag() {
        XCTAssertThrowsError(try ModelReference(parsing: "bert:.x")) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .invalidTag(".x", why: "must start with a letter, a digit or \"_\""))
        }
    }

    func testSanitizedName_FreeText_BecomesValidName() {
        XCTAssertEqual(ModelReference.sanitizedName("BERT tiny (uncased)"), "bert-tiny-uncased")
        XCTAssertEqual(ModelReference.sanitizedName("google/bert__base"), "google/bert_base")
        XCTAssertEqual(ModelReference.sanitizedName("--x--"), "x")
        XCTAssertNil(ModelReference.sanitizedName("***"))
    }

    func testDescription_RoundTrips() throws {
        for text in ["bert:v1", "sha256:abcd", "beef12", "sha256:" + hex] {
            XCTAssertEqual(try ModelReference(parsing: text).description, text == "bert:v1" ? "bert:v1" : text)
        }
    }
}
