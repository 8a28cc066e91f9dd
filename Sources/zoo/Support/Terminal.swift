#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing to the standard streams.
enum Terminal {
    /// Whether standard error is a terminal (progress bars are drawn only then).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Writes `text` and a newline to standard error.
    static func writeError(_ text: String) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        writeRaw(line, to: 2)
    }

    /// Writes `text` to standard error as is (for progress redraws).
    static func writeErrorRaw(_ text: String) {
        writeRaw(text, to: 2)
    }

    private static func writeRaw(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}
