import ZooFormat

/// Why a benchmark run stopped. Rendered once, by ``Bench``, as `zoo-bench: error: <description>`.
enum BenchError: Error, CustomStringConvertible {
    /// A bad command line; the text says which argument and why.
    case usage(String)
    /// Something the benchmark needs is missing (the Python peer's interpreter or script).
    case setup(String)
    /// zoo itself failed (writing, opening or reading a checkpoint).
    case zoo(String)
    /// A file operation of the benchmark's own failed.
    case io(IOError)
    /// A peer program (Python or OpenSSL) could not run, failed, or printed something unexpected.
    case peer(program: String, reason: String)
    /// The two sides did not see the same bytes, so their figures would not be comparable.
    case mismatch(String)

    var description: String {
        switch self {
        case let .usage(text): "\(text)\n\(Options.usage)"
        case let .setup(text): text
        case let .zoo(text): text
        case let .io(error): error.description
        case let .peer(program, reason): "\(program): \(reason)"
        case let .mismatch(text): "the two sides disagree: \(text)"
        }
    }
}
