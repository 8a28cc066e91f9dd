import TrainingCore
import XCTest
import ZooFormat
import ZooLoaders

/// Loading casts every dtype to Float32 exactly as hand-computed here (bit patterns compared,
/// so -0 and NaN are checked too).
final class DTypeCastTests: LoaderTestCase {
    /// Loads one tensor of `dtype` through the loader (NaN allowed) and returns its bit patterns.
    private func loadBits(_ dtype: DType, _ shape: [Int], _ bytes: [UInt8]) throws -> [UInt32] {
        let checkpoint = try writeCheckpoint([RawTensor("t", dtype, shape, bytes: bytes)])
        let state = try CheckpointLoader.stateDict(from: checkpoint, options: LoadOptions(rejectNonFinite: false))
        let tensor = try XCTUnwrap(state["t"])
        XCTAssertEqual(tensor.shape, shape)
        XCTAssertFalse(tensor.isBorrowed)
        return tensor.scalars.map(\.bitPattern)
    }

    private func assertBits(_ actual: [UInt32], _ expected: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (index, (bits, value)) in zip(actual, expected).enumerated() {
            if value.isNaN {
                XCTAssertTrue(Float(bitPattern: bits).isNaN, "element \(index): \(Float(bitPattern: bits)) is not NaN",
                              file: file, line: line)
            } else {
                XCTAssertEqual(bits, value.bitPattern,
                               "element \(index): got \(Float(bitPattern: bits)), expected \(value)", file: file, line: line)
            }
        }
    }

    func testLoad_F16_ExactIncludingSubnormalsZerosInfinitiesNaN() throws {
        let halves: [UInt16] = [
            0x0000, 0x8000, 0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0400, 0x0001, 0x03FF, 0x8001, 0x7C00, 0xFC00, 0x7E00, 0xFE01,
        ]
        let expected: [Float] = [
            0, -0.0, 1, -2, 0.333251953125, 65504, 0x1p-14, 0x1p-24, 1023 * 0x1p-24, -0x1p-24, .infinity, -.infinity,
            .nan, .nan,
        ]
        assertBits(try loadBits(.f16, [2, 7], Self.bytes(halves)), expected)
    }

    func testLoad_BF16_ExactIncludingSubnormalsZerosInfinitiesNaN() throws {
        let values: [UInt16] = [0x0000, 0x8000, 0x3F80, 0x4049, 0xC2F7, 0x0001, 0x8080, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0]
        let expected: [Float] = [
            0, -0.0, 1, 3.140625, -123.5, 0x1p-133, -0x1p-126, Float(bitPattern: 0x7F7F_0000), .infinity, -.infinity, .nan,
        ]
        assertBits(try loadBits(.bf16, [11], Self.bytes(values)), expected)
    }

    func testLoad_F64_RoundsToNearestEvenOverflowsToInfinity() throws {
        let doubles: [Double] = [
            1, 0.1, -0.0, 1 + 0x1p-24, 1 + 0x1p-24 + 0x1p-25, 1 + 0x1p-23 + 0x1p-24, 0x1p-149, 0x1p-150, 0x1.8p-150,
            1e39, -1e39, .infinity, -.infinity, .nan, 3.4028234663852886e38, 3.4028235e38 + 1e30, 1e-46,
        ]
        let expected: [Float] = [
            1, Float(bitPattern: 0x3DCC_CCCD), -0.0, 1, 1 + 0x1p-23, 1 + 0x1p-22, 0x1p-149, 0, 0x1p-149,
            .infinity, -.infinity, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, .greatestFiniteMagnitude, 0,
        ]
        assertBits(try loadBits(.f64, [17], Self.bytes(doubles)), expected)
    }

    func testLoad_Q8_0_DequantisesEveryBlockExactly() throws {
        // Block 0: scale 0.5 (F16 0x3800), q = -128, -1, 0, 1, 127, then 27 x 2.
        // Block 1: scale 2^-24 (the smallest F16 subnormal), q = -3, 5, then 30 x 0.
        // Block 2: scale -1.5 (F16 0xBE00), q = 0...31.
        var bytes: [UInt8] = []
        var expected: [Float] = []
        func block(_ scale: UInt16, _ values: [Int8], _ scaleValue: Float) {
            bytes += Self.bytes([scale]) + values.map { UInt8(bitPattern: $0) }
            expected += values.map { scaleValue * Float($0) }
        }
        block(0x3800, [-128, -1, 0, 1, 127] + [Int8](repeating: 2, count: 27), 0.5)
        block(0x0001, [-3, 5] + [Int8](repeating: 0, count: 30), 0x1p-24)
        block(0xBE00, (0..<32).map(Int8.init), -1.5)
        let bits = try loadBits(.q8_0, [3, 32], bytes)
        assertBits(Array(bits.prefix(5)), [-64, -0.5, 0, 0.5, 63.5])
        assertBits(Array(bits[32..<34]), [-3 * 0x1p-24, 5 * 0x1p-24])
        assertBits(Array(bits[64..<67]), [-0.0, -1.5, -3])
        assertBits(bits, expected)
    }

    func testLoad_IntegersAndBool_BecomeNearestFloats() throws {
        assertBits(try loadBits(.i64, [3], Self.bytes([Int64(-5), 1 << 24, (1 << 24) + 1])), [-5, 16_777_216, 16_777_216])
        assertBits(try loadBits(.u8, [2], [0, 255]), [0, 255])
        assertBits(try loadBits(.bool, [3], [0, 1, 2]), [0, 1, 1])
    }

    func testLoad_ConvertedIntoModel_ReportsSourceDtypes() throws {
        let halves = (0..<12).map { _ in UInt16(0x3C00) }
        let checkpoint = try writeCheckpoint([
            RawTensor("layers.0.weight", .f16, [3, 4], bytes: Self.bytes(halves)),
            RawTensor("layers.0.bias", .bf16, [3], bytes: Self.bytes([UInt16(0x4000), 0x4000, 0x4000])),
            RawTensor("layers.2.weight", .f64, [2, 3], bytes: Self.bytes([Double](repeating: 0.5, count: 6))),
            RawTensor("layers.2.bias", [2]),
        ])
        let model = MLPClassifier(inputSize: 4, hiddenSizes: [3], classCount: 2, seed: 0)
        let summary = try CheckpointLoader.loadDetailed(checkpoint, into: model)
        XCTAssertEqual(summary.convertedKeys, ["layers.0.weight": .f16, "layers.0.bias": .bf16, "layers.2.weight": .f64])
        XCTAssertEqual(summary.borrowedKeys, ["layers.2.bias"])
        XCTAssertEqual(model.parameter(named: "layers.0.weight")?.value.scalars, [Float](repeating: 1, count: 12))
        XCTAssertEqual(model.parameter(named: "layers.0.bias")?.value.scalars, [2, 2, 2])
        XCTAssertEqual(model.parameter(named: "layers.2.weight")?.value.scalars, [Float](repeating: 0.5, count: 6))
    }

    func testConvert_LargeQ8_0_SplitOverCoresSameAsOneBlockAtATime() throws {
        // 2^20 + 64 elements: above the parallel threshold, and a last piece shorter than the others.
        let blocks = (1 << 20) / 32 + 2
        var bytes: [UInt8] = []
        bytes.reserveCapacity(blocks * 34)
        for block in 0..<blocks {
            bytes += Self.bytes([UInt16(0x3C00 + block % 7)])
            bytes += (0..<32).map { UInt8(truncatingIfNeeded: block &* 31 &+ $0) }
        }
        let count = blocks * 32
        let floats = bytes.withUnsafeBytes { Float32Conversion.floats(from: $0, dtype: .q8_0, count: count) }
        for block in [0, 1, blocks / 2, blocks - 1] {
            let scale = Float(Float16(bitPattern: UInt16(0x3C00 + block % 7)))
            for j in [0, 17, 31] {
                XCTAssertEqual(floats[block * 32 + j], scale * Float(Int8(truncatingIfNeeded: block &* 31 &+ j)), "block \(block)")
            }
        }
    }

    func testLoad_CarriedOnlyDTypes_RefusedNamingTensorAndDType() throws {
        for dtype in DType.allCases where dtype.isCarriedOnly {
            let bytes = [UInt8](repeating: 0x3C, count: dtype.byteCount(elementCount: 8) ?? 0)
            let checkpoint = try writeCheckpoint([RawTensor("t", dtype, [8], bytes: bytes)])
            XCTAssertFalse(Float32Conversion.decodes(dtype))
            XCTAssertThrowsError(try CheckpointLoader.stateDict(from: checkpoint)) { error in
                guard let error = error as? CheckpointLoadError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.reason, .undecodableDType(tensor: "t", dtype: dtype))
                XCTAssertTrue(error.description.contains("tensor 't' is \(dtype.rawValue)"), error.description)
            }
        }
        XCTAssertTrue(Float32Conversion.decodes(.q8_0))
        XCTAssertTrue(Float32Conversion.decodes(.bool))
    }
}
