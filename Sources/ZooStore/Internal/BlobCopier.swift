#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import ZooFormat

/// Copies bytes into a new file while hashing them, on two cores for large pieces (one hashes,
/// the other writes), then fsyncs the file. The file is created read-only: blobs never change.
enum BlobCopier {
    /// Pieces are processed in chunks of this size so hashing and writing overlap.
    static let chunkSize = 8 << 20
    /// Below this, a second core costs more than it saves.
    static let parallelThreshold = 256 << 10

    /// Writes `bytes` to `path` (which must not exist) and returns their SHA-256. Removes the
    /// file again if anything fails.
    static func copy(_ bytes: UnsafeRawBufferPointer, to path: String, progress: (@Sendable (Int) -> Void)?)
        throws(IOError) -> SHA256Digest
    {
        let fd = try FileSystem.createExclusive(path, mode: 0o444)
        let hasher = SHA256()
        do {
            var start = 0
            while start < bytes.count {
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + chunkSize)])
                try process(chunk, fd: fd, path: path, hasher: hasher)
                progress?(chunk.count)
                start += chunk.count
            }
            try FileSystem.sync(fd, path: path)
            try FileSystem.close(fd, path: path)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        return hasher.finalize()
    }

    /// Hashes the file at `path` through a memory map.
    static func hash(fileAt path: String, progress: (@Sendable (Int) -> Void)?) throws(IOError) -> SHA256Digest {
        let file = try MappedFile(path: path)
        let hasher = SHA256()
        var start = 0
        while start < file.bytes.count {
            let end = min(file.bytes.count, start + chunkSize)
            file.willNeed(end..<min(file.bytes.count, end + chunkSize))
            hasher.update(UnsafeRawBufferPointer(rebasing: file.bytes[start..<end]))
            progress?(end - start)
            start = end
        }
        return hasher.finalize()
    }

    /// Flushes a file someone else wrote to stable storage and makes it read-only.
    static func seal(fileAt path: String) throws(IOError) {
        let fd = try Syscalls.openForSync(path)
        defer { close(fd) }
        try Syscalls.makeReadOnly(fd, path: path)
        try FileSystem.sync(fd, path: path)
    }

    private static func process(_ chunk: UnsafeRawBufferPointer, fd: Int32, path: String, hasher: SHA256) throws(IOError) {
        if chunk.count < parallelThreshold {
            hasher.update(chunk)
            try FileSystem.writeAll(fd, chunk, path: path)
            return
        }
        let failure = FailureSlot()
        let shared = SharedChunk(chunk)
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                hasher.update(shared.bytes)
            } else {
                do throws(IOError) { try FileSystem.writeAll(fd, shared.bytes, path: path) } catch { failure.error = error }
            }
        }
        if let error = failure.error { throw error }
    }
}

/// A chunk handed to the two workers; the caller keeps the memory alive during the call.
private struct SharedChunk: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
}

/// The write worker's error; written by one thread, read after the join.
private final class FailureSlot: @unchecked Sendable {
    var error: IOError?
}
