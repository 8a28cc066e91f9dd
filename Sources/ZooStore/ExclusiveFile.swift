#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// An open file this process holds an exclusive `flock(2)` on, for as long as the object lives.
///
/// Partial downloads and upload states in the store's `tmp/` are such files: the lock says
/// "someone is working on this", so a second transfer of the same blob waits instead of
/// writing over it, and a garbage collection deletes only files nobody holds (a dead
/// process's lock is gone with it, so `kill -9` leaves a stale file, never a stuck one).
///
/// Opening checks, after the lock is taken, that the path still names the locked file: a
/// holder may have renamed or unlinked it meanwhile, and then the open starts over.
public final class ExclusiveFile: @unchecked Sendable {
    public let path: String
    /// The descriptor, open for reading and writing.
    public let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Opens and locks `path`.
    ///
    /// - Parameters:
    ///   - create: create an empty file when there is none; otherwise a missing file gives `nil`.
    ///   - wait: wait for another holder; otherwise a held file gives `nil`.
    public static func open(_ path: String, create: Bool, wait: Bool) throws(IOError) -> ExclusiveFile? {
        while true {
            let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
            let fd = Glibc.open(path, flags, 0o644)
            if fd == -1 {
                let code = errno
                if code == EINTR { continue }
                if code == ENOENT && !create { return nil }
                throw IOError(call: "open", path: path, errno: code)
            }
            var locked = false
            while true {
                if flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0 {
                    locked = true
                    break
                }
                let code = errno
                if code == EINTR { continue }
                close(fd)
                if code == EWOULDBLOCK { return nil }
                throw IOError(call: "flock", path: path, errno: code)
            }
            guard locked else { continue }
            var opened = stat()
            var named = stat()
            guard fstat(fd, &opened) == 0 else {
                let code = errno
                close(fd)
                throw IOError(call: "fstat", path: path, errno: code)
            }
            if stat(path, &named) == 0, named.st_ino == opened.st_ino, named.st_dev == opened.st_dev {
                return ExclusiveFile(path: path, fd: fd)
            }
            // Renamed or removed by the previous holder: start over on whatever the path names now.
            close(fd)
            if !create && FileSystem.kind(of: path) == .missing { return nil }
        }
    }

    /// The file's current size.
    public func size() throws(IOError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw IOError(call: "fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    /// Cuts the file to `length` bytes.
    public func truncate(to length: Int) throws(IOError) {
        while ftruncate(fd, off_t(length)) == -1 {
            if errno != EINTR { throw IOError(call: "ftruncate", path: path, errno: errno) }
        }
    }

    /// Writes every byte of `bytes` at `offset`.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(IOError) {
        try FileSystem.writeAll(fd, bytes, at: offset, path: path)
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns how many (0 at the end).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) -> Int {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        while true {
            let n = pread(fd, base, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw IOError(call: "pread", path: path, errno: errno) }
        }
    }

    /// Removes the file's name (the lock and the open file stay until this object goes).
    public func unlink() throws(IOError) {
        if Glibc.unlink(path) == -1, errno != ENOENT { throw IOError(call: "unlink", path: path, errno: errno) }
    }
}
