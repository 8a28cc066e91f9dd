import ZooFormat

/// Gathers small writes (the header, small tensors) into 1 MiB blocks; large pieces go to the
/// file directly from where they are (a memory map), without a copy.
struct BufferedOutput {
    let fd: Int32
    let path: String
    private var buffer: [UInt8] = []
    static let capacity = 1 << 20

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(Self.capacity)
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        if buffer.count + bytes.count > Self.capacity { try flush() }
        if bytes.count >= Self.capacity {
            try FileSystem.writeAll(fd, bytes, path: path)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    mutating func write(_ bytes: [UInt8]) throws(IOError) {
        if buffer.count + bytes.count > Self.capacity { try flush() }
        if bytes.count >= Self.capacity {
            try FileSystem.writeAll(fd, bytes, path: path)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    mutating func flush() throws(IOError) {
        guard !buffer.isEmpty else { return }
        try FileSystem.writeAll(fd, buffer, path: path)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Creates `path` (which must not exist), lets `body` fill it, then flushes it to disk;
    /// removes it on failure. The exporters' one way of writing an output file.
    static func writeFile(_ path: String, _ body: (inout BufferedOutput) throws(IOError) -> Void) throws(IOError) {
        let fd = try FileSystem.createExclusive(path)
        var out = BufferedOutput(fd: fd, path: path)
        do throws(IOError) {
            try body(&out)
            try out.flush()
            try FileSystem.sync(fd, path: path)
        } catch {
            try? FileSystem.close(fd, path: path)
            try? FileSystem.removeTree(path)
            throw error
        }
        try FileSystem.close(fd, path: path)
    }
}
