import ZooFormat

/// The tensors of a file in a foreign format, as a ``ZooFormat/TensorSource``: each tensor is
/// either a zero-copy view of the memory-mapped file, or bytes a closure produces (a strided
/// PyTorch view gathered, a NumPy array byte-swapped or transposed).
///
/// The source keeps the files it points into alive (`owners`) until the writer is done.
public struct ForeignTensors: TensorSource, @unchecked Sendable {
    /// Where one tensor's bytes come from.
    public enum Bytes {
        /// In place in a mapped file; `willNeed` starts reading them ahead.
        case mapped(UnsafeRawBufferPointer, willNeed: (() -> Void)?)
        /// Written by the closure, in pieces that add up to the tensor's length.
        case produced((inout TensorSink) throws -> Void)
    }

    public private(set) var tensorDescriptors: [TensorDescriptor] = []
    private var bytes: [Bytes] = []
    private var owners: [AnyObject] = []

    public init() {}

    /// Adds a tensor.
    public mutating func append(_ descriptor: TensorDescriptor, _ source: Bytes) {
        tensorDescriptors.append(descriptor)
        bytes.append(source)
    }

    /// Keeps `owner` (a mapping, an opened file) alive as long as this source.
    public mutating func retain(_ owner: AnyObject) {
        if !owners.contains(where: { $0 === owner }) { owners.append(owner) }
    }

    public var count: Int { tensorDescriptors.count }

    public func writeTensor(at index: Int, into sink: inout TensorSink) throws {
        switch bytes[index] {
        case let .mapped(raw, _): try sink.write(raw)
        case let .produced(produce): try produce(&sink)
        }
    }

    public func willWriteTensor(at index: Int) {
        if case let .mapped(_, willNeed?) = bytes[index] { willNeed() }
    }
}
