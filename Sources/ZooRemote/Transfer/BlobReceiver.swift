#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ZooFormat
import ZooStore

/// Receives one blob into a locked partial file, hashing every byte as it is written, so the
/// digest is known the moment the last byte lands and the blob is never read twice.
///
/// A partial file that already holds a prefix (an interrupted transfer) is hashed first and
/// the transfer continues after it; a source that sends the whole blob instead of the rest
/// (HTTP 200 to a Range request) makes the receiver start over. Small pieces are gathered into a
/// fixed buffer and written in large ones: memory is bounded by ``bufferSize``.
final class BlobReceiver: HTTPResponseSink {
    /// Gathers small pieces (large ones skip it): 1 MiB per transfer.
    static let bufferSize = 1 << 20
    /// The read size when the source is a file (folder remotes).
    static let fileChunkSize = 4 << 20
    /// Pieces at least this large (libcurl hands over up to 512 KiB) skip the buffer.
    static let directThreshold = 128 << 10
    /// Writeback is started every this many bytes.
    static let writebackStep = 8 << 20

    let file: ExclusiveFile
    let digest: SHA256Digest
    let length: Int
    /// Where the bytes come from, for errors.
    let source: String
    private let progress: (@Sendable (Int) -> Void)?
    private let cancellation: Cancellation?
    private var hasher = SHA256()
    private let buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    /// Bytes in the file (and hashed).
    private(set) var written = 0
    /// Where the bytes whose writeback has not been started yet begin.
    private var writebackStart = 0
    /// Bytes found in the partial file when the transfer began.
    private(set) var resumedFrom = 0
    /// Bytes received from the source.
    private(set) var received = 0

    init(file: ExclusiveFile, digest: SHA256Digest, length: Int, source: String,
         progress: (@Sendable (Int) -> Void)?, cancellation: Cancellation?)
    {
        self.file = file
        self.digest = digest
        self.length = length
        self.source = source
        self.progress = progress
        self.cancellation = cancellation
        self.buffer = .allocate(byteCount: Self.bufferSize, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    /// Hashes what the partial file already holds (cutting it when it is longer than the blob)
    /// and returns the offset to continue from.
    func prepare() throws(RemoteError) -> Int {
        do {
            var size = try file.size()
            if size > length {
                try file.truncate(to: 0)
                size = 0
            }
            var offset = 0
            while offset < size {
                let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, size - offset)]),
                                      at: offset)
                if n == 0 { break }
                hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                offset += n
            }
            if offset < size { try file.truncate(to: offset) }
            written = offset
            writebackStart = offset
            resumedFrom = offset
            progress?(offset)
            return offset
        } catch {
            throw RemoteError(.io(error))
        }
    }

    /// Bytes received so far (in the file or still in the buffer): where the transfer continues.
    var position: Int { written + buffered }

    /// Writes out the buffer, so that ``position`` bytes are in the file (before a retry).
    func settle() throws(RemoteError) {
        try flush()
    }

    /// Throws away everything and starts at byte 0.
    func restart() throws(RemoteError) {
        do { try file.truncate(to: 0) } catch { throw RemoteError(.io(error)) }
        hasher = SHA256()
        written = 0
        writebackStart = 0
        buffered = 0
        resumedFrom = 0
    }

    func begin(status: Int, headers: HTTPHeaders) throws(RemoteError) {
        if position > 0 {
            if status == 200 {
                try restart()  // the source ignored the Range request: take the whole blob
            } else if let range = headers["Content-Range"], !range.hasPrefix("bytes \(position)-") {
                throw RemoteError(.transport(url: source, message: "asked for bytes from \(position), got Content-Range \(range)"))
            }
        }
        // The descriptor says how long the blob is: an answer declaring another length (a huge one
        // from a hostile server) is refused before its body is read, not after filling the disk.
        if let declared = headers["Content-Length"] {
            let remaining = length - position
            guard let count = Int(declared), count == remaining else {
                throw RemoteError(.invalidReply(source: source, why: "Content-Length \(declared.prefix(40)) for blob \(digest), "
                    + "which has \(remaining) of its \(length) bytes to come; nothing was kept"))
            }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(RemoteError) {
        if let cancellation, cancellation.isCancelled { throw Cancellation.error }
        guard written + buffered + bytes.count <= length else {
            throw RemoteError(.sizeMismatch(blob: digest.description, source: source, expected: length,
                                            actual: written + buffered + bytes.count))
        }
        if buffered == 0 && bytes.count >= Self.directThreshold {
            try store(bytes)  // large pieces go straight to the file, without a copy
        } else {
            var start = 0
            while start < bytes.count {
                let n = min(bytes.count - start, buffer.count - buffered)
                (buffer.baseAddress! + buffered).copyMemory(from: bytes.baseAddress! + start, byteCount: n)
                buffered += n
                start += n
                if buffered == buffer.count { try flush() }
            }
        }
        received += bytes.count
        progress?(bytes.count)
    }

    /// Writes the buffer out and returns the digest of the whole file.
    ///
    /// - Throws: ``RemoteError/Reason/sizeMismatch(blob:source:expected:actual:)`` when the
    ///   source stopped early.
    func finish() throws(RemoteError) -> SHA256Digest {
        try flush()
        guard written == length else {
            throw RemoteError(.sizeMismatch(blob: digest.description, source: source, expected: length, actual: written))
        }
        let result = hasher.finalize()
        hasher = SHA256()
        return result
    }

    private func flush() throws(RemoteError) {
        guard buffered > 0 else { return }
        try store(UnsafeRawBufferPointer(rebasing: buffer[0..<buffered]))
        buffered = 0
    }

    /// Hashes `chunk` and writes it at the end of the file.
    private func store(_ chunk: UnsafeRawBufferPointer) throws(RemoteError) {
        hasher.update(chunk)
        do { try file.write(chunk, at: written) } catch { throw RemoteError(.io(error)) }
        written += chunk.count
        if written - writebackStart >= Self.writebackStep {
            #if canImport(Glibc)
            // Start writing these pages back now (asynchronously), so the fsync before the blob is
            // published finds little left to do (POSIX_FADV_DONTNEED starts writeback of dirty
            // pages and drops only the clean ones).
            _ = posix_fadvise(file.fd, off_t(writebackStart), off_t(written - writebackStart), POSIX_FADV_DONTNEED)
            #endif
            writebackStart = written
        }
    }

    /// Streams `length - offset` bytes of the file at `path` from `offset` into this receiver
    /// (folder remotes and local copies).
    func copy(fromFile path: String, offset: Int, bytesPerSecond: Int? = nil) throws(RemoteError) {
        let fd: Int32
        do { fd = try FileSystem.openForReading(path) } catch { throw RemoteError(.io(error)) }
        defer { close(fd) }
        // Paced like libcurl's per-transfer cap: chunks of a tenth of a second's bytes, each
        // waiting until the average since the start is back under the rate.
        let chunkSize = bytesPerSecond.map { max(64 << 10, min(Self.fileChunkSize, $0 / 10)) } ?? Self.fileChunkSize
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096)
        defer { chunk.deallocate() }
        let started = DispatchTime.now().uptimeNanoseconds
        var next = offset
        while next < length {
            let want = min(chunk.count, length - next)
            let n = pread(fd, chunk.baseAddress, want, off_t(next))
            if n < 0 {
                if errno == EINTR { continue }
                throw RemoteError(.io(IOError(call: "pread", path: path, errno: errno)))
            }
            if n == 0 { break }
            try write(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            next += n
            if let rate = bytesPerSecond, rate > 0 {
                let due = UInt64(Double(next - offset) / Double(rate) * 1e9)
                let elapsed = DispatchTime.now().uptimeNanoseconds - started
                if due > elapsed { usleep(useconds_t(min((due - elapsed) / 1000, 10_000_000))) }
            }
        }
    }
}

/// A flag every worker of one transfer checks, so the first failure stops the others quickly.
final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    var isCancelled: Bool { lock.withLock { cancelled } }

    func cancel() { lock.withLock { cancelled = true } }

    /// Thrown by a worker that stopped because another failed; never shown (the first error is).
    static let error = RemoteError(.transport(url: "", message: "cancelled"))
}
