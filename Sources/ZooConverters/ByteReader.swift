/// Reads little-endian integers and byte ranges from a buffer, bounds-checked: running out of
/// bytes throws, it never traps or reads past the end. Shared by every binary converter
/// (safetensors, GGUF, NumPy, PyTorch), which map ``ByteReader/OutOfBounds`` to their own error.
///
/// ```swift
/// var reader = ByteReader(bytes)
/// let headerLength = try reader.read(UInt64.self)   // little-endian, whatever the host
/// let header = try reader.bytes(count: 16)
/// ```
struct ByteReader {
    /// A read needed more bytes than the buffer has left.
    struct OutOfBounds: Error, Equatable {
        /// Where the read started.
        var offset: Int
        /// How many bytes it needed.
        var needed: Int
        /// How many bytes were left.
        var available: Int
    }

    /// The whole buffer; ``offset`` indexes into it.
    let buffer: UnsafeRawBufferPointer
    /// The next byte to read.
    private(set) var offset: Int

    init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = min(max(0, offset), buffer.count)
    }

    /// The number of bytes not read yet.
    var remaining: Int { buffer.count - offset }

    /// Reads a little-endian integer.
    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(OutOfBounds) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw OutOfBounds(offset: offset, needed: size, available: remaining) }
        defer { offset += size }
        return T(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Returns the next `count` bytes without copying them.
    mutating func bytes(count: Int) throws(OutOfBounds) -> UnsafeRawBufferPointer {
        guard count >= 0, remaining >= count else { throw OutOfBounds(offset: offset, needed: count, available: remaining) }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
    }

    /// Skips `count` bytes.
    mutating func skip(_ count: Int) throws(OutOfBounds) {
        _ = try bytes(count: count)
    }
}
