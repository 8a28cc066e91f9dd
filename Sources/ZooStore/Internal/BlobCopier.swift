#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import ZooFormat

/// Copies bytes into a new file while hashing them, on two cores for large pieces (one hashes,
/// the other writes and runs the tensor checks), then fsyncs the file. The file is created
/// read-only: blobs never change.
enum BlobCopier {
    /// Pieces are processed in chunks of this size so hashing and writing overlap.
    static let chunkSize = 8 << 20
    /// Below this, a second core costs more than it saves.
    static let parallelThreshold = 256 << 10

    /// Writes `bytes` to `path` (which must not exist) and returns their SHA-256, feeding them
    /// to `checks` on the way (see ``ShardContentCheck``; the caller reads their failures).
    /// Removes the file again if anything fails.
    static func copy(
        _ bytes: UnsafeRawBufferPointer, to path: String, checks: [ShardContentCheck] = [],
        progress: (@Sendable (Int) -> Void)?
    ) throws(IOError) -> SHA256Digest {
        let fd = try FileSystem.createExclusive(path, mode: 0o444)
        let hasher = SHA256()
        do {
            var start = 0
            while start < bytes.count {
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + chunkSize)])
                try process(chunk, output: Output(fd: fd, path: path), hasher: hasher, checks: checks)
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

    /// Hashes `bytes` and feeds them to `checks` without writing them anywhere: the check of
    /// input whose blob the store already holds. `prefetch` is told the range about to be read.
    static func hash(
        _ bytes: UnsafeRawBufferPointer, checks: [ShardContentCheck] = [], prefetch: ((Range<Int>) -> Void)? = nil,
        progress: (@Sendable (Int) -> Void)?
    ) -> SHA256Digest {
        let hasher = SHA256()
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunkSize)
            prefetch?(end..<min(bytes.count, end + chunkSize))
            do throws(IOError) {
                try process(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), output: nil, hasher: hasher, checks: checks)
            } catch {
                // No output, so nothing can fail.
            }
            progress?(end - start)
            start = end
        }
        return hasher.finalize()
    }

    /// Hashes the file at `path` through a memory map, feeding it to `checks`.
    static func hash(fileAt path: String, checks: [ShardContentCheck] = [], progress: (@Sendable (Int) -> Void)?)
        throws(IOError) -> SHA256Digest
    {
        let file = try MappedFile(path: path)
        return withExtendedLifetime(file) {
            hash(file.bytes, checks: checks, prefetch: { file.willNeed($0) }, progress: progress)
        }
    }

    /// Flushes a file someone else wrote to stable storage and makes it read-only.
    static func seal(fileAt path: String) throws(IOError) {
        let fd = try Syscalls.openForSync(path)
        defer { close(fd) }
        try Syscalls.makeReadOnly(fd, path: path)
        try FileSystem.sync(fd, path: path)
    }

    /// Where ``process(_:output:hasher:checks:)`` writes a chunk.
    private struct Output: Sendable {
        let fd: Int32
        let path: String
    }

    /// One chunk: hash it, write it to `output` (when given) and feed it to `checks`, the hash
    /// on one core and the rest on the other for large chunks.
    private static func process(
        _ chunk: UnsafeRawBufferPointer, output: Output?, hasher: SHA256, checks: [ShardContentCheck]
    ) throws(IOError) {
        if chunk.count < parallelThreshold || (output == nil && checks.isEmpty) {
            hasher.update(chunk)
            try writeAndCheck(chunk, output: output, checks: checks)
            return
        }
        let failure = FailureSlot()
        let shared = SharedChunk(chunk)
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                hasher.update(shared.bytes)
            } else {
                do throws(IOError) { try writeAndCheck(shared.bytes, output: output, checks: checks) } catch { failure.error = error }
            }
        }
        if let error = failure.error { throw error }
    }

    private static func writeAndCheck(_ bytes: UnsafeRawBufferPointer, output: Output?, checks: [ShardContentCheck])
        throws(IOError)
    {
        if let output { try FileSystem.writeAll(output.fd, bytes, path: output.path) }
        for check in checks { check.consume(bytes) }
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
