// The per-dtype-pair loops behind DTypeConversion.convert(_:from:to:into:). Each loop is written
// out for its pair, with the codec calls inlined, so the compiler vectorises it; loads and
// stores are unaligned-safe raw accesses, so any byte buffer may be converted into any other.

extension DTypeConversion {
    /// Converts elements `range` (whole blocks, for `Q8_0`) of `input` into the same elements of `output`.
    static func convertRange(
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
                let h = Float16Codec.encode(x)
                overflow &+= Float16Codec.overflowed(x, to: h) ? 1 : 0
                output.storeBytes(of: h, toByteOffset: i * 2, as: UInt16.self)
            }
            if overflow > 0 {
                stats = largestOverflow(range, count: overflow) { i in
                    let x = input.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                    return Float16Codec.overflowed(x, to: Float16Codec.encode(x)) ? Double(Float(bitPattern: x).magnitude) : nil
                }
            }
        case (.f32, .bf16):
            var overflow = 0
            for i in range {
                let x = input.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                let b = BFloat16Codec.encode(x)
                overflow &+= BFloat16Codec.overflowed(x, to: b) ? 1 : 0
                output.storeBytes(of: b, toByteOffset: i * 2, as: UInt16.self)
            }
            if overflow > 0 {
                stats = largestOverflow(range, count: overflow) { i in
                    let x = input.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                    return BFloat16Codec.overflowed(x, to: BFloat16Codec.encode(x)) ? Double(Float(bitPattern: x).magnitude) : nil
                }
            }
        case (.f16, .f32):
            for i in range {
                let h = input.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
                output.storeBytes(of: Float16Codec.decode(h), toByteOffset: i * 4, as: UInt32.self)
            }
        case (.bf16, .f32):
            for i in range {
                let b = input.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
                output.storeBytes(of: BFloat16Codec.decode(b), toByteOffset: i * 4, as: UInt32.self)
            }
        case (.f16, .bf16):
            // F16 -> F32 is exact and its range fits BF16's: one rounding, never an overflow.
            for i in range {
                let h = input.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
                output.storeBytes(of: BFloat16Codec.encode(Float16Codec.decode(h)), toByteOffset: i * 2, as: UInt16.self)
            }
        case (.bf16, .f16):
            var overflow = 0
            for i in range {
                let x = BFloat16Codec.decode(input.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                let h = Float16Codec.encode(x)
                overflow &+= Float16Codec.overflowed(x, to: h) ? 1 : 0
                output.storeBytes(of: h, toByteOffset: i * 2, as: UInt16.self)
            }
            if overflow > 0 {
                stats = largestOverflow(range, count: overflow) { i in
                    let x = BFloat16Codec.decode(input.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                    return Float16Codec.overflowed(x, to: Float16Codec.encode(x)) ? Double(Float(bitPattern: x).magnitude) : nil
                }
            }
        case (.f64, _):
            stats = convertDoubles(input, output, range, to: to)
        case (.q8_0, _):
            stats = convertQ8_0(input, output, range, to: to)
        case (.f8E4M3, _), (.f8E5M2, _):
            Float8Codec.table(for: from).withUnsafeBufferPointer { table in
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

    /// Stores the `Float` bits `x` as element `i` of a buffer of `dtype` (one of ``targets``).
    @inline(__always)
    private static func store(_ x: UInt32, at i: Int, in output: UnsafeMutableRawPointer, as dtype: DType) {
        switch dtype {
        case .f32: output.storeBytes(of: x, toByteOffset: i * 4, as: UInt32.self)
        case .f16: output.storeBytes(of: Float16Codec.encode(x), toByteOffset: i * 2, as: UInt16.self)
        default: output.storeBytes(of: BFloat16Codec.encode(x), toByteOffset: i * 2, as: UInt16.self)
        }
    }

    /// Q8_0 blocks in `range` (whole blocks): scale x quant in F32 (exact), then to the target.
    private static func convertQ8_0(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, _ range: Range<Int>, to: DType
    ) -> Statistics {
        var stats = Statistics()
        let blockSize = Q8_0Codec.blockSize, blockBytes = Q8_0Codec.blockByteCount
        var block = range.lowerBound / blockSize
        while block * blockSize < range.upperBound {
            let base = input + block * blockBytes
            let scale = Q8_0Codec.scale(ofBlockAt: base)
            for j in 0..<blockSize {
                let value = scale * Q8_0Codec.quant(j, ofBlockAt: base)
                let i = block * blockSize + j
                store(value.bitPattern, at: i, in: output, as: to)
                if to == .f16, value.isFinite, Float16Codec.encode(value.bitPattern) & 0x7FFF == 0x7C00 {
                    stats.overflowCount += 1
                    stats.maxOverflowMagnitude = max(stats.maxOverflowMagnitude, Double(value.magnitude))
                }
            }
            block += 1
        }
        return stats
    }

    /// F64 elements in `range`: straight to F32 (rounded once), or to a 16-bit type through a
    /// round-to-odd F32 so that the second rounding is still correct.
    private static func convertDoubles(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, _ range: Range<Int>, to: DType
    ) -> Statistics {
        var stats = Statistics()
        for i in range {
            let d = input.loadUnaligned(fromByteOffset: i * 8, as: Double.self)
            let f = to == .f32 ? Float(d) : roundToOddFloat(d)
            let overflowed: Bool
            switch to {
            case .f32:
                output.storeBytes(of: f.bitPattern, toByteOffset: i * 4, as: UInt32.self)
                overflowed = d.isFinite && f.isInfinite
            case .f16:
                let h = Float16Codec.encode(f.bitPattern)
                overflowed = d.isFinite && (h & 0x7FFF) == 0x7C00
                output.storeBytes(of: h, toByteOffset: i * 2, as: UInt16.self)
            default:
                let b = BFloat16Codec.encode(f.bitPattern)
                overflowed = d.isFinite && (b & 0x7FFF) == 0x7F80
                output.storeBytes(of: b, toByteOffset: i * 2, as: UInt16.self)
            }
            if overflowed {
                stats.overflowCount += 1
                stats.maxOverflowMagnitude = max(stats.maxOverflowMagnitude, d.magnitude)
            }
        }
        return stats
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
