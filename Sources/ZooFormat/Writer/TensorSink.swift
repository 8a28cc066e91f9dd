#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// Receives one tensor's bytes for a ``CheckpointWriter``: writes them to the shard and feeds
/// both the tensor's and the shard's SHA-256, hashing the two on separate cores for large pieces.
public struct TensorSink {
    private let shardHasher: SHA256
    private let tensorHasher: SHA256
    /// False for a scratch sink that only lays bytes into a file (``init(scratchFile:path:fileOffset:expected:tensor:)``).
    private let hashes: Bool
    /// Set for a sink that hands its pieces on instead of writing them (``init(expected:tensor:forwardingTo:)``).
    private let forward: ((UnsafeRawBufferPointer) throws(FormatError) -> Void)?
    private let fd: Int32
    private let path: String
    private let expected: Int
    private let tensor: String
    /// Where the tensor starts in the shard file.
    private let fileOffset: Int
    private var written = 0

    /// Pieces below this are hashed on the calling thread: handing them to a second core costs more than it saves.
    private static let parallelThreshold = 256 << 10
    /// Large pieces are processed in chunks of this size, so both hashers stay in cache-friendly strides.
    private static let chunkSize = 8 << 20

    private init(
        shardHasher: SHA256?, forward: ((UnsafeRawBufferPointer) throws(FormatError) -> Void)?, fd: Int32, path: String,
        fileOffset: Int, expected: Int, tensor: String
    ) {
        self.shardHasher = shardHasher ?? SHA256()
        self.tensorHasher = SHA256()
        self.hashes = shardHasher != nil
        self.forward = forward
        self.fd = fd
        self.path = path
        self.fileOffset = fileOffset
        self.expected = expected
        self.tensor = tensor
    }

    /// The writer's sink: into the shard file `fd` at `fileOffset`, fed to `shard`'s hash.
    init(shard: SHA256, fd: Int32, path: String, fileOffset: Int, expected: Int, tensor: String) {
        self.init(shardHasher: shard, forward: nil, fd: fd, path: path, fileOffset: fileOffset, expected: expected, tensor: tensor)
    }

    /// A sink that writes `expected` bytes at `fileOffset` of the open file `fd` without hashing
    /// them: converters use it to lay out tensors they can only read in one order (an `.npz`
    /// stream) in a scratch file that the writer then reads in storage order.
    package init(scratchFile fd: Int32, path: String, fileOffset: Int, expected: Int, tensor: String) {
        self.init(shardHasher: nil, forward: nil, fd: fd, path: path, fileOffset: fileOffset, expected: expected, tensor: tensor)
    }

    /// A sink that checks the length as usual but hands every piece to `forward` instead of a
    /// file: a converting source reads its base source's bytes through one, converts them and
    /// writes the result to the writer's sink.
    package init(expected: Int, tensor: String, forwardingTo forward: @escaping (UnsafeRawBufferPointer) throws(FormatError) -> Void) {
        self.init(shardHasher: nil, forward: forward, fd: -1, path: tensor, fileOffset: 0, expected: expected, tensor: tensor)
    }

    /// How many bytes the tensor still needs.
    public var remaining: Int { expected - written }

    /// Appends `bytes` to the tensor.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(FormatError) {
        guard bytes.count <= remaining else {
            throw FormatError(file: path, offset: nil,
                              reason: .lengthMismatch(tensor: tensor, expected: expected, declared: written + bytes.count))
        }
        if let forward {
            try forward(bytes)
            written += bytes.count
            return
        }
        var start = 0
        while start < bytes.count {
            let chunk = UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + Self.chunkSize)])
            try process(chunk, at: fileOffset + written + start)
            start += chunk.count
        }
        written += bytes.count
    }

    /// Appends `bytes` to the tensor.
    public mutating func write(_ bytes: [UInt8]) throws(FormatError) {
        var copy = self
        let result: Result<Void, FormatError> = bytes.withUnsafeBytes { raw in
            Result { () throws(FormatError) in try copy.write(raw) }
        }
        self = copy
        try result.get()
    }

    private func process(_ chunk: UnsafeRawBufferPointer, at offset: Int) throws(FormatError) {
        if !hashes || chunk.count < Self.parallelThreshold {
            if hashes {
                tensorHasher.update(chunk)
                shardHasher.update(chunk)
            }
            do { try FileSystem.writeAll(fd, chunk, at: offset, path: path) } catch {
                throw FormatError(file: path, reason: .io(error))
            }
            return
        }
        // Each core runs one of the two hashes and writes half of the chunk, so both stay busy.
        let failures = [FailureBox(), FailureBox()]
        let (tensorHasher, shardHasher, fd, path) = (self.tensorHasher, self.shardHasher, self.fd, self.path)
        let shared = SharedBytes(chunk)
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            let chunk = shared.bytes
            let half = chunk.count / 2
            let piece = part == 0
                ? UnsafeRawBufferPointer(rebasing: chunk[0..<half]) : UnsafeRawBufferPointer(rebasing: chunk[half...])
            (part == 0 ? tensorHasher : shardHasher).update(chunk)
            do throws(IOError) {
                try FileSystem.writeAll(fd, piece, at: offset + (part == 0 ? 0 : half), path: path)
            } catch {
                failures[part].error = error
            }
        }
        if let error = failures[0].error ?? failures[1].error { throw FormatError(file: path, reason: .io(error)) }
        Self.startWriteback(fd, offset: offset, count: chunk.count)
    }

    /// Asks the kernel to start writing `count` bytes at `offset` back to disk now, so the
    /// final fsync finds little left to do. POSIX_FADV_DONTNEED starts asynchronous writeback of
    /// dirty pages (like sync_file_range's SYNC_FILE_RANGE_WRITE, which Swift does not import)
    /// and drops only pages that are already clean.
    static func startWriteback(_ fd: Int32, offset: Int, count: Int) {
        #if canImport(Glibc)
        _ = posix_fadvise(fd, off_t(offset), off_t(count), POSIX_FADV_DONTNEED)
        #endif
    }

    /// Checks that every byte arrived; returns the tensor's digest (meaningless for a sink that does not hash).
    package func finish() throws(FormatError) -> SHA256Digest {
        guard written == expected else {
            throw FormatError(file: path, reason: .lengthMismatch(tensor: tensor, expected: expected, declared: written))
        }
        return tensorHasher.finalize()
    }
}

/// Carries an error out of a `concurrentPerform` body; each body writes at most once to its own box.
final class FailureBox: @unchecked Sendable {
    var error: IOError?
}

/// Read-only bytes handed to worker threads that finish before the bytes go away.
struct SharedBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
}
