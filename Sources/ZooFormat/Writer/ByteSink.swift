#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a single-file writer (the `.zoo` archive, safetensors, GGUF) puts its bytes, strictly
/// in order and never seeking back: a new file (``writeFile(_:progress:_:)``, atomic) or an
/// already open descriptor such as standard output (``standardOutput(progress:)``), so one
/// writer makes byte-identical output for both.
///
/// Small writes (headers, small tensors) are gathered into ``capacity``-byte blocks; large
/// pieces go to the descriptor straight from where they are (a memory map), without a copy,
/// so memory stays at one block whatever the output's size.
///
/// ```swift
/// try ByteSink.writeFile("model.bin") { (sink) throws(IOError) in try sink.write(header) }
/// var out = ByteSink.standardOutput(); try out.write(bytes); try out.flush()
/// ```
package struct ByteSink {
    /// The descriptor written to.
    package let fd: Int32
    /// What errors name: the path, or `<stdout>`.
    package let name: String
    /// Called with the byte count of every piece handed to the descriptor (for a progress bar).
    package let progress: (@Sendable (Int) -> Void)?
    private var buffer: [UInt8] = []
    /// Bytes handed to ``write(_:)-(UnsafeRawBufferPointer)`` so far (buffered or not).
    package private(set) var byteCount = 0

    /// The block size small writes are gathered into.
    package static let capacity = 1 << 20
    /// How much of a mapped range is written before its pages are dropped.
    package static let mappedPieceByteCount = 8 << 20
    /// The name errors give standard output.
    package static let standardOutputName = "<stdout>"

    package init(fd: Int32, name: String, progress: (@Sendable (Int) -> Void)? = nil) {
        self.fd = fd
        self.name = name
        self.progress = progress
        buffer.reserveCapacity(Self.capacity)
    }

    /// A sink over descriptor 1. SIGPIPE is ignored from here on, so a reader that goes away
    /// (`| head`) gives an `EPIPE` error naming `<stdout>` rather than killing the process
    /// before it removes its temp files.
    package static func standardOutput(progress: (@Sendable (Int) -> Void)? = nil) -> ByteSink {
        signal(SIGPIPE, SIG_IGN)
        return ByteSink(fd: 1, name: standardOutputName, progress: progress)
    }

    package mutating func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        byteCount += bytes.count
        if buffer.count + bytes.count > Self.capacity { try flush() }
        if bytes.count >= Self.capacity {
            try FileSystem.writeAll(fd, bytes, path: name)
            progress?(bytes.count)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Writes `bytes`, a range of a read-only file mapping (a shard's tensor), in
    /// ``mappedPieceByteCount`` pieces, dropping each piece's pages from the resident set once
    /// written (``MappedFile/dropResidentPages(_:)``).
    package mutating func write(mapped bytes: UnsafeRawBufferPointer) throws(IOError) {
        var start = 0
        while start < bytes.count {
            let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + Self.mappedPieceByteCount)])
            try write(piece)
            MappedFile.dropResidentPages(piece)  // written out or copied into the buffer
            start += piece.count
        }
    }

    package mutating func write(_ bytes: [UInt8]) throws(IOError) {
        let result: Result<Void, IOError> = bytes.withUnsafeBytes { raw in
            Result { () throws(IOError) in try write(raw) }
        }
        try result.get()
    }

    /// Hands the gathered bytes to the descriptor (it does not fsync).
    package mutating func flush() throws(IOError) {
        guard !buffer.isEmpty else { return }
        try FileSystem.writeAll(fd, buffer, path: name)
        progress?(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Creates `path` (which must not exist), lets `body` fill it, then flushes it to disk;
    /// removes it on failure. The callers write to a temp name and rename it into place.
    package static func writeFile(
        _ path: String, progress: (@Sendable (Int) -> Void)? = nil, _ body: (inout ByteSink) throws(IOError) -> Void
    ) throws(IOError) {
        let fd = try FileSystem.createExclusive(path)
        var sink = ByteSink(fd: fd, name: path, progress: progress)
        do throws(IOError) {
            try body(&sink)
            try sink.flush()
            try FileSystem.sync(fd, path: path)
        } catch {
            try? FileSystem.close(fd, path: path)
            try? FileSystem.removeTree(path)
            throw error
        }
        try FileSystem.close(fd, path: path)
    }
}
