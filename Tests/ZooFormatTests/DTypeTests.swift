import Foundation
import XCTest
import ZooFormat

/// The format 1.1 dtypes: sizes of the packed sub-byte types (as safetensors computes them), the
/// version a manifest holding them must declare, and bit-exact storage through folder and archive.
final class DTypeTests: XCTestCase {
    static let carried: [DType] = [.c64, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ, .f4, .f6E2M3, .f6E3M2]

    func testCarriedDTypes_AreExactlyThe1_1Additions() {
        XCTAssertEqual(DType.allCases.filter(\.isCarriedOnly), Self.carried)
        for dtype in Self.carried {
            XCTAssertEqual(dtype.minimumFormatVersion, FormatVersion(major: 1, minor: 1), dtype.rawValue)
            XCTAssertFalse(dtype.isFloatingPoint, "\(dtype.rawValue) is never decoded")
            XCTAssertFalse(dtype.isQuantized)
        }
        XCTAssertEqual(DType.f32.minimumFormatVersion, FormatVersion(major: 1, minor: 0))
        XCTAssertEqual(DType.allCases.filter(\.isSubByte), [.f4, .f6E2M3, .f6E3M2])
    }

    func testSubByteSizes_WholeTensorBitsMustFillWholeBytes() {
        XCTAssertEqual(DType.f4.byteCount(elementCount: 0), 0)
        XCTAssertEqual(DType.f4.byteCount(elementCount: 2), 1)
        XCTAssertEqual(DType.f4.byteCount(elementCount: 8), 4)
        XCTAssertNil(DType.f4.byteCount(elementCount: 3), "12 bits")
        XCTAssertNil(DType.f4.byteCount(elementCount: 1), "4 bits")
        XCTAssertEqual(DType.f6E2M3.byteCount(elementCount: 4), 3)
        XCTAssertEqual(DType.f6E3M2.byteCount(elementCount: 16), 12)
        XCTAssertNil(DType.f6E2M3.byteCount(elementCount: 2), "12 bits")
        XCTAssertNil(DType.f6E3M2.byteCount(elementCount: 6), "36 bits")
        XCTAssertNil(DType.f4.byteCount(elementCount: Int.max), "bit count overflows")
        XCTAssertEqual(DType.c64.byteCount(elementCount: 3), 24)
        // As safetensors (MisalignedSlice): the rule is on the whole tensor, not on each row.
        XCTAssertTrue(DType.f4.fits(shape: [3, 2]))
        XCTAssertTrue(DType.f4.fits(shape: [2, 3]), "6 elements = 3 bytes, though a row is 1.5 bytes")
        XCTAssertFalse(DType.f4.fits(shape: [1, 3]))
        XCTAssertFalse(DType.f4.fits(shape: []), "a scalar F4 is half a byte")
        XCTAssertTrue(DType.f4.fits(shape: [0, 3]))
        XCTAssertTrue(DType.f6E2M3.fits(shape: [4]))
        XCTAssertFalse(DType.f6E2M3.fits(shape: [2, 3]))
        XCTAssertTrue(DType.c64.fits(shape: []))
    }

    func testWriter_SubByteShapeOfPartialBytes_RefusedNamingDType() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for (dtype, shape, bytes) in [(DType.f4, [1, 3], 2), (.f6E3M2, [2], 2), (.f4, [], 1)] {
            let writer = try CheckpointWriter(destination: dir("m"), name: "m", architecture: Architecture(family: .other, type: "t"))
            let data = [UInt8](repeating: 0x5A, count: bytes)
            XCTAssertThrowsError(try data.withUnsafeBytes { try writer.addTensor(name: "q", dtype: dtype, shape: shape, bytes: $0) }) {
                error in
                guard let error = error as? FormatError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.reason, .blockMisfit(tensor: "q", dtype: dtype, shape: shape))
                XCTAssertTrue(error.description.contains(dtype.rawValue), error.description)
                XCTAssertTrue(error.description.contains("not a whole number of bytes"), error.description)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir("m")), "nothing written")
        }
    }

    func testWriter_CarriedDTypes_WriteFormat1_1_AndKeepEveryBit() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var specs = [TensorSpec("plain", .f32, [3], seed: 3)]
        for (i, dtype) in Self.carried.enumerated() {
            let shape = dtype.isSubByte ? [4, 6] : [5, 3]
            specs.append(TensorSpec("t.\(dtype.rawValue)", dtype, shape, seed: UInt8(40 + i)))
        }
        specs.append(TensorSpec("empty.f4", .f4, [0, 3], bytes: []))
        let manifest = try makeCheckpoint(at: dir("m"), tensors: specs)
        XCTAssertEqual(manifest.formatVersion, FormatVersion(major: 1, minor: 1))
        XCTAssertEqual(manifest.tensors.first { $0.name == "t.F4" }?.length, 12, "24 four-bit elements")
        XCTAssertEqual(manifest.tensors.first { $0.name == "t.F6_E2M3" }?.length, 18, "24 six-bit elements")
        XCTAssertEqual(manifest.tensors.first { $0.name == "t.C64" }?.length, 120)

        let checkpoint = try Checkpoint(directory: dir("m"))
        XCTAssertEqual(checkpoint.manifest.formatVersion, FormatVersion(major: 1, minor: 1))
        XCTAssertTrue(checkpoint.verify(.deep).isClean)
        for spec in specs { XCTAssertEqual(try tensorBytes(checkpoint, spec.name), spec.bytes, spec.name) }

        // Through a .zoo archive and back, bit for bit.
        try CheckpointArchive.write(checkpoint, to: dir("m.zoo"))
        let archived = try CheckpointArchive.open(dir("m.zoo"))
        XCTAssertEqual(archived.manifest, checkpoint.manifest)
        XCTAssertTrue(archived.verify(.deep).isClean)
        for spec in specs { XCTAssertEqual(try tensorBytes(archived, spec.name), spec.bytes, spec.name) }
    }

    func testWriter_Only1_0DTypes_StaysFormat1_0() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let manifest = try makeCheckpoint(at: dir("m"), tensors: [TensorSpec("a", .f32, [3]), TensorSpec("b", .u8, [5])])
        XCTAssertEqual(manifest.formatVersion, FormatVersion(major: 1, minor: 0))
    }

    func testRead_CarriedDTypeInA1_0Manifest_RefusedNamingTensorAndVersion() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var manifest = try makeCheckpoint(at: dir("m"), tensors: [TensorSpec("c", .c64, [2]), TensorSpec("f", .f4, [4])])
        manifest.formatVersion = FormatVersion(major: 1, minor: 0)
        let expected = FormatError.Reason.dtypeNeedsNewerVersion(tensor: "c", dtype: .c64, declared: FormatVersion(major: 1, minor: 0))
        XCTAssertThrowsFormatReason(try manifest.validate(file: "m.json"), expected)
        // The same bytes on disk: opening the folder refuses them too.
        try writeBytes(manifest.canonicalBytes, to: dir("m/manifest.json"))
        XCTAssertThrowsFormatReason(try Checkpoint(directory: dir("m")), expected)
        XCTAssertEqual(
            FormatError(file: "m.json", reason: expected).description.contains("dtype C64 needs formatVersion 1.1 or later"), true)
    }
}
