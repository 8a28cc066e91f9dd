/// What a tensor is before its bytes are written: name, dtype and shape.
public struct TensorDescriptor: Sendable, Equatable {
    /// Its dotted name, e.g. `encoder.layer.0.attention.self.query.weight`.
    public var name: String
    public var dtype: DType
    public var shape: [Int]

    public init(name: String, dtype: DType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }
}

/// A model's tensors, readable in any order: what a ``CheckpointWriter`` consumes.
///
/// Every converter, the dtype converter and the model exporter present what they write as a
/// source. The writer lists the tensors first, decides the shards from names and sizes alone
/// (``ShardPlan``), then asks for each tensor's bytes once, in storage order, so that the same
/// tensors always give the same shard files whatever order the source had them in.
///
/// ```swift
/// struct Weights: TensorSource {
///     let tensorDescriptors = [TensorDescriptor(name: "w", dtype: .f32, shape: [2])]
///     func writeTensor(at index: Int, into sink: inout TensorSink) throws {
///         try sink.write([UInt8](repeating: 0, count: 8))
///     }
/// }
/// ```
public protocol TensorSource {
    /// The tensors in the source's own order; the manifest keeps this order as
    /// ``Manifest/sourceOrder``.
    var tensorDescriptors: [TensorDescriptor] { get }

    /// Writes the bytes of `tensorDescriptors[index]` into `sink`, in one piece or several that add up to
    /// dtype x shape bytes exactly. Called once per tensor.
    func writeTensor(at index: Int, into sink: inout TensorSink) throws

    /// Tells the source that tensor `index` is written next (e.g. to start reading it ahead).
    func willWriteTensor(at index: Int)
}

extension TensorSource {
    public func willWriteTensor(at index: Int) {}
}
