import Dispatch
import ZooFormat

/// Any manifest dtype decoded into `Float` (Float32), as PyTorch's `tensor.float()`.
///
/// Floating-point dtypes go through the format's ``ZooFormat/DTypeConversion`` (F16, BF16
/// and F8 exactly, F64 rounded to nearest even with overflow to ±infinity, NaN kept NaN) and
/// Q8_0 through ``ZooFormat/Q8_0Codec`` (`scale x q`, exact); integers become the nearest
/// Float and BOOL 0 or 1.
///
/// ```swift
/// let floats = view.withUnsafeBytes { Float32Conversion.floats(from: $0, dtype: .f16, count: 4) }
/// ```
public enum Float32Conversion {
    /// Q8_0 tensors with more elements than this are dequantised on several cores.
    static let parallelThreshold = 1 << 20
    /// Elements per parallel piece: a whole number of Q8_0 blocks.
    static let chunkElements = 1 << 18

    /// Whether ``convert(_:from:into:)`` decodes `dtype`: every dtype but those zoo only carries
    /// (``ZooFormat/DType/isCarriedOnly``: C64, F4, F6, F8_E8M0 and the FNUZ floats).
    public static func decodes(_ dtype: DType) -> Bool { !dtype.isCarriedOnly }

    /// Decodes `destination.count` elements of `dtype` from the little-endian `bytes`.
    ///
    /// - Precondition: `bytes.count == dtype.byteCount(elementCount: destination.count)`
    ///   (callers size both from a validated manifest entry) and ``decodes(_:)`` holds for
    ///   `dtype` (callers check it and throw, naming the tensor).
    public static func convert(
        _ bytes: UnsafeRawBufferPointer, from dtype: DType, into destination: UnsafeMutableBufferPointer<Float>
    ) {
        let count = destination.count
        precondition(
            dtype.byteCount(elementCount: count) == bytes.count,
            "\(bytes.count) bytes of \(dtype.rawValue) for \(count) elements")
        guard count > 0, let source = bytes.baseAddress, let target = destination.baseAddress else { return }
        switch dtype {
        case .f32:
            UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: bytes.count)
        case .f64, .f16, .bf16, .f8E4M3, .f8E5M2:
            DTypeConversion.convert(bytes, from: dtype, to: .f32, into: UnsafeMutableRawBufferPointer(destination))
        case .q8_0:
            dequantizeQ8_0(source, into: target, count: count)
        case .i64: map(source, target, count, Int64.self)
        case .i32: map(source, target, count, Int32.self)
        case .i16: map(source, target, count, Int16.self)
        case .i8: map(source, target, count, Int8.self)
        case .u64: map(source, target, count, UInt64.self)
        case .u32: map(source, target, count, UInt32.self)
        case .u16: map(source, target, count, UInt16.self)
        case .u8: map(source, target, count, UInt8.self)
        case .bool:
            for i in 0..<count { target[i] = source.load(fromByteOffset: i, as: UInt8.self) == 0 ? 0 : 1 }
        case .c64, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ, .f4, .f6E2M3, .f6E3M2:
            preconditionFailure("\(dtype.rawValue) is carried, never decoded: check Float32Conversion.decodes first")
        }
    }

    /// The elements of `dtype` in `bytes`, decoded into a new array of `count` floats.
    ///
    /// - Precondition: `bytes.count == dtype.byteCount(elementCount: count)`.
    public static func floats(from bytes: UnsafeRawBufferPointer, dtype: DType, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            convert(bytes, from: dtype, into: buffer)
            initialized = count
        }
    }

    /// Q8_0 blocks through ``ZooFormat/Q8_0Codec``, split over the cores when large.
    private static func dequantizeQ8_0(_ source: UnsafeRawPointer, into target: UnsafeMutablePointer<Float>, count: Int) {
        guard count > parallelThreshold else { return dequantizeQ8_0(source, target, start: 0, length: count) }
        let pieces = (count + chunkElements - 1) / chunkElements
        let shared = SharedPointers(source: source, target: target)
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let start = piece * chunkElements
            dequantizeQ8_0(shared.source, shared.target, start: start, length: min(chunkElements, count - start))
        }
    }

    /// Elements `start..<start + length` (whole blocks) of a Q8_0 tensor.
    private static func dequantizeQ8_0(
        _ source: UnsafeRawPointer, _ target: UnsafeMutablePointer<Float>, start: Int, length: Int
    ) {
        let blockSize = DType.q8_0.blockSize, blockBytes = DType.q8_0.blockByteCount
        let blocks = UnsafeRawBufferPointer(
            start: source + start / blockSize * blockBytes, count: length / blockSize * blockBytes)
        Q8_0Codec.decode(blocks: blocks, into: UnsafeMutableBufferPointer(start: target + start, count: length))
    }

    /// `target[i] = Float(source[i])` for little-endian integers (unaligned loads allowed).
    private static func map<T: FixedWidthInteger>(
        _ source: UnsafeRawPointer, _ target: UnsafeMutablePointer<Float>, _ count: Int, _: T.Type
    ) {
        let stride = MemoryLayout<T>.size
        for i in 0..<count {
            target[i] = Float(T(littleEndian: source.loadUnaligned(fromByteOffset: i * stride, as: T.self)))
        }
    }
}

/// Pointers handed to worker threads that finish before the buffers go away.
private struct SharedPointers: @unchecked Sendable {
    let source: UnsafeRawPointer
    let target: UnsafeMutablePointer<Float>
}
