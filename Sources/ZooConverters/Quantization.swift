import ZooFormat

/// Block-quantised dtypes for loaders: turning a ``ZooFormat/DType/q8_0`` tensor into `Float`s.
///
/// A `Q8_0` block is 34 bytes: an F16 scale `d`, then 32 `int8` values `q`; element `i` of the
/// block is `Float(d) * Float(q[i])`, computed in F32 exactly as GGML's `dequantize_row_q8_0`
/// and the `gguf` Python package do, so the result is bit-identical to theirs.
///
/// ```swift
/// let weights = try Quantization.dequantizeQ8_0(checkpoint.tensor(named: "blk.0.attn_q.weight"))
/// // weights.count == element count; row-major like the tensor's shape
/// ```
public enum Quantization {
    /// Dequantises a `Q8_0` tensor into a new row-major `[Float]` of its element count.
    ///
    /// - Throws: ``QuantizationError`` when the tensor is not `Q8_0` or its byte length is not
    ///   a whole number of blocks for its shape.
    public static func dequantizeQ8_0(_ tensor: TensorView) throws(QuantizationError) -> [Float] {
        guard tensor.dtype == .q8_0 else {
            throw QuantizationError(tensor: tensor.name, reason: .notQ8_0(tensor.dtype))
        }
        let count = tensor.entry.elementCount
        let expected = DType.q8_0.byteCount(elementCount: count)
        guard expected == tensor.bytes.count else {
            throw QuantizationError(tensor: tensor.name, reason: .length(expected: expected ?? -1, actual: tensor.bytes.count))
        }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            tensor.withUnsafeBytes { dequantizeQ8_0(blocks: $0, into: buffer) }
            initialized = count
        }
    }

    /// Dequantises raw `Q8_0` blocks into `output`, which must hold exactly 32 floats per
    /// 34-byte block (a precondition: size the buffers from the tensor's shape).
    public static func dequantizeQ8_0(blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let blockBytes = DType.q8_0.blockByteCount, blockSize = DType.q8_0.blockSize
        let blockCount = blocks.count / blockBytes
        precondition(blocks.count == blockCount * blockBytes && output.count == blockCount * blockSize,
                     "Q8_0: \(blocks.count) bytes for \(output.count) floats")
        guard blockCount > 0, let source = blocks.baseAddress, let out = output.baseAddress else { return }
        for block in 0..<blockCount {
            let base = source + block * blockBytes
            let scale = DTypeConversion.float(fromFloat16Bits: base.loadUnaligned(as: UInt16.self))
            let row = out + block * blockSize
            for i in 0..<blockSize {
                row[i] = scale * Float(base.load(fromByteOffset: 2 + i, as: Int8.self))
            }
        }
    }
}

/// Why a tensor could not be dequantised.
public struct QuantizationError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The tensor's dtype is not the one asked for.
        case notQ8_0(DType)
        /// The tensor's byte length does not match its shape.
        case length(expected: Int, actual: Int)
    }

    /// The tensor's name.
    public var tensor: String
    public var reason: Reason

    public init(tensor: String, reason: Reason) {
        self.tensor = tensor
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .notQ8_0(dtype): "tensor '\(tensor)' is \(dtype.rawValue), not Q8_0"
        case let .length(expected, actual): "tensor '\(tensor)': \(actual) bytes, Q8_0 blocks for its shape need \(expected)"
        }
    }
}
