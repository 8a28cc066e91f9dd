import Foundation
import XCTest
import ZooConverters
import ZooFormat

/// Inputs found by the fuzz targets (fuzz/README.md), kept as regression tests beside their fixes.
final class FuzzRegressionTests: XCTestCase {
    /// Found by fuzz/FuzzGGUF: two tensors of 0 elements (a zero in each shape) whose other
    /// dimensions pass 2^53-1, in a file that ends 21 bytes short of its 32-aligned data section
    /// (its header ends at byte 201, 2 bytes of padding follow; the data would start at 224).
    static let ggufHugeEmptyDims: [UInt8] = [
        0x47, 0x47, 0x55, 0x46, 0x03, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x6c, 0x6c, 0x61, 0x6d, 0x61, 0x2e, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x47, 0x47, 0x55, 0x46,
        0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x6c, 0x6c, 0x61, 0x61, 0x6d, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x74, 0x6f, 0x6b,
        0x65, 0x6e, 0x5f, 0x65, 0x6d, 0x22, 0x64, 0x2e, 0x77, 0x65, 0x69, 0x67, 0x68, 0x74, 0x02, 0x00,
        0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x13, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x62, 0x6c, 0x6b, 0x2e, 0x30, 0x2e, 0x61, 0x74, 0x74, 0x6e,
        0x5f, 0x71, 0x2e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x73, 0x25, 0xb1, 0x00, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x24,
    ]

    /// fuzz/FuzzGGUF, seen in the debug suite only (release skips the check): the same file ends
    /// inside the padding before its data section, so the views of its empty tensors started past the
    /// end of the file and slicing them trapped. Now a truncation naming the padding.
    func testOpen_TensorsButDataSectionPastEndOfFile_ThrowsTruncated() {
        let bytes = Self.ggufHugeEmptyDims
        XCTAssertThrowsError(try GGUFFile(bytes: bytes, name: "huge-dims.gguf")) { error in
            XCTAssertEqual(error as? GGUFError, GGUFError(file: "huge-dims.gguf", offset: 201, reason: .truncated(
                what: "padding before the tensor data", needed: 23, available: 2)))
        }
    }

    /// The same two tensors with the padding present: the file opens, and importing it is refused by
    /// the checkpoint writer, whose manifests hold no dimension above 2^53-1 (`Checkpoint(directory:)`
    /// used to refuse what the import had written).
    func testImportGGUF_ZeroElementTensorWithDimsPast2to53_RefusedBeforeWriting() throws {
        let dir = try makeTemporaryDirectory(self)
        let source = dir + "/huge-dims.gguf"
        try writeBytes(Self.ggufHugeEmptyDims + [UInt8](repeating: 0, count: 21), to: source)
        let file = try GGUFFile(path: source)
        XCTAssertEqual(file.tensors.map(\.shape), [[0, 1_125_899_906_842_632], [72_057_594_037_928_033, 49_862_246_729_252_864, 0, 0]])
        let destination = dir + "/out"
        XCTAssertThrowsError(try GGUFImporter().importFile(source, to: destination)) { error in
            guard let error = error as? GGUFError, case let .checkpoint(format) = error.reason,
                  case let .invalidShape(tensor, shape) = format.reason
            else { return XCTFail("expected a GGUFError wrapping invalidShape, got \(error)") }
            XCTAssertEqual(tensor, "blk.0.attn_q." + String(repeating: "\u{0}", count: 6))
            XCTAssertEqual(shape, [72_057_594_037_928_033, 49_862_246_729_252_864, 0, 0])
            XCTAssertEqual(error.file, destination)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination), "nothing is left at the destination")
    }
}
