import Foundation

/// What an upload session says it holds: the `Range` header of an OCI upload answer
/// (`202` to a PATCH, `204` to `GET <location>`), `0-<last byte>`, inclusive.
///
/// The header cannot say "nothing": the CNCF distribution registry writes `0-0` both for an empty
/// session and for one holding 1 byte. That case is kept apart (``zeroOrOne``) instead of being
/// read as either count, so a caller decides with what it knows: after a PATCH of byte 0 it
/// confirms 1 byte; for a session of unknown content it proves nothing.
///
/// ```swift
/// let range = try UploadRange(parsing: "0-1048575", source: url)   // .bytes(1_048_576)
/// range.confirms(1 << 20)                                        // true
/// ```
enum UploadRange: Equatable, Sendable {
    /// `0-0`: the session holds 0 or 1 byte; the registry does not say which.
    case zeroOrOne
    /// `0-N` with N >= 1: the session holds N + 1 bytes.
    case bytes(Int)

    /// Parses `0-<last>` (optionally `bytes=0-<last>`): ASCII digits only, no sign, no
    /// whitespace inside, the start exactly `0`, the end within `Int`.
    ///
    /// - Throws: ``RemoteError/Reason/invalidReply(source:why:)`` naming `source` (redacted in
    ///   the description) and quoting the header.
    init(parsing header: String, source: String) throws(RemoteError) {
        var text = Substring(header.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("bytes=") { text = text.dropFirst("bytes=".count) }
        func invalid(_ why: String) -> RemoteError {
            RemoteError(.invalidReply(source: source, why: "upload Range \"\(header.prefix(80))\" \(why)"))
        }
        let parts = text.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw invalid("is not of the form 0-<last byte>") }
        guard parts[0] == "0" else { throw invalid("does not start at byte 0") }
        let end = parts[1]
        guard !end.isEmpty, end.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw invalid("has no decimal last byte")
        }
        guard let last = Int(end), last < Int.max else { throw invalid("is out of range") }
        self = last == 0 ? .zeroOrOne : .bytes(last + 1)
    }

    /// Parses an optional header: `nil` when the answer has none.
    init?(header: String?, source: String) throws(RemoteError) {
        guard let header else { return nil }
        try self.init(parsing: header, source: source)
    }

    /// Whether the session may hold exactly `count` bytes.
    func confirms(_ count: Int) -> Bool {
        switch self {
        case .zeroOrOne: count == 0 || count == 1
        case let .bytes(held): held == count
        }
    }

    /// The byte count an upload can continue from, when the header settles it. `nil` for
    /// ``zeroOrOne``: continuing from 0 could send byte 0 twice (the registry appends whatever a
    /// PATCH brings), continuing from 1 could skip it; the session is abandoned instead.
    var resumableCount: Int? {
        switch self {
        case .zeroOrOne: nil
        case let .bytes(held): held
        }
    }

    /// For messages: "0 or 1 bytes", "5 bytes".
    var held: String {
        switch self {
        case .zeroOrOne: "0 or 1 byte"
        case let .bytes(count): "\(count) bytes"
        }
    }
}
