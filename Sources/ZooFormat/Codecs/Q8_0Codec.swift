/// GGML's `Q8_0` blocks decoded to `Float`.
///
/// A block is 34 bytes: an F16 scale `d`, then 32 `int8` values `q`; element `i` of the block
/// is `Float(d) * Float(q[i])`, computed in F32 exactly as GGML's `dequantize_row_q8_0` and the
/// `gguf` Python package do, so the result is bit-identical to theirs (and exact: an 11-bit
/// scale times an 8-bit integer fits a `Float`'s 24 bits).
///
/// ```swift
/// let weights = try Q8_0Codec.decode(checkpoint.tensor(named: "blk.0.attn_q.weight"))
/// // weights.count == element count; row-major like the tensor's shape
/// ```
public enum Q8_0Codec {
    /// Elements per block.
    static let blockSize = DType.q8_0.blockSize
    /// Bytes per block: the 2-byte scale and one byte per element.
    static let blockByteCount = DType.q8_0.blockByteCount

    /// Decodes a `Q8_0` tensor into a new row-major `[Float]` of its element count.
    ///
    /// - Throws: ``QuantizationError`` when the tensor is not `Q8_0` or its byte length is not
    ///   a whole number of blocks for its shape.
    public static func decode(_ tensor: TensorView) throws(QuantizationError) -> [Float] {
        guard tensor.dtype == .q8_0 else {
            throw QuantizationError(tensor: tensor.name, reason: .notQ8_0(tensor.dtype))
        }
        let count = tensor.entry.elementCount
        let expected = DType.q8_0.byteCount(elementCount: count)
        guard expected == tensor.bytes.count else {
            throw QuantizationError(tensor: tensor.name, reason: .length(expected: expected ?? -1, actual: tensor.bytes.count))
        }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            tensor.withUnsafeBytes { decode(blocks: $0, into: buffer) }
            initialized = count
        }
    }

    /// Decodes raw `Q8_0` blocks into `output`, which must hold exactly 32 floats per
    /// 34-byte block (a precondition: size the buffers from the tensor's shape).
    public static func decode(blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let blockCount = blocks.count / blockByteCount
        precondition(blocks.count == blockCount * blockByteCount && output.count == blockCount * blockSize,
                     "Q8_0: \(blocks.count) bytes for \(output.count) floats")
        guard blockCount > 0, let source = blocks.baseAddress, let out = output.baseAddress else { return }
        for block in 0..<blockCount {
            let base = source + block * blockByteCount
            let scale = self.scale(ofBlockAt: base)
            let row = out + block * blockSize
            for i in 0..<blockSize {
                row[i] = scale * quant(i, ofBlockAt: base)
            }
        }
    }

    /// The F16 scale `d` of the block starting at `base`, as a `Float`.
    @inline(__always)
    static func scale(ofBlockAt base: UnsafeRawPointer) -> Float {
        Float(bitPattern: Float16Codec.decode(base.loadUnaligned(as: UInt16.self)))
    }

    /// Quantised value `i` (0..<32) of the block starting at `base`, as a `Float`.
    @inline(__always)
    static func quant(_ i: Int, ofBlockAt base: UnsafeRawPointer) -> Float {
        Float(base.load(fromByteOffset: 2 + i, as: Int8.self))
    }
}
