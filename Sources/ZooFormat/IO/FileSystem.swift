#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Every system call the format library makes, with the EINTR retry and an error that names
/// the call and the path. `package`: the store, converters, remote and tools share it; it is
/// no API for users of the libraries.
package enum FileSystem {
    /// Runs `body` until it stops failing with EINTR; throws an ``IOError`` for any other failure.
    @discardableResult
    package static func retrying<T: BinaryInteger>(_ call: String, path: String, _ body: () -> T) throws(IOError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = Glibc_errno()
            if code != EINTR { throw IOError(call: call, path: path, errno: code) }
        }
    }

    /// Opens `path` for reading.
    package static func openForReading(_ path: String) throws(IOError) -> Int32 {
        try retrying("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// Creates `path`, which must not exist, for writing.
    package static func createExclusive(_ path: String, mode: mode_t = 0o644) throws(IOError) -> Int32 {
        try retrying("open", path: path) { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
    }

    /// Writes every byte of `bytes`, looping over short writes.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(IOError) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            // Large single writes are split: Linux caps one write at about 2 GiB anyway.
            let chunk = min(remaining, 1 << 30)
            let written = try retrying("write", path: path) { write(fd, base, chunk) }
            if written == 0 { throw IOError(call: "write", path: path, errno: EIO) }
            base += written
            remaining -= written
        }
    }

    /// Writes every byte of `bytes` at file offset `offset` (pwrite: the file position is untouched,
    /// so two threads may write different ranges of one file at once).
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws(IOError) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        var position = offset
        while remaining > 0 {
            let chunk = min(remaining, 1 << 30)
            let written = try retrying("pwrite", path: path) { pwrite(fd, base, chunk, off_t(position)) }
            if written == 0 { throw IOError(call: "pwrite", path: path, errno: EIO) }
            base += written
            position += written
            remaining -= written
        }
    }

    /// Writes every byte of `bytes`.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(IOError) {
        let result: Result<Void, IOError> = bytes.withUnsafeBytes { raw in
            Result { () throws(IOError) in try writeAll(fd, raw, path: path) }
        }
        try result.get()
    }

    /// Reads up to `buffer.count` bytes; returns how many were read (0 at end of file).
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(IOError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return try retrying("read", path: path) { Glibc.read(fd, base, buffer.count) }
    }

    /// Flushes `fd` to stable storage.
    package static func sync(_ fd: Int32, path: String) throws(IOError) {
        try retrying("fsync", path: path) { fsync(fd) }
    }

    /// Closes `fd`.
    package static func close(_ fd: Int32, path: String) throws(IOError) {
        // EINTR on close must not be retried on Linux: the descriptor is already gone.
        if Glibc.close(fd) == -1, Glibc_errno() != EINTR {
            throw IOError(call: "close", path: path, errno: Glibc_errno())
        }
    }

    /// Flushes a directory's entries (after creating or renaming files in it).
    package static func syncDirectory(_ path: String) throws(IOError) {
        let fd = try retrying("open", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { Glibc.close(fd) }
        try sync(fd, path: path)
    }

    /// Renames `source` to `destination` atomically (same file system), replacing a file there.
    package static func rename(_ source: String, to destination: String) throws(IOError) {
        try retrying("rename", path: "\(source) -> \(destination)") { Glibc.rename(source, destination) }
    }

    /// Moves `source` to `destination` only if nothing is there yet; throws EEXIST otherwise.
    ///
    /// A regular file is hard-linked then unlinked, which is atomic and never replaces. A
    /// directory is renamed, which fails on a non-empty destination (the only kind a writer
    /// leaves) and is otherwise checked just before.
    package static func renameNoReplace(_ source: String, to destination: String) throws(IOError) {
        if kind(of: source) == .regular {
            try retrying("link", path: "\(source) -> \(destination)") { link(source, destination) }
            try retrying("unlink", path: source) { unlink(source) }
            return
        }
        guard kind(of: destination) == .missing else {
            throw IOError(call: "rename", path: "\(source) -> \(destination)", errno: EEXIST)
        }
        try rename(source, to: destination)
    }

    /// Creates a directory and any missing parents.
    package static func makeDirectories(_ path: String) throws(IOError) {
        // Split on the "/" byte: a Character split misses "/" followed by a combining mark.
        var built = path.utf8.first == UInt8(ascii: "/") ? "" : "."
        for component in Array(path.utf8).split(separator: UInt8(ascii: "/")) {
            built += "/" + String(decoding: component, as: UTF8.self)
            if mkdir(built, 0o755) == -1 {
                let code = Glibc_errno()
                if code != EEXIST { throw IOError(call: "mkdir", path: built, errno: code) }
            }
        }
    }

    /// Removes a file or a whole directory tree; a missing path is not an error.
    package static func removeTree(_ path: String) throws(IOError) {
        var info = stat()
        if lstat(path, &info) == -1 {
            if Glibc_errno() == ENOENT { return }
            throw IOError(call: "lstat", path: path, errno: Glibc_errno())
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in try listDirectory(path) { try removeTree(path + "/" + name) }
            try retrying("rmdir", path: path) { rmdir(path) }
        } else {
            try retrying("unlink", path: path) { unlink(path) }
        }
    }

    /// The names in a directory, without `.` and `..`, sorted.
    package static func listDirectory(_ path: String) throws(IOError) -> [String] {
        guard let dir = opendir(path) else { throw IOError(call: "opendir", path: path, errno: Glibc_errno()) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// What kind of file is at a path (links are not followed).
    package enum FileKind: Sendable, Equatable { case missing, regular, directory, symbolicLink, other }

    /// The kind of the file at `path`, without following a final symbolic link.
    package static func kind(of path: String) -> FileKind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFLNK: return .symbolicLink
        default: return .other
        }
    }

    /// The size of the regular file at `path`.
    package static func fileSize(_ path: String) throws(IOError) -> Int {
        var info = stat()
        try retrying("stat", path: path) { stat(path, &info) }
        return Int(info.st_size)
    }

    /// A fresh, unique name: `<prefix>.<pid>.<random>`.
    package static func uniqueName(_ prefix: String) -> String {
        "\(prefix).\(getpid()).\(UInt64.random(in: 0...UInt64.max) & 0xffff_ffff_ffff)"
    }
}

@inline(__always) func Glibc_errno() -> Int32 { errno }

extension FileSystem {
    /// Writes `bytes` to `path` through a sibling temp file, fsync and rename, so a reader sees
    /// the old content or the new one, never a torn file.
    package static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(IOError) {
        let directory = parentDirectory(of: path)
        let temp = directory + "/" + uniqueName(".tmp")
        let fd = try createExclusive(temp, mode: mode)
        do {
            try writeAll(fd, bytes, path: temp)
            try sync(fd, path: temp)
            try close(fd, path: temp)
        } catch {
            Glibc.close(fd)
            unlink(temp)
            throw error
        }
        do {
            try rename(temp, to: path)
        } catch {
            unlink(temp)
            throw error
        }
        try syncDirectory(directory)
    }

    /// The directory part of `path` (`.` when there is none).
    package static func parentDirectory(of path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == 0 ? "/" : String(decoding: bytes[..<slash], as: UTF8.self)
    }

    /// The last component of `path`, ignoring trailing slashes.
    package static func lastComponent(of path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: bytes[(slash + 1)...], as: UTF8.self)
    }

    /// `path` without trailing slashes (`/` stays `/`).
    package static func trimmingTrailingSlashes(_ path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads a whole file of at most `limit` bytes.
    package static func readFile(_ path: String, limit: Int) throws(IOError) -> [UInt8]? {
        let fd = try openForReading(path)
        defer { Glibc.close(fd) }
        var info = stat()
        try retrying("fstat", path: path) { fstat(fd, &info) }
        let size = Int(info.st_size)
        guard size <= limit else { return nil }
        // Read straight into the array's uninitialised storage: no zero fill, no copy after.
        // A file that shrank since fstat gives fewer bytes; one that grew is read to `size`.
        var failure: IOError?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var filled = 0
            while filled < size {
                let n: Int
                do throws(IOError) {
                    n = try read(fd, into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[filled...]),
                                 path: path)
                } catch {
                    failure = error
                    break
                }
                if n == 0 { break }
                filled += n
            }
            initialized = failure == nil ? filled : 0
        }
        if let failure { throw failure }
        return bytes
    }
}
