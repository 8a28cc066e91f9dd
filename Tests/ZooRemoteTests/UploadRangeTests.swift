import XCTest
@testable import ZooRemote

/// The `Range` header of OCI upload answers, parsed strictly, with CNCF distribution's `0-0`
/// (written for 0 and for 1 byte) kept ambiguous.
final class UploadRangeTests: XCTestCase {
    private let url = "http://127.0.0.1:5000/v2/m/blobs/uploads/u?_state=SECRET"

    func testZeroZero_IsZeroOrOneByte_ConfirmsBothAndResumesNeither() throws {
        let range = try UploadRange(parsing: "0-0", source: url)
        XCTAssertEqual(range, .zeroOrOne)
        XCTAssertTrue(range.confirms(0))
        XCTAssertTrue(range.confirms(1), "a PATCH of byte 0 is confirmed by 0-0")
        XCTAssertFalse(range.confirms(2))
        XCTAssertNil(range.resumableCount)
        XCTAssertEqual(range.held, "0 or 1 byte")
    }

    func testLastByteN_HoldsNPlusOne() throws {
        XCTAssertEqual(try UploadRange(parsing: "0-1", source: url), .bytes(2))
        XCTAssertEqual(try UploadRange(parsing: "0-4194304", source: url), .bytes(4_194_305))
        XCTAssertEqual(try UploadRange(parsing: "bytes=0-9", source: url), .bytes(10))
        XCTAssertEqual(try UploadRange(parsing: " 0-9 ", source: url), .bytes(10))
        let range = try UploadRange(parsing: "0-67108863", source: url)
        XCTAssertTrue(range.confirms(64 << 20))
        XCTAssertFalse(range.confirms(64 << 20 + 1))
        XCTAssertEqual(range.resumableCount, 64 << 20)
    }

    func testMalformedHeaders_AreRefusedNamingTheHeaderButNotTheToken() {
        let cases = [
            ("", "is not of the form 0-<last byte>"), ("5", "is not of the form 0-<last byte>"),
            ("0-1-2", "is not of the form 0-<last byte>"), ("1-5", "does not start at byte 0"),
            ("00-5", "does not start at byte 0"), ("0-", "has no decimal last byte"), ("0--1", "is not of the form 0-<last byte>"),
            ("0-+5", "has no decimal last byte"), ("0- 5", "has no decimal last byte"), ("0-0x10", "has no decimal last byte"),
            ("0-99999999999999999999", "is out of range"), ("0-9223372036854775807", "is out of range"),
        ]
        for (header, why) in cases {
            XCTAssertThrowsError(try UploadRange(parsing: header, source: url), header) { error in
                XCTAssertEqual(error as? RemoteError, RemoteError(.invalidReply(source: url, why: "upload Range \"\(header)\" \(why)")),
                               header)
                XCTAssertFalse("\(error)".contains("SECRET"), "\(error)")
            }
        }
    }

    func testAbsentHeader_IsNil() throws {
        XCTAssertNil(try UploadRange(header: nil, source: url))
        XCTAssertEqual(try UploadRange(header: "0-3", source: url), .bytes(4))
    }
}
