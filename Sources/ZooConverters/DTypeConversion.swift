import Dispatch
import ZooFormat

/// Element-wise conversions between zoo's floating-point dtypes, bit-exact and IEEE-correct:
/// round-to-nearest-even, NaN stays NaN (made quiet, sign kept), infinities stay infinite,
/// finite values too large for the target become infinities and are counted as overflows.
///
/// Sources: `F64`, `F32`, `F16`, `BF16`, `F8_E4M3`, `F8_E5M2` and `Q8_0` (dequantised).
/// Targets: ``targets`` (`F32`, `F16`, `BF16`). Widening (`F16` or `BF16` to `F32`, any `F8`
/// to anything, `Q8_0` to `F32`: scale x quant is exact in F32) is exact; `F64` to a 16-bit
/// type rounds once (through a round-to-odd `F32`, so no double rounding).
///
/// The loops are branch-free so the compiler vectorises them; ``convert(_:from:to:into:)``
/// splits large buffers over two cores.
///
/// ```swift
/// let half = DTypeConversion.float16Bits(from: 1.0)        // 0x3C00
/// let back = DTypeConversion.float(fromFloat16Bits: half)  // 1.0
/// ```
public enum DTypeConversion {
    /// The dtypes a conversion may produce.
    public static let targets: [DType] = [.f32, .f16, .bf16]

    /// Whether ``convert(_:from:to:into:)`` converts `source` to `target`: a floating-point or
    /// `Q8_0` source, a target among ``targets``. Integer and boolean dtypes are never converted.
    public static func canConvert(from source: DType, to target: DType) -> Bool {
        targets.contains(target) && (source.isFloatingPoint || source == .q8_0)
    }

    /// What one conversion saw: how many finite values became infinities, and the largest
    /// magnitude among them.
    public struct Statistics: Sendable, Equatable {
        /// Finite source values that overflowed the target (became +-Inf).
        public var overflowCount = 0
        /// The largest |x| among those values (0 when there were none).
        public var maxOverflowMagnitude = 0.0

        public init(overflowCount: Int = 0, maxOverflowMagnitude: Double = 0) {
            self.overflowCount = overflowCount
            self.maxOverflowMagnitude = maxOverflowMagnitude
        }

        mutating func merge(_ other: Statistics) {
            overflowCount += other.overflowCount
            maxOverflowMagnitude = max(maxOverflowMagnitude, other.maxOverflowMagnitude)
        }
    }

    /// Elements below this are converted on the calling thread; above it, on two cores.
    static let parallelThreshold = 1 << 18

    /// Converts the elements in `source` (of dtype `from`) into `output` (of dtype `to`).
    ///
    /// - Precondition: `canConvert(from:to:)`, `source` holds a whole number of elements (of
    ///   blocks, for `Q8_0`) and `output` exactly as many elements of the target (programmer
    ///   errors: callers size both).
    @discardableResult
    public static func convert(
        _ source: UnsafeRawBufferPointer, from: DType, to: DType, into output: UnsafeMutableRawBufferPointer
    ) -> Statistics {
        precondition(canConvert(from: from, to: to), "cannot convert \(from) to \(to)")
        let outWidth = to.bitWidth / 8
        let count = source.count / from.blockByteCount * from.blockSize
        precondition(from.byteCount(elementCount: count) == source.count && output.count == count * outWidth, "buffer sizes")
        guard count > 0, let input = source.baseAddress, let out = output.baseAddress else { return Statistics() }
        if count < parallelThreshold {
            return convertRange(input, out, 0..<count, from: from, to: to)
        }
        let half = count / 2 / from.blockSize * from.blockSize  // whole blocks on each side
        let parts = [StatisticsBox(), StatisticsBox()]
        let pointers = SendablePointers(input: input, output: out)
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            let range = part == 0 ? 0..<half : half..<count
            parts[part].value = convertRange(pointers.input, pointers.output, range, from: from, to: to)
        }
        var total = parts[0].value
        total.merge(parts[1].value)
        return total
    }

    // MARK: Scalars

    /// The binary16 bits nearest to `value` (ties to even); overflow gives +-Inf, NaN a quiet NaN.
    public static func float16Bits(from value: Float) -> UInt16 { f32ToF16(value.bitPattern) }

    /// The binary16 value `bits`, exactly, as a `Float` (a NaN comes back quiet).
    public static func float(fromFloat16Bits bits: UInt16) -> Float { Float(bitPattern: f16ToF32(bits)) }

    /// The bfloat16 bits nearest to `value` (ties to even); NaN gives a quiet NaN.
    public static func bfloat16Bits(from value: Float) -> UInt16 { f32ToBF16(value.bitPattern) }

    /// The bfloat16 value `bits`, exactly, as a `Float` (a NaN comes back quiet).
    public static func float(fromBFloat16Bits bits: UInt16) -> Float { Float(bitPattern: bf16ToF32(bits)) }

    // MARK: Kernels

    @inline(__always)
    static func f32ToF16(_ x: UInt32) -> UInt16 {
        let sign = UInt16(truncatingIfNeeded: (x >> 16) & 0x8000)
        let a = x & 0x7FFF_FFFF
        // Normal results: rebias the exponent (-112 << 23) and round to nearest even at bit 13.
        let odd = (a >> 13) & 1
        let normal = (a &+ 0xC800_0FFF &+ odd) >> 13
        // Subnormal results: adding 0.5 lines the 10 result bits up at the bottom of the float,
        // and the FPU's own round-to-nearest-even does the rounding.
        let magic: UInt32 = 0x3F00_0000
        let subnormal = (Float(bitPattern: a) + Float(bitPattern: magic)).bitPattern &- magic
        var result = a < 0x3880_0000 ? subnormal : normal
        // 2^16 and above (Inf included) is Inf; NaN keeps its top payload bits and becomes quiet.
        let special = a > 0x7F80_0000 ? 0x7E00 | ((a >> 13) & 0x3FF) : 0x7C00
        result = a >= 0x4780_0000 ? special : result
        return sign | UInt16(truncatingIfNeeded: result)
    }

    @inline(__always)
    static func f16ToF32(_ h: UInt16) -> UInt32 {
        let bits = UInt32(h)
        let shifted = (bits & 0x7FFF) << 13
        let exponent = shifted & 0x0F80_0000
        let normal = shifted &+ 0x3800_0000
        // Inf and NaN: all exponent bits set; NaN made quiet.
        let quiet: UInt32 = (bits & 0x03FF) != 0 ? 0x0040_0000 : 0
        let special = (shifted &+ 0x7000_0000) | quiet
        // Zero and subnormals: renormalise with one float subtraction (exact).
        let subnormal = (Float(bitPattern: shifted &+ 0x3880_0000) - Float(bitPattern: 0x3880_0000)).bitPattern
        let magnitude = exponent == 0x0F80_0000 ? special : (exponent == 0 ? subnormal : normal)
        return magnitude | ((bits & 0x8000) << 16)
    }

    @inline(__always)
    static func f32ToBF16(_ x: UInt32) -> UInt16 {
        let rounded = (x &+ 0x7FFF &+ ((x >> 16) & 1)) >> 16
        let nan = (x >> 16) | 0x0040
        return UInt16(truncatingIfNeeded: (x & 0x7FFF_FFFF) > 0x7F80_0000 ? nan : rounded)
    }

    @inline(__always)
    static func bf16ToF32(_ b: UInt16) -> UInt32 {
        let bits = UInt32(b) << 16
        return (b & 0x7FFF) > 0x7F80 ? bits | 0x0040_0000 : bits
    }

    /// `value` rounded to a Float with round-to-odd (exact values stay exact; inexact ones get
    /// their lowest bit set), so a second rounding to a narrower type is correctly rounded.
    @inline(__always)
    static func roundToOddFloat(_ value: Double) -> Float {
        let nearest = Float(value)
        guard value.isFinite, Double(nearest) != value else { return nearest }
        var bits = nearest.bitPattern
        if Double(nearest).magnitude > value.magnitude { bits &-= 1 }  // step toward zero
        return Float(bitPattern: bits | 1)
    }

    /// F8_E4M3 (fn: no infinities, S.1111.111 is NaN) and F8_E5M2 decoded to Float bits.
    static let e4m3Table: [UInt32] = (0..<256).map { byte in
        let sign: Float = byte & 0x80 != 0 ? -1 : 1
        let exponent = (byte >> 3) & 0xF, mantissa = byte & 0x7
        if exponent == 0xF && mantissa == 0x7 { return 0x7FC0_0000 | (byte & 0x80 != 0 ? 0x8000_0000 : 0) }
        let value: Float = exponent == 0
            ? Float(mantissa) / 8 * Float(sign: .plus, exponent: -6, significand: 1)
            : (1 + Float(mantissa) / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
        return (sign * value).bitPattern
    }
    static let e5m2Table: [UInt32] = (0..<256).map { byte in f16ToF32(UInt16(byte) << 8) }

    // MARK: Loops

    private static func convertRange(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, _ range: Range<Int>, from: DType, to: DType
    ) -> Statistics {
        var stats = Statistics()
        switch (from, to) {
        case (.f32, .f32), (.f16, .f16), (.bf16, .bf16):
            let width = from.bitWidth / 8
            (output + range.lowerBound * width).copyMemory(from: input + range.lowerBound * width, byteCount: range.count * width)
        case (.f32, .f16):
            var overflow = 0
            for i in range {
                let x = input.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                let h = f32ToF16(x)
                overflow &+= ((x & 0x7FFF_FFFF) < 0x7F80_0000 && (h & 0x7FFF) == 0x7C00) ? 1 : 0
                output.storeBytes(of: h, toByteOffset: i * 2, as: UInt16.self)
            }
            if overflow > 0 {
                stats = largestOverflow(range, count: overflow) { i in
                    let x = Float(bitPattern: input.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                    return x.isFinite && f32ToF16(x.bitPattern) & 0x7FFF == 0x7C00 ? Double(x.magnitude) : nil
                }
            }
        case (.f32, .bf16):
            var overflow = 0
            for i in range {
                let x = input.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                let b = f32ToBF16(x)
                overflow &+= ((x & 0x7FFF_FFFF) < 0x7F80_0000 && (b & 0x7FFF) == 0x7F80) ? 1 : 0
                output.storeBytes(of: b, toByteOffset: i * 2, as: UInt16.self)
            }
            if overflow > 0 {
                stats = largestOverflow(range, count: overflow) { i in
                    let x = Float(bitPattern: input.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                    return x.isFinite && f32ToBF16(x.bitPattern) & 0x7FFF == 0x7F80 ? Double(x.magnitude) : nil
                }
            }
        case (.f16, .f32):
            for i in range {
                let h = input.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
                output.storeBytes(of: f16ToF32(h), toByteOffset: i * 4, as: UInt32.self)
            }
        case (.bf16, .f32):
            for i in range {
                let b = input.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
                output.storeBytes(of: bf16ToF32(b), toByteOffset: i * 4, as: UInt32.self)
            }
        case (.f16, .bf16):
            // F16 -> F32 is exact and its range fits BF16's: one rounding, never an overflow.
            for i in range {
                let h = input.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
                output.storeBytes(of: f32ToBF16(f16ToF32(h)), toByteOffset: i * 2, as: UInt16.self)
            }
        case (.bf16, .f16):
            var overflow = 0
            for i in range {
                let x = bf16ToF32(input.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                let h = f32ToF16(x)
                overflow &+= ((x & 0x7FFF_FFFF) < 0x7F80_0000 && (h & 0x7FFF) == 0x7C00) ? 1 : 0
                output.storeBytes(of: h, toByteOffset: i * 2, as: UInt16.self)
            }
            if overflow > 0 {
                stats = largestOverflow(range, count: overflow) { i in
                    let x = Float(bitPattern: bf16ToF32(input.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                    return x.isFinite && f32ToF16(x.bitPattern) & 0x7FFF == 0x7C00 ? Double(x.magnitude) : nil
                }
            }
        case (.f64, _):
            stats = convertDoubles(input, output, range, to: to)
        case (.q8_0, _):
            stats = convertQ8_0(input, output, range, to: to)
        case (.f8E4M3, _), (.f8E5M2, _):
            let table = from == .f8E4M3 ? e4m3Table : e5m2Table
            table.withUnsafeBufferPointer { table in
                for i in range {
                    let x = table[Int(input.load(fromByteOffset: i, as: UInt8.self))]
                    store(x, at: i, in: output, as: to)  // exact: F8 fits every target
                }
            }
        default:
            preconditionFailure("no conversion from \(from) to \(to)")
        }
        return stats
    }

    @inline(__always)
    private static func store(_ x: UInt32, at i: Int, in output: UnsafeMutableRawPointer, as dtype: DType) {
        switch dtype {
        case .f32: output.storeBytes(of: x, toByteOffset: i * 4, as: UInt32.self)
        case .f16: output.storeBytes(of: f32ToF16(x), toByteOffset: i * 2, as: UInt16.self)
        default: output.storeBytes(of: f32ToBF16(x), toByteOffset: i * 2, as: UInt16.self)
        }
    }

    /// Q8_0 blocks in `range` (whole blocks): scale x quant in F32 (exact), then to the target.
    private static func convertQ8_0(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, _ range: Range<Int>, to: DType
    ) -> Statistics {
        var stats = Statistics()
        let blockSize = DType.q8_0.blockSize, blockBytes = DType.q8_0.blockByteCount
        var block = range.lowerBound / blockSize
        while block * blockSize < range.upperBound {
            let base = input + block * blockBytes
            let scale = Float(bitPattern: f16ToF32(base.loadUnaligned(as: UInt16.self)))
            for j in 0..<blockSize {
                let value = scale * Float(base.load(fromByteOffset: 2 + j, as: Int8.self))
                let i = block * blockSize + j
                store(value.bitPattern, at: i, in: output, as: to)
                if to == .f16, value.isFinite, f32ToF16(value.bitPattern) & 0x7FFF == 0x7C00 {
                    stats.overflowCount += 1
                    stats.maxOverflowMagnitude = max(stats.maxOverflowMagnitude, Double(value.magnitude))
                }
            }
            block += 1
        }
        return stats
    }

    private static func convertDoubles(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, _ range: Range<Int>, to: DType
    ) -> Statistics {
        var stats = Statistics()
        for i in range {
            let d = input.loadUnaligned(fromByteOffset: i * 8, as: Double.self)
            let f = to == .f32 ? Float(d) : roundToOddFloat(d)
            let bits: UInt32
            let overflowed: Bool
            switch to {
            case .f32:
                bits = f.bitPattern
                overflowed = d.isFinite && f.isInfinite
            case .f16:
                let h = f32ToF16(f.bitPattern)
                bits = UInt32(h)
                overflowed = d.isFinite && (h & 0x7FFF) == 0x7C00
                output.storeBytes(of: h, toByteOffset: i * 2, as: UInt16.self)
            default:
                let b = f32ToBF16(f.bitPattern)
                bits = UInt32(b)
                overflowed = d.isFinite && (b & 0x7FFF) == 0x7F80
                output.storeBytes(of: b, toByteOffset: i * 2, as: UInt16.self)
            }
            if to == .f32 { output.storeBytes(of: bits, toByteOffset: i * 4, as: UInt32.self) }
            if overflowed {
                stats.overflowCount += 1
                stats.maxOverflowMagnitude = max(stats.maxOverflowMagnitude, d.magnitude)
            }
        }
        return stats
    }

    /// The second, rare pass once a range is known to overflow: the largest offending magnitude.
    private static func largestOverflow(
        _ range: Range<Int>, count: Int, _ magnitudeIfOverflowing: (Int) -> Double?
    ) -> Statistics {
        var largest = 0.0
        for i in range {
            if let magnitude = magnitudeIfOverflowing(i) { largest = max(largest, magnitude) }
        }
        return Statistics(overflowCount: count, maxOverflowMagnitude: largest)
    }
}

/// A result slot for one `concurrentPerform` body; each body writes only its own box.
private final class StatisticsBox: @unchecked Sendable {
    var value = DTypeConversion.Statistics()
}

/// Raw pointers handed to two worker threads that finish before the buffers go away.
private struct SendablePointers: @unchecked Sendable {
    let input: UnsafeRawPointer
    let output: UnsafeMutableRawPointer
}
