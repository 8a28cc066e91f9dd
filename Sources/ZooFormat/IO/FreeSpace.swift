#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The free space of file systems, checked before an import writes, so that a model larger
/// than the disk is refused up front instead of filling it.
package enum FreeSpace {
    /// Bytes an unprivileged process may still write on the file system holding `path` (the
    /// nearest existing folder at or above it). The corresponding C function is `statvfs`.
    package static func available(at path: String) throws(IOError) -> Int {
        var folder = path
        while FileSystem.kind(of: folder) == .missing, let slash = folder.lastIndex(of: "/") {
            folder = slash == folder.startIndex ? "/" : String(folder[..<slash])
        }
        var info = statvfs()
        try FileSystem.retrying("statvfs", path: folder) { statvfs(folder, &info) }
        let (bytes, overflow) = Int(clamping: info.f_bavail).multipliedReportingOverflow(by: Int(clamping: info.f_frsize))
        return overflow ? Int.max : bytes
    }

    /// What writing `tensors` as a checkpoint needs: their bytes, each tensor's alignment
    /// padding, and room for the manifest. Nil when it overflows.
    package static func needed(for tensors: [TensorDescriptor]) -> Int? {
        var total = manifestAllowance
        for tensor in tensors {
            guard let count = Shape.elementCount(tensor.shape), let bytes = tensor.dtype.byteCount(elementCount: count) else {
                return nil
            }
            let (sum, overflow) = total.addingReportingOverflow(bytes)
            guard !overflow, sum <= Int.max - Manifest.alignment else { return nil }
            total = sum + Manifest.alignment + manifestBytesPerTensor
        }
        return total
    }

    /// Room for the manifest and folder entries beside the tensors...
    package static let manifestAllowance = 64 << 10
    /// ... and per tensor (a manifest entry takes 100-300 bytes).
    package static let manifestBytesPerTensor = 512
}
