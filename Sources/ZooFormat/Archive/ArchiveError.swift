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
        /// A GNU sparse member (typeflag `S`, or a member libarchive reads as sparse).
        case sparseMember(String)
        /// A typeflag the spec does not allow (only `0` files, `5` folders and `x` pax headers).
        case unsupportedMemberType(member: String, typeflag: UInt8)
        /// A header field not as a pax writer writes it (bad octal, bytes after a name's NUL...).
        case headerField(member: String, field: String)
        /// A header whose checksum field does not match its bytes.
        case checksumMismatch(member: String, stored: Int?, computed: Int)
        /// A pax extended header record that is malformed or has a key zoo does not write.
        case paxRecord(String)
        /// A non-zero byte in the padding after a member's data.
        case nonZeroPadding(after: String)
        /// Bytes after the end-of-archive marker other than zeros up to the record size.
        case trailingData
        /// Any other departure from the tar layout (truncation, a bad end marker).
        case layout(String)
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
        case let .unsafePath(path): "unsafe member path \"\(path)\" (absolute, \"./\", \"..\" or not a checkpoint path)"
        case let .notARegularFile(path): "member \"\(path)\" is a link or special file; only regular files are allowed"
        case let .undeclaredMember(path): "member \"\(path)\" is not declared in the manifest"
        case let .duplicateMember(path): "member \"\(path)\" appears twice"
        case let .sizeMismatch(member, declared, actual):
            "member \"\(member)\" is \(actual) bytes, the manifest declares \(declared)"
        case let .missingMember(path): "the manifest declares \"\(path)\" but the archive has no such member"
        case let .digestMismatch(member, expected, actual):
            "member \"\(member)\" has digest \(actual), the manifest declares \(expected)"
        case let .sparseMember(path): "member \"\(path)\" is a GNU sparse file; only regular files are allowed"
        case let .unsupportedMemberType(path, flag):
            "member \"\(path)\" has tar type flag \(Self.flagText(flag)); only regular files (0), folders (5) and pax headers (x) are allowed"
        case let .headerField(path, field): "the tar header of member \"\(path)\" has an invalid \(field) field"
        case let .checksumMismatch(path, stored, computed):
            "the tar header of member \"\(path)\" has checksum \(stored.map { String($0, radix: 8) } ?? "unreadable"), its bytes sum to \(String(computed, radix: 8))"
        case let .paxRecord(why): "pax extended header: \(why)"
        case let .nonZeroPadding(member): "non-zero byte in the tar padding after \"\(member)\""
        case .trailingData: "data after the end-of-archive marker"
        case let .layout(why): "tar layout: \(why)"
        case let .format(error): error.description
        case let .io(error): error.description
        }
    }

    /// `'S'` for a printable flag, else its number.
    private static func flagText(_ flag: UInt8) -> String {
        (0x21...0x7e).contains(flag) ? "'\(Character(Unicode.Scalar(flag)))'" : "\(flag)"
    }
}
