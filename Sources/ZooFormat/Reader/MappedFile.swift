#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory. Unmapped when the last reference goes away, so
/// every view that holds a reference stays valid.
public final class MappedFile: @unchecked Sendable {
    /// The mapped bytes (immutable for the object's lifetime).
    public let bytes: UnsafeRawBufferPointer
    public let path: String

    /// Maps the file at `path`. An empty file maps to an empty buffer.
    public init(path: String) throws(IOError) {
        self.path = path
        let fd = try FileSystem.openForReading(path)
        defer { Glibc.close(fd) }
        var info = stat()
        try FileSystem.retrying("fstat", path: path) { fstat(fd, &info) }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
        guard let address, address != MAP_FAILED else { throw IOError(call: "mmap", path: path, errno: errno) }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// Tells the kernel the given range will be read soon (readahead on cold caches).
    public func willNeed(_ range: Range<Int>) {
        guard let base = bytes.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, MADV_WILLNEED)
    }

    /// Drops the whole pages inside `bytes`, a range of a read-only file mapping, from this
    /// process's resident set once they have been written out: the next read faults them back
    /// from the page cache, so an export's RSS stays bounded instead of growing by the model's size.
    /// Never call it on anonymous memory (MADV_DONTNEED zero-fills that).
    package static func dropResidentPages(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + page - 1) / page * page
        let end = (Int(bitPattern: base) + bytes.count) / page * page
        guard end > start, let address = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(address, end - start, MADV_DONTNEED)
    }
}
