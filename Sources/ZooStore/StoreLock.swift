#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// The store's exclusive lock: `flock(2)` on `<root>/lock`. Held while blobs are moved into
/// place and refs are written or removed, so an import's commit, a removal and a garbage
/// collection never interleave. Released when the process dies, so a `kill -9` never leaves
/// the store locked.
///
/// Each instance opens its own descriptor, so two threads of one process exclude each other
/// as two processes do.
final class StoreLock {
    private let fd: Int32
    let path: String

    /// Opens the lock file and waits until the lock is ours.
    init(path: String) throws(IOError) {
        let fd = try Syscalls.openLockFile(path)
        do {
            try Syscalls.lockExclusive(fd, path: path)
        } catch {
            close(fd)
            throw error
        }
        self.fd = fd
        self.path = path
    }

    /// Closing the descriptor releases the lock.
    deinit { close(fd) }
}

extension Store {
    /// Runs `body` while holding the store's exclusive lock.
    func withLock<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try prepareDirectories()
        let lock: StoreLock
        do { lock = try StoreLock(path: lockPath) } catch { throw StoreError(.io(error)) }
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }
}
