/// A checkpoint is a ``TensorSource`` of its own tensors, in the source's order
/// (``Manifest/tensorsInSourceOrder``): rewriting one (a dtype conversion, a re-pack) keeps the
/// order its source had, and reads each tensor straight from the mapped shard.
extension Checkpoint: TensorSource {
    public var tensorDescriptors: [TensorDescriptor] {
        manifest.tensorsInSourceOrder.map { TensorDescriptor(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
    }

    public func writeTensor(at index: Int, into sink: inout TensorSink) throws {
        let entry = manifest.sourceOrder.map { manifest.tensors[$0[index]] } ?? manifest.tensors[index]
        let view = try tensor(named: entry.name)
        try view.withUnsafeBytes { raw in Result { () throws(FormatError) in try sink.write(raw) } }.get()
    }
}
