import XCTest
@testable import ZooFormat

/// Buffer conversions between dtypes: overflow statistics, the two-core split, F64's single
/// rounding, F8 widening and Q8_0 dequantisation.
final class DTypeConversionTests: XCTestCase {
    func testConvert_F32ToF16_CountsOverflowsAndLargestMagnitude() {
        let input: [Float] = [1e5, -7e4, 65519, 65520, .infinity, .nan, 1]
        var output = [UInt16](repeating: 0, count: input.count)
        let stats = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .f32, to: .f16, into: $0) }
        }
        XCTAssertEqual(stats, DTypeConversion.Statistics(overflowCount: 3, maxOverflowMagnitude: 1e5))
        XCTAssertEqual(output[0], 0x7C00)
        XCTAssertEqual(output[1], 0xFC00)
        XCTAssertEqual(output[2], 0x7BFF)
        XCTAssertEqual(output[4], 0x7C00)
        XCTAssertTrue(Float16(bitPattern: output[5]).isNaN)
        XCTAssertEqual(output[6], 0x3C00)
    }

    func testConvert_LargeBuffer_TwoCoresMatchScalar() {
        var generator = SplitMix64(seed: 3)
        let input = (0..<(DTypeConversion.parallelThreshold * 2 + 17)).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()) & 0xBFFF_FFFF) }
        for target in [DType.f16, .bf16] {
            var output = [UInt16](repeating: 0, count: input.count)
            let stats = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .f32, to: target, into: $0) }
            }
            let expected = input.map { target == .f16 ? Float16Codec.bits(from: $0) : BFloat16Codec.bits(from: $0) }
            XCTAssertEqual(output, expected)
            let overflows = input.filter { $0.isFinite && (target == .f16 ? $0.magnitude >= 65520 : BFloat16Codec.bits(from: $0) & 0x7FFF == 0x7F80) }
            XCTAssertEqual(stats.overflowCount, overflows.count)
            XCTAssertEqual(stats.maxOverflowMagnitude, Double(overflows.map(\.magnitude).max() ?? 0))
        }
    }

    func testConvert_BF16ToF16_CountsOverflowsAndF16ToBF16Exact() {
        let brain: [UInt16] = [0x3F80, 0x4780, 0xC780, 0x477F, 0x7F80, 0x7FC1]  // 1, 65536, -65536, 65280, Inf, NaN
        var half = [UInt16](repeating: 0, count: brain.count)
        let stats = brain.withUnsafeBytes { source in
            half.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .bf16, to: .f16, into: $0) }
        }
        XCTAssertEqual(Array(half[0..<5]), [0x3C00, 0x7C00, 0xFC00, 0x7BF8, 0x7C00])
        XCTAssertTrue(Float16(bitPattern: half[5]).isNaN)
        XCTAssertEqual(stats, DTypeConversion.Statistics(overflowCount: 2, maxOverflowMagnitude: 65536))
        var back = [UInt16](repeating: 0, count: half.count)
        let none = half.withUnsafeBytes { source in
            back.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .f16, to: .bf16, into: $0) }
        }
        XCTAssertEqual(Array(back[0..<5]), [0x3F80, 0x7F80, 0xFF80, 0x477F, 0x7F80], "F16 fits BF16's range")
        XCTAssertEqual(none, DTypeConversion.Statistics())
    }

    func testConvert_F64_RoundsOnceNoDoubleRounding() {
        // 1 + 2^-11 + 2^-40: via an F32 rounded to nearest it would be the F16 tie 1 + 2^-11 and
        // round to even (1.0); rounded once it is just above the tie: 1 + 2^-10.
        let input: [Double] = [1 + 0x1p-11 + 0x1p-40, 1e300, -.infinity, .nan, 0.1, -0.0]
        var half = [UInt16](repeating: 0, count: input.count)
        let stats = input.withUnsafeBytes { source in half.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .f64, to: .f16, into: $0) } }
        XCTAssertEqual(half[0], 0x3C01)
        XCTAssertEqual(half[1], 0x7C00)
        XCTAssertEqual(half[2], 0xFC00)
        XCTAssertTrue(Float16(bitPattern: half[3]).isNaN)
        XCTAssertEqual(half[4], Float16(0.1).bitPattern)
        XCTAssertEqual(half[5], 0x8000)
        XCTAssertEqual(stats, DTypeConversion.Statistics(overflowCount: 1, maxOverflowMagnitude: 1e300))
        var single = [Float](repeating: 0, count: input.count)
        let singleStats = input.withUnsafeBytes { source in single.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .f64, to: .f32, into: $0) } }
        XCTAssertEqual(single[4], Float(0.1))
        XCTAssertEqual(single[1], .infinity)
        XCTAssertEqual(singleStats.overflowCount, 1)
        var brain = [UInt16](repeating: 0, count: 1)
        [1 + 0x1p-8 + 0x1p-40].withUnsafeBytes { source in
            _ = brain.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .f64, to: .bf16, into: $0) }
        }
        XCTAssertEqual(brain[0], 0x3F81, "just above the BF16 tie rounds up")
    }

    func testConvert_Float8_ExactToEveryTarget() {
        let e4m3: [UInt8] = [0x00, 0x08, 0x7E, 0xFE, 0x7F, 0x01, 0x38]
        var out = [Float](repeating: 0, count: e4m3.count)
        e4m3.withUnsafeBytes { source in _ = out.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .f8E4M3, to: .f32, into: $0) } }
        XCTAssertEqual(Array(out[0..<4]), [0, 0.015625, 448, -448])
        XCTAssertTrue(out[4].isNaN)
        XCTAssertEqual(out[5], 0x1p-9, "smallest subnormal")
        XCTAssertEqual(out[6], 1)
        let e5m2: [UInt8] = [0x3C, 0x7B, 0x7C, 0xFF]
        var half = [UInt16](repeating: 0, count: e5m2.count)
        e5m2.withUnsafeBytes { source in _ = half.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .f8E5M2, to: .f16, into: $0) } }
        XCTAssertEqual(Array(half[0..<3]), [0x3C00, 0x7B00, 0x7C00], "E5M2 is the top byte of F16")
        XCTAssertTrue(Float16(bitPattern: half[3]).isNaN)
    }

    func testCanConvert_OnlyFloatingSourcesToTargets() {
        XCTAssertTrue(DTypeConversion.canConvert(from: .f32, to: .bf16))
        XCTAssertTrue(DTypeConversion.canConvert(from: .f8E5M2, to: .f32))
        XCTAssertFalse(DTypeConversion.canConvert(from: .i32, to: .f16))
        XCTAssertTrue(DTypeConversion.canConvert(from: .q8_0, to: .f32))
        XCTAssertFalse(DTypeConversion.canConvert(from: .bool, to: .f32))
        XCTAssertFalse(DTypeConversion.canConvert(from: .f32, to: .f64))
    }

    func testConvert_Q8_0_DequantisesExactlyToF32AndAcrossCores() {
        var generator = SplitMix64(seed: 5)
        let blocks = (DTypeConversion.parallelThreshold / 32) * 2 + 3
        var bytes: [UInt8] = []
        for _ in 0..<blocks {
            bytes += withUnsafeBytes(of: Float16Codec.bits(from: Float(Int(generator.next() % 1000)) / 64).littleEndian, Array.init)
            bytes += (0..<32).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
        var output = [Float](repeating: 0, count: blocks * 32)
        bytes.withUnsafeBytes { source in _ = output.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .q8_0, to: .f32, into: $0) } }
        let expected = bytes.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: blocks * 32) { buffer, count in
                Q8_0Codec.decode(blocks: raw, into: buffer)
                count = blocks * 32
            }
        }
        XCTAssertEqual(output, expected)
    }

    func testConvert_Q8_0ToF16_CountsOverflows() {
        // d = 1024, q = 64 and 127 give 65536 and 130048 (over F16's 65504); q = 63 gives 64512.
        var block = withUnsafeBytes(of: Float16Codec.bits(from: 1024).littleEndian, Array.init)
        block += [63, 64, 127, UInt8(bitPattern: -64)] + [UInt8](repeating: 0, count: 28)
        var half = [UInt16](repeating: 0, count: 32)
        let stats = block.withUnsafeBytes { source in
            half.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .q8_0, to: .f16, into: $0) }
        }
        XCTAssertEqual(Array(half[0..<5]), [Float16Codec.bits(from: 64512), 0x7C00, 0x7C00, 0xFC00, 0])
        XCTAssertEqual(stats, DTypeConversion.Statistics(overflowCount: 3, maxOverflowMagnitude: 130_048))
    }
}
