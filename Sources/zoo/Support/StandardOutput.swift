#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// `-o -`: a finished output file copied to standard output.
enum StandardOutput {
    /// The name `-o` takes for standard output.
    static let dash = "-"

    /// Whether standard output is a terminal (a model is never written to one).
    static var isTerminal: Bool { isatty(1) == 1 }

    /// How much is read and written at a time: memory stays at this whatever the file's size.
    static let chunkByteCount = 1 << 20

    /// Copies the regular file at `path` to standard output in ``chunkByteCount`` pieces.
    /// A reader that goes away (`| head`) gives an `EPIPE` error rather than a SIGPIPE death, so
    /// the caller still removes its temp files.
    static func copy(file path: String) throws(IOError) {
        signal(SIGPIPE, SIG_IGN)
        let fd = try FileSystem.openForReading(path)
        defer { _ = try? FileSystem.close(fd, path: path) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkByteCount, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try FileSystem.read(fd, into: buffer, path: path)
            if count == 0 { return }
            try FileSystem.writeAll(1, UnsafeRawBufferPointer(rebasing: buffer[..<count]), path: "<stdout>")
        }
    }
}
