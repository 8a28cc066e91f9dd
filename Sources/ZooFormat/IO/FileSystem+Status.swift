#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FileSystem {
    /// What one `lstat` says of a path: its kind (links not followed) and its size in bytes.
    package struct Status: Sendable, Equatable {
        package var kind: FileKind
        /// The size in bytes (0 when missing; a link's own size for a link).
        package var size: Int
    }

    /// The kind and size of `path` from a single `lstat` (opening a checkpoint checks each file
    /// once, not once for its kind and again for its size). A missing path is `.missing`, not an error.
    package static func status(of path: String) throws(IOError) -> Status {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = Glibc_errno()
            if code == ENOENT || code == ENOTDIR { return Status(kind: .missing, size: 0) }
            throw IOError(call: "lstat", path: path, errno: code)
        }
        let kind: FileKind
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        default: kind = .other
        }
        return Status(kind: kind, size: Int(info.st_size))
    }
}
