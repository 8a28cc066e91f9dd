#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// The system calls the store makes beyond ``FileSystem``'s, each with ``FileSystem``'s EINTR
/// retry and an error naming the call and the path.
enum Syscalls {
    /// Opens (creating if needed) a file to hold a lock on.
    static func openLockFile(_ path: String) throws(IOError) -> Int32 {
        try FileSystem.retrying("open", path: path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
    }

    /// Takes an exclusive `flock(2)` on `fd`, waiting for other holders.
    static func lockExclusive(_ fd: Int32, path: String) throws(IOError) {
        try FileSystem.retrying("flock", path: path) { flock(fd, LOCK_EX) }
    }

    /// Creates a hard link `destination` to `source`; fails with EEXIST when `destination` exists.
    static func link(_ source: String, to destination: String) throws(IOError) {
        try FileSystem.retrying("link", path: "\(source) -> \(destination)") { Glibc.link(source, destination) }
    }

    /// Removes a file; a missing file is not an error.
    static func unlinkIfPresent(_ path: String) throws(IOError) {
        if Glibc.unlink(path) == -1, errno != ENOENT { throw IOError(call: "unlink", path: path, errno: errno) }
    }

    /// Removes an empty directory; returns false when it is not empty (or already gone).
    static func removeDirectoryIfEmpty(_ path: String) -> Bool {
        rmdir(path) == 0
    }

    /// Makes a file read-only for everyone (blobs are immutable).
    static func makeReadOnly(_ fd: Int32, path: String) throws(IOError) {
        try FileSystem.retrying("fchmod", path: path) { fchmod(fd, 0o444) }
    }

    /// Opens a file for reading and writing-free metadata changes (used to fsync and chmod a
    /// file someone else wrote).
    static func openForSync(_ path: String) throws(IOError) -> Int32 {
        try FileSystem.openForReading(path)
    }
}
