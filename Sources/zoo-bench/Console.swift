import ZooFormat

/// The benchmark's two output streams: stdout for results, stderr for progress and errors.
/// Written with write(2), unbuffered, so progress and results interleave in order.
enum Console {
    /// A progress or error line on stderr.
    static func diagnostic(_ line: String) {
        emit(line + "\n", to: 2)
    }

    /// Results on stdout (a final newline is added when missing).
    static func result(_ text: String) {
        emit(text.hasSuffix("\n") ? text : text + "\n", to: 1)
    }

    private static func emit(_ text: String, to fd: Int32) {
        // Nothing sensible to do when the terminal or pipe is gone.
        try? FileSystem.writeAll(fd, Array(text.utf8), path: fd == 1 ? "<stdout>" : "<stderr>")
    }
}
