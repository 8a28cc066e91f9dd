import ZooFormat

/// One generated tensor: its spec and its little-endian bytes, in memory.
struct GeneratedTensor: Sendable {
    let spec: TensorSpec
    let bytes: [UInt8]
}

/// Fills tensors with deterministic pseudo-random weights: the same layout always gives the same
/// bytes, so zoo, Python and OpenSSL all see identical data run after run.
///
/// Values look like trained weights (small, mixed signs, every mantissa bit used) rather than
/// zeros, so nothing downstream can shortcut them. F32 values are uniform in [-0.05, 0.05); F16
/// values have magnitudes between 2^-9 and 2^-1.
enum DataGenerator {
    static func generate(_ layout: ModelLayout, seed: UInt64 = 0x5eed_2008) -> [GeneratedTensor] {
        layout.tensors.enumerated().map { index, spec in
            var random = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
            return GeneratedTensor(spec: spec, bytes: bytes(for: spec, random: &random))
        }
    }

    private static func bytes(for spec: TensorSpec, random: inout SplitMix64) -> [UInt8] {
        let count = spec.byteCount
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            switch spec.dtype {
            case .f16:
                fill(raw.bindMemory(to: UInt16.self), random: &random, perDraw: 4) { bits in
                    // sign | exponent 6...13 (bias 15) | 10 mantissa bits
                    UInt16(truncatingIfNeeded: (bits & 0x83FF) | ((6 + (bits >> 10 & 7)) << 10))
                }
            default:
                // Every generated dtype other than F16 is F32 (see ModelLayout).
                fill(raw.bindMemory(to: UInt32.self), random: &random, perDraw: 2) { bits in
                    let unit = Float(bitPattern: 0x3F80_0000 | UInt32(truncatingIfNeeded: bits >> 9))  // [1, 2)
                    return ((unit - 1.5) * 0.1).bitPattern.littleEndian
                }
            }
            initialized = count
        }
    }

    /// Fills `buffer` with `perDraw` values cut from each 64-bit draw.
    @inline(__always)
    private static func fill<T: FixedWidthInteger>(
        _ buffer: UnsafeMutableBufferPointer<T>, random: inout SplitMix64, perDraw: Int, _ make: (UInt64) -> T
    ) {
        let width = 64 / perDraw
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
        var i = 0
        while i < buffer.count {
            var draw = random.next()
            for _ in 0..<min(perDraw, buffer.count - i) {
                buffer[i] = make(draw & mask)
                draw >>= UInt64(width)
                i += 1
            }
        }
    }
}
