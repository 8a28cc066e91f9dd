#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call, rendered as `call(path) failed: reason`.
public struct IOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The C function that failed, e.g. `open` or `fsync`.
    public var call: String
    /// The path it was called on.
    public var path: String
    /// The `errno` it left.
    public var errno: Int32

    public init(call: String, path: String, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "\(call)(\(path)) failed: \(String(cString: strerror(errno)))"
    }
}
