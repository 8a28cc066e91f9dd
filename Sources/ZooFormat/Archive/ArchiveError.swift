/// Why a `.zoo` archive could not be written, opened or extracted, and where.
public struct ArchiveError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// libarchive reported an error.
        case libarchive(String)
        /// The file is neither a tar nor a zstd-compressed tar.
        case notAnArchive
        /// A compressed archive cannot be memory-mapped; extract it instead.
        case compressed
        /// The first member must be `manifest.json`.
        case manifestNotFirst(found: String)
        /// A member path that is absolute, has `..`, or is otherwise unsafe to extract.
        case unsafePath(String)
        /// Links, devices and other non-regular members are refused.
        case notARegularFile(String)
        /// A member the manifest does not declare.
        case undeclaredMember(String)
        case duplicateMember(String)
        /// A member whose size differs from the manifest.
        case sizeMismatch(member: String, declared: Int, actual: Int)
        /// A member the manifest declares but the archive lacks.
        case missingMember(String)
        /// A member's bytes do not hash to the manifest's digest.
        case digestMismatch(member: String, expected: SHA256Digest, actual: SHA256Digest)
        /// The manifest (or the checkpoint read through it) is invalid.
        case format(FormatError)
        case io(IOError)
    }

    /// The archive (or output) path.
    public var file: String
    /// The byte offset in the archive where the offending member's header or data starts, when known.
    public var offset: Int?
    public var reason: Reason

    public init(file: String, offset: Int? = nil, reason: Reason) {
        self.file = file
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .format(error): return error.description
        case let .io(error): return error.description
        default: break
        }
        if let offset { return "\(file): byte \(offset): \(reason)" }
        return "\(file): \(reason)"
    }
}

extension ArchiveError.Reason: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .libarchive(message): "archive error: \(message)"
        case .notAnArchive: "not a .zoo archive (neither a tar nor a zstd-compressed tar)"
        case .compressed: "a compressed archive cannot be memory-mapped; extract or import it instead"
        case let .manifestNotFirst(found): "first member is \"\(found)\", expected manifest.json"
        case let .unsafePath(path): "unsafe member path \"\(path)\" (absolute, \"..\" or not a checkpoint path)"
        case let .notARegularFile(path): "member \"\(path)\" is a link or special file; only regular files are allowed"
        case let .undeclaredMember(path): "member \"\(path)\" is not declared in the manifest"
        case let .duplicateMember(path): "member \"\(path)\" appears twice"
        case let .sizeMismatch(member, declared, actual):
            "member \"\(member)\" is \(actual) bytes, the manifest declares \(declared)"
        case let .missingMember(path): "the manifest declares \"\(path)\" but the archive has no such member"
        case let .digestMismatch(member, expected, actual):
            "member \"\(member)\" has digest \(actual), the manifest declares \(expected)"
        case let .format(error): error.description
        case let .io(error): error.description
        }
    }
}
