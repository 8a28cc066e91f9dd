/// A zero-copy view of one tensor inside a memory-mapped shard.
///
/// The view keeps its mapping alive, so its bytes stay valid for as long as you hold it.
/// Tensor data starts 64-byte aligned (when the shard region itself is aligned, as in folders,
/// the store and uncompressed archives), so typed access needs no copy.
public struct TensorView: @unchecked Sendable {
    /// The manifest entry: name, dtype, shape, location and digest.
    public let entry: TensorEntry
    /// The tensor's raw little-endian bytes, inside the shard's memory map.
    ///
    /// Valid only while this view is alive: the view keeps the mapping, so do not let a
    /// temporary view go before you are done with the pointer (`Array(checkpoint.tensor(named:
    /// "w").bytes)` may read an unmapped page). Prefer ``withUnsafeBytes(_:)``.
    public let bytes: UnsafeRawBufferPointer
    private let owner: MappedFile

    init(entry: TensorEntry, bytes: UnsafeRawBufferPointer, owner: MappedFile) {
        self.entry = entry
        self.bytes = bytes
        self.owner = owner
    }

    /// Calls `body` with the tensor's raw bytes, keeping the mapping alive for the call.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(bytes) }
    }

    /// The tensor's raw bytes, copied.
    public var data: [UInt8] { withUnsafeBytes { Array($0) } }

    public var name: String { entry.name }
    public var dtype: DType { entry.dtype }
    public var shape: [Int] { entry.shape }

    /// Calls `body` with the tensor's elements as `T`, without copying.
    ///
    /// - Throws: ``FormatError`` when `T` does not match the dtype.
    public func withScalars<T: TensorScalar, R>(
        as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) throws -> R {
        guard T.dtype == entry.dtype else {
            throw FormatError(file: owner.path, reason: .dtypeMismatch(tensor: name, dtype: dtype, requested: "\(T.self)"))
        }
        defer { withExtendedLifetime(owner) {} }
        let count = bytes.count / MemoryLayout<T>.stride
        if count == 0 { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        if Int(bitPattern: bytes.baseAddress) % MemoryLayout<T>.alignment == 0 {
            return try body(bytes.bindMemory(to: T.self))
        }
        // Unaligned (only possible with hand-made regions): fall back to a copy.
        let copy = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
            initialized = count
        }
        return try copy.withUnsafeBufferPointer(body)
    }

    /// The elements copied into an array.
    public func scalars<T: TensorScalar>(as type: T.Type) throws -> [T] {
        try withScalars(as: type) { Array($0) }
    }
}

/// A Swift type that stores a manifest dtype bit for bit (little-endian hosts).
public protocol TensorScalar: BitwiseCopyable {
    static var dtype: DType { get }
}

extension Double: TensorScalar { public static var dtype: DType { .f64 } }
extension Float: TensorScalar { public static var dtype: DType { .f32 } }
extension Int64: TensorScalar { public static var dtype: DType { .i64 } }
extension Int32: TensorScalar { public static var dtype: DType { .i32 } }
extension Int16: TensorScalar { public static var dtype: DType { .i16 } }
extension Int8: TensorScalar { public static var dtype: DType { .i8 } }
extension UInt64: TensorScalar { public static var dtype: DType { .u64 } }
extension UInt32: TensorScalar { public static var dtype: DType { .u32 } }
extension UInt16: TensorScalar { public static var dtype: DType { .u16 } }
extension UInt8: TensorScalar { public static var dtype: DType { .u8 } }
