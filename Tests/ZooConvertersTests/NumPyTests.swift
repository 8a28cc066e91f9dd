import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// The strict `.npy` header parser and NumPy's own header bytes, on hand-made headers.
final class NumPyTests: XCTestCase {
    func testParse_NumPyHeader_ReadsEveryField() throws {
        let header = try parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
        XCTAssertEqual(header.dtype, .f32)
        XCTAssertEqual(header.shape, [2, 3])
        XCTAssertFalse(header.fortranOrder)
        XCTAssertFalse(header.isBigEndian)
        XCTAssertEqual(header.dataByteCount, 24)
        XCTAssertEqual(header.dataOffset, 128)
        XCTAssertTrue(header.isZooLayout)
    }

    func testParse_Variants_Accepted() throws {
        XCTAssertEqual(try parse("{'shape': (5,), 'fortran_order': True, 'descr': '>i8'}").shape, [5])
        XCTAssertEqual(try parse("{\"descr\": \"|b1\", \"fortran_order\": False, \"shape\": ()}").dtype, .bool)
        XCTAssertEqual(try parse("{'descr':'<u2','fortran_order':False,'shape':(3L, 4L),}").shape, [3, 4])
        let bigEndian = try parse("{'descr': '>f2', 'fortran_order': True, 'shape': (2, 2), }")
        XCTAssertTrue(bigEndian.isBigEndian)
        XCTAssertTrue(bigEndian.fortranOrder)
        XCTAssertFalse(bigEndian.isZooLayout)
        XCTAssertFalse(try parse("{'descr': '>i1', 'fortran_order': False, 'shape': (2,), }").isBigEndian, "one byte has no order")
        XCTAssertEqual(try parse("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 7), }").dataByteCount, 0)
    }

    func testParse_Version2And3_FourByteLength() throws {
        for major: UInt8 in [2, 3] {
            let text = Array("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }\n".utf8)
            let bytes = NumPy.magic + [major, 0] + leBytes(UInt32(text.count)) + text + leBytes(Int32(7))
            let header = try bytes.withUnsafeBytes { try NumPyHeader.parse($0, file: "v") }
            XCTAssertEqual(header.majorVersion, major)
            XCTAssertEqual(header.dataOffset, 12 + text.count)
        }
    }

    func testParse_Rejections_ExactReasons() {
        let cases: [(String, NumPyError.Reason)] = [
            ("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
             .unsupportedDType(descr: "|O", why: "object arrays hold pickled Python objects, which zoo never loads")),
            ("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }",
             .unsupportedDType(descr: "<c8", why: "complex arrays are not read from NumPy files (zoo carries C64 from safetensors only)")),
            ("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }",
             .unsupportedDType(descr: "<U3", why: "unicode strings are not tensors")),
            ("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }",
             .unsupportedDType(descr: "[...]", why: "structured (record) dtypes are not tensors")),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", .invalidHeader(why: "unexpected key 'extra'")),
            ("{'descr': '<f4', 'fortran_order': False}", .invalidHeader(why: "no 'shape'")),
            ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': ()}", .invalidHeader(why: "fortran_order must be True or False")),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (5)}", .invalidHeader(why: "a one-dimensional shape must be written (n,)")),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", .invalidHeader(why: "expected a non-negative integer in the shape")),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'descr': '<f4'}", .invalidHeader(why: "key 'descr' twice")),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': ()} + __import__('os')", .invalidHeader(why: "unexpected text after the dict")),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", .invalidHeader(why: "dimension too large")),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", .sizeOverflow),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertEqual((error as? NumPyError)?.reason, reason, text)
            }
        }
    }

    func testParse_HeaderTooLargeAndTruncated_Throw() {
        let huge = NumPy.magic + [2, 0] + leBytes(UInt32(1) << 31) + [0x7B]
        XCTAssertEqual(numPyReason(huge), .headerTooLarge(declared: 1 << 31))
        let short = NumPy.magic + [1, 0] + leBytes(UInt16(100)) + Array("{'descr'".utf8)
        XCTAssertEqual(numPyReason(short), .truncatedHeader)
        XCTAssertEqual(numPyReason(Array("PK\u{3}\u{4}xxxxxx".utf8)), .notNumPy)
        XCTAssertEqual(numPyReason(NumPy.magic + [4, 0, 0, 0]), .unsupportedVersion(major: 4, minor: 0))
        let full = header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
        for n in 0..<full.count { XCTAssertNotNil(numPyReason(Array(full.prefix(n))), "prefix \(n)") }
    }

    func testEncode_SameBytesAsNumPySave() {
        // What numpy 2.x's numpy.save writes (checked against numpy in NumPyInteropTests too).
        let expected = NumPy.magic + [1, 0, 118, 0] + Array("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }".utf8)
            + [UInt8](repeating: 0x20, count: 58) + [0x0A]
        XCTAssertEqual(NumPyHeader.encode(dtype: .f32, shape: [2, 3]), expected)
        XCTAssertEqual(NumPyHeader.encode(dtype: .bool, shape: []).map { String(decoding: $0.dropFirst(10), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) },
                       "{'descr': '|b1', 'fortran_order': False, 'shape': (), }")
        XCTAssertNil(NumPyHeader.encode(dtype: .bf16, shape: [2]))
        for (dtype, shape) in [(DType.f16, [7]), (.i64, [1, 2, 3, 4]), (.u8, [0]), (.f64, [])] {
            let bytes = NumPyHeader.encode(dtype: dtype, shape: shape) ?? []
            XCTAssertEqual(bytes.count % 64, 0)
            XCTAssertEqual(try? bytes.withUnsafeBytes { try NumPyHeader.parse($0, file: "x") }.shape, shape)
        }
    }

    func testMemberPath_Safety() {
        for good in ["a.npy", "dir/a.npy", "a..b.npy"] { XCTAssertTrue(NumPyZipReader.isSafeMemberPath(good), good) }
        for bad in ["", "/a.npy", "../a.npy", "a/../b.npy", "a//b.npy", "./a.npy", "a\\b.npy", "a/", "a\u{0}.npy"] {
            XCTAssertFalse(NumPyZipReader.isSafeMemberPath(bad), bad)
        }
    }

    // MARK: Helpers

    /// A version 1.0 header around `text`, padded like NumPy's.
    private func header(_ text: String) -> [UInt8] {
        var body = Array(text.utf8)
        let padding = 64 - (10 + body.count + 1) % 64
        body += [UInt8](repeating: 0x20, count: padding) + [0x0A]
        return NumPy.magic + [1, 0] + leBytes(UInt16(body.count)) + body
    }

    private func parse(_ text: String) throws -> NumPyHeader {
        try header(text).withUnsafeBytes { try NumPyHeader.parse($0, file: "t.npy") }
    }

    private func numPyReason(_ bytes: [UInt8]) -> NumPyError.Reason? {
        do {
            _ = try bytes.withUnsafeBytes { try NumPyHeader.parse($0, file: "t.npy") }
            return nil
        } catch {
            return (error as? NumPyError)?.reason
        }
    }
}
