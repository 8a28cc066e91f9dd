import Dispatch

/// Element-wise conversions of buffers between zoo's floating-point dtypes, bit-exact and
/// IEEE-correct: round-to-nearest-even, NaN stays NaN (made quiet, sign kept), infinities stay
/// infinite, finite values too large for the target become infinities and are counted as overflows.
///
/// Sources: `F64`, `F32`, `F16`, `BF16`, `F8_E4M3`, `F8_E5M2` and `Q8_0` (dequantised).
/// Targets: ``targets`` (`F32`, `F16`, `BF16`). Widening (`F16` or `BF16` to `F32`, any `F8`
/// to anything, `Q8_0` to `F32`: scale x quant is exact in F32) is exact; `F64` to a 16-bit
/// type rounds once (through a round-to-odd `F32`, so no double rounding).
///
/// The per-element codecs are ``Float16Codec``, ``BFloat16Codec`` and ``Q8_0Codec``; this type
/// dispatches on the dtype pair. The loops are branch-free so the compiler vectorises them;
/// ``convert(_:from:to:into:)`` splits large buffers over two cores.
///
/// ```swift
/// var half = [UInt16](repeating: 0, count: floats.count)
/// let stats = floats.withUnsafeBytes { source in
///     half.withUnsafeMutableBytes { DTypeConversion.convert(source, from: .f32, to: .f16, into: $0) }
/// }
/// // stats.overflowCount: finite values that became +-Inf
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

        /// Adds the counts of a conversion of another piece (the converters stream a tensor in pieces).
        package mutating func merge(_ other: Statistics) {
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
