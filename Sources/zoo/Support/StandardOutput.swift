#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// `-o -`: a model written to standard output, streamed by the writer or copied from a finished file.
enum StandardOutput {
    /// The name `-o` takes for standard output.
    static let dash = "-"

    /// Whether standard output is a terminal (a model is never written to one).
    static var isTerminal: Bool { isatty(1) == 1 }

    /// How much is read and written at a time: memory stays at this whatever the file's size.
    static let chunkByteCount = 1 << 20

    /// Lets `body` write into a sink over standard output (formats written in order: .zoo,
    /// safetensors, GGUF); returns the byte count written. A reader that goes away (`| head`)
    /// gives an `EPIPE` error naming `<stdout>` rather than a SIGPIPE death, so the caller
    /// still removes its temp files.
    static func stream(progress: (@Sendable (Int) -> Void)?, _ body: (inout ByteSink) throws -> Void) throws -> Int {
        var sink = ByteSink.standardOutput(progress: progress)
        try body(&sink)
        try sink.flush()
        return sink.byteCount
    }

    /// Copies the regular file at `path` (an npz, whose zip headers need a finished file) to
    /// standard output in ``chunkByteCount`` pieces; returns the byte count copied.
    @discardableResult
    static func copy(file path: String) throws(IOError) -> Int {
        var sink = ByteSink.standardOutput()
        let fd = try FileSystem.openForReading(path)
        defer { _ = try? FileSystem.close(fd, path: path) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkByteCount, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try FileSystem.read(fd, into: buffer, path: path)
            if count == 0 {
                try sink.flush()
                return sink.byteCount
            }
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }
}
