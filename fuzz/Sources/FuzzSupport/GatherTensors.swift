import ZooConverters

/// Reads every tensor of `checkpoint` whose bytes are small, chunk by chunk (the strided
/// gather for views), and checks the chunks add up to the tensor's byte count.
public func gatherTensors(_ checkpoint: PyTorchCheckpoint) {
    var sum: UInt8 = 0
    for tensor in checkpoint.tensors where tensor.byteCount <= maxWrittenBytes {
        guard checkpoint.tensor(named: tensor.name) != nil else { fuzzFailure("tensor \(tensor.name) not found by name") }
        var total = 0
        tensor.forEachChunk(maxChunkBytes: 64) { chunk in
            total += chunk.count
            sum &+= checksum(chunk)
        }
        guard total == tensor.byteCount else {
            fuzzFailure("tensor \(tensor.name): chunks hold \(total) bytes, byteCount is \(tensor.byteCount)")
        }
    }
    blackHole(sum)
    blackHole(checkpoint.values)
}
