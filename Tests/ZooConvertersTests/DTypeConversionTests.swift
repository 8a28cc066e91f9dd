import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// Element conversions against Swift's own IEEE conversions and exhaustive checks, then whole
/// checkpoint conversion.
final class DTypeConversionTests: XCTestCase {
    // MARK: F16

    func testF16ToF32_EveryBitPattern_ExactAndQuietNaN() {
        for bits in 0...UInt16.max {
            let ours = DTypeConversion.float(fromFloat16Bits: bits)
            let swift = Float(Float16(bitPattern: bits))
            if swift.isNaN {
                XCTAssertTrue(ours.isNaN, "\(bits)")
                XCTAssertNotEqual(ours.bitPattern & 0x0040_0000, 0, "quiet: \(bits)")
                XCTAssertEqual(ours.sign, swift.sign, "\(bits)")
            } else {
                XCTAssertEqual(ours.bitPattern, swift.bitPattern, "\(bits)")
            }
        }
    }

    func testF32ToF16_EveryF16ValueAndEveryTie_RoundsToNearestEven() {
        for bits in UInt16(0)..<0x7C00 {
            for sign: UInt16 in [0, 0x8000] {
                let h = bits | sign
                let value = DTypeConversion.float(fromFloat16Bits: h)
                XCTAssertEqual(DTypeConversion.float16Bits(from: value), h, "exact \(h)")
                // The midpoint to the next value up (in magnitude) is exactly representable in F32.
                let next = DTypeConversion.float(fromFloat16Bits: h + 1)
                guard next.isFinite else { continue }
                let tie = Float((Double(value) + Double(next)) / 2)
                let even = (h & 1 == 0) ? h : h + 1
                XCTAssertEqual(DTypeConversion.float16Bits(from: tie), even, "tie above \(h)")
                let above = tie.magnitude.nextUp, below = tie.magnitude.nextDown
                XCTAssertEqual(DTypeConversion.float16Bits(from: sign == 0 ? above : -above), h + 1, "just above the tie \(h)")
                XCTAssertEqual(DTypeConversion.float16Bits(from: sign == 0 ? below : -below), h, "just below the tie \(h)")
            }
        }
    }

    func testF32ToF16_RandomBitPatterns_MatchSwiftFloat16() {
        var generator = SplitMix(seed: 42)
        for _ in 0..<2_000_000 {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            let ours = DTypeConversion.float16Bits(from: x)
            let swift = Float16(x)
            if x.isNaN {
                XCTAssertTrue(Float16(bitPattern: ours).isNaN)
                XCTAssertNotEqual(ours & 0x0200, 0, "quiet")
            } else {
                XCTAssertEqual(ours, swift.bitPattern, "\(x)")
            }
        }
    }

    func testF32ToF16_Specials() {
        XCTAssertEqual(DTypeConversion.float16Bits(from: .infinity), 0x7C00)
        XCTAssertEqual(DTypeConversion.float16Bits(from: -.infinity), 0xFC00)
        XCTAssertEqual(DTypeConversion.float16Bits(from: -0.0), 0x8000)
        XCTAssertEqual(DTypeConversion.float16Bits(from: 65504), 0x7BFF, "largest finite")
        XCTAssertEqual(DTypeConversion.float16Bits(from: 65519.99), 0x7BFF)
        XCTAssertEqual(DTypeConversion.float16Bits(from: 65520), 0x7C00, "the tie above the largest finite goes to Inf")
        XCTAssertEqual(DTypeConversion.float16Bits(from: 5.9604645e-8), 0x0001, "smallest subnormal")
        XCTAssertEqual(DTypeConversion.float16Bits(from: 2.9802322e-8), 0x0000, "half of it ties to even zero")
        let signaling = Float(bitPattern: 0xFF80_0001)
        XCTAssertEqual(DTypeConversion.float16Bits(from: signaling) & 0xFE00, 0xFE00, "NaN keeps its sign and becomes quiet")
    }

    // MARK: BF16

    func testBF16ToF32_EveryBitPattern() {
        for bits in 0...UInt16.max {
            let ours = DTypeConversion.float(fromBFloat16Bits: bits)
            let exact = Float(bitPattern: UInt32(bits) << 16)
            if exact.isNaN {
                XCTAssertTrue(ours.isNaN)
                XCTAssertNotEqual(ours.bitPattern & 0x0040_0000, 0)
            } else {
                XCTAssertEqual(ours.bitPattern, exact.bitPattern)
            }
        }
    }

    func testF32ToBF16_RandomAndTies_MatchReference() {
        var generator = SplitMix(seed: 7)
        var values: [Float] = (0..<1_000_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: generator.next())) }
        for high in stride(from: UInt32(0), to: 0x7F80_0000, by: 0x0001_3579) {
            values.append(Float(bitPattern: high | 0x8000))  // exact ties
        }
        for x in values where !x.isNaN {
            XCTAssertEqual(DTypeConversion.bfloat16Bits(from: x), referenceBF16(x), "\(x) \(x.bitPattern)")
        }
        XCTAssertEqual(DTypeConversion.bfloat16Bits(from: .greatestFiniteMagnitude), 0x7F80, "rounds up to Inf")
        XCTAssertEqual(DTypeConversion.bfloat16Bits(from: Float(bitPattern: 0x7F80_0001)), 0x7FC0, "quiet NaN")
    }

    // MARK: Buffers

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
        var generator = SplitMix(seed: 3)
        let input = (0..<(DTypeConversion.parallelThreshold * 2 + 17)).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()) & 0xBFFF_FFFF) }
        for target in [DType.f16, .bf16] {
            var output = [UInt16](repeating: 0, count: input.count)
            let stats = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .f32, to: target, into: $0) }
            }
            let expected = input.map { target == .f16 ? DTypeConversion.float16Bits(from: $0) : DTypeConversion.bfloat16Bits(from: $0) }
            XCTAssertEqual(output, expected)
            let overflows = input.filter { $0.isFinite && (target == .f16 ? $0.magnitude >= 65520 : DTypeConversion.bfloat16Bits(from: $0) & 0x7FFF == 0x7F80) }
            XCTAssertEqual(stats.overflowCount, overflows.count)
            XCTAssertEqual(stats.maxOverflowMagnitude, Double(overflows.map(\.magnitude).max() ?? 0))
        }
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

    // MARK: Checkpoints

    func testConvertCheckpoint_ToF16_ConvertsFloatsKeepsTheRest() throws {
        let scratch = try makeTemporaryDirectory(self)
        let weights: [Float] = [1, -2.5, 1e5, 0.1, .nan, -.infinity]
        let brain: [UInt16] = [0x3F80, 0x4049, 0xC2F7]  // 1, 3.140625, -123.5
        let ids: [Int32] = [1, 2, 3]
        let q8 = [UInt8](repeating: 0, count: 34)
        try makeCheckpoint(at: scratch + "/src", name: "tiny", tensors: [
            ("w", .f32, [2, 3], weights.withUnsafeBytes(Array.init)),
            ("b", .bf16, [3], brain.withUnsafeBytes(Array.init)),
            ("ids", .i32, [3], ids.withUnsafeBytes(Array.init)),
            ("q", .q8_0, [32], q8),
        ], metadata: ["source.format": "test"], assets: [("config.json", Array("{}".utf8))],
           architecture: Architecture(family: .autoregressive, type: "gpt2", config: ["n_layer": 1]))
        let source = try Checkpoint(directory: scratch + "/src")
        let lineage = DTypeConverter.lineage(parent: source.digest, parentName: "tiny:latest", target: .f16)
        let result = try DTypeConverter(target: .f16).convert(source, to: scratch + "/dst", lineage: lineage)

        XCTAssertEqual(result.converted, ["w", "b", "q"])
        XCTAssertEqual(result.unchanged, ["ids"])
        XCTAssertEqual(result.overflows, [DTypeConverter.Overflow(tensor: "w", target: .f16, count: 1, maxMagnitude: 1e5)])
        XCTAssertEqual(result.overflows.first?.description, "tensor w: 1 value overflow F16 (max |x| 1.0e+05)")
        let converted = try Checkpoint(directory: scratch + "/dst")
        let manifest = converted.manifest
        XCTAssertEqual(manifest.tensors.map(\.dtype), [.f16, .f16, .i32, .f16])
        XCTAssertEqual(manifest.name, "tiny")
        XCTAssertEqual(manifest.architecture.config, ["n_layer": 1])
        XCTAssertEqual(manifest.metadata, ["source.format": "test"])
        XCTAssertEqual(try converted.asset(path: "assets/config.json"), Array("{}".utf8))
        XCTAssertEqual(manifest.lineage?.parent, source.digest)
        XCTAssertEqual(manifest.lineage?.recipe, ["kind": "convert", "dtype": "F16", "parentName": "tiny:latest"])
        let w = halves(try converted.tensor(named: "w"))
        XCTAssertEqual(Array(w[0..<4]), weights[0..<4].map { DTypeConversion.float16Bits(from: $0) })
        XCTAssertTrue(Float16(bitPattern: w[4]).isNaN)
        XCTAssertEqual(w[5], 0xFC00)
        XCTAssertEqual(halves(try converted.tensor(named: "b")), [0x3C00, 0x4248, 0xD7B8])
        XCTAssertEqual(try converted.tensor(named: "ids").scalars(as: Int32.self), ids)
        XCTAssertEqual(halves(try converted.tensor(named: "q")), [UInt16](repeating: 0, count: 32), "Q8_0 dequantised")
        XCTAssertTrue(try converted.verify(.deep).isClean)
    }

    func testConvertCheckpoint_LargeTensor_StreamsInPiecesExactly() throws {
        let scratch = try makeTemporaryDirectory(self)
        let count = DTypeConverter.chunkElements * 2 + 1000
        var generator = SplitMix(seed: 11)
        let values = (0..<count).map { _ in Float(Int32(truncatingIfNeeded: generator.next()) % 100_000) / 7 }
        try makeCheckpoint(at: scratch + "/src", tensors: [("big", .f32, [count], values.withUnsafeBytes(Array.init))])
        let result = try DTypeConverter(target: .bf16).convert(try Checkpoint(directory: scratch + "/src"), to: scratch + "/dst", lineage: nil)
        XCTAssertEqual(result.overflows, [])
        let converted = halves(try Checkpoint(directory: scratch + "/dst").tensor(named: "big"))
        XCTAssertEqual(converted, values.map { DTypeConversion.bfloat16Bits(from: $0) })
        XCTAssertNil(result.manifest.lineage)
    }

    func testConvert_Q8_0_DequantisesExactlyToF32AndAcrossCores() {
        var generator = SplitMix(seed: 5)
        let blocks = (DTypeConversion.parallelThreshold / 32) * 2 + 3
        var bytes: [UInt8] = []
        for _ in 0..<blocks {
            bytes += leBytes(DTypeConversion.float16Bits(from: Float(Int(generator.next() % 1000)) / 64))
            bytes += (0..<32).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
        var output = [Float](repeating: 0, count: blocks * 32)
        bytes.withUnsafeBytes { source in _ = output.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .q8_0, to: .f32, into: $0) } }
        let expected = bytes.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: blocks * 32) { buffer, count in
                Quantization.dequantizeQ8_0(blocks: raw, into: buffer)
                count = blocks * 32
            }
        }
        XCTAssertEqual(output, expected)
    }

    func testConverter_UnsupportedTarget_Throws() {
        XCTAssertThrowsError(try DTypeConverter(target: .i8)) { error in
            XCTAssertEqual(error as? DTypeConversionError, DTypeConversionError(file: "", reason: .unsupportedTarget(.i8)))
            XCTAssertEqual("\(error)", "cannot convert to I8: the target must be one of F32, F16, BF16")
        }
    }

    func testOverflowDescription_Scientific() {
        XCTAssertEqual(DTypeConverter.Overflow(tensor: "x", target: .f16, count: 12, maxMagnitude: 123_456).description,
                       "tensor x: 12 values overflow F16 (max |x| 1.2e+05)")
        XCTAssertEqual(DTypeConverter.Overflow(tensor: "x", target: .bf16, count: 2, maxMagnitude: 3.4028e38).description,
                       "tensor x: 2 values overflow BF16 (max |x| 3.4e+38)")
    }

    // MARK: Helpers

    /// A 16-bit tensor's elements as bit patterns.
    private func halves(_ view: TensorView) -> [UInt16] {
        view.withUnsafeBytes { raw in (0..<(raw.count / 2)).map { raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self) } }
    }

    /// BF16 nearest to `x` by comparing the two candidates in Double, ties to even.
    private func referenceBF16(_ x: Float) -> UInt16 {
        let down = x.bitPattern & 0xFFFF_0000
        let up = down &+ 0x0001_0000
        let a = Double(Float(bitPattern: down))
        // Past the largest finite value, the next candidate is Inf, which rounding treats as 2^128.
        let b = Float(bitPattern: up).isInfinite ? (x < 0 ? -0x1p128 : 0x1p128) : Double(Float(bitPattern: up))
        let da = abs(Double(x) - a), db = abs(Double(x) - b)
        if x.isInfinite { return UInt16(down >> 16) }
        if da < db || (da == db && (down >> 16) & 1 == 0) { return UInt16(down >> 16) }
        return UInt16(up >> 16)
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
