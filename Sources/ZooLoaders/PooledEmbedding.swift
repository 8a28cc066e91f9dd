import TrainingCore

/// What ``SentenceEmbedder`` and ``GPT2Embedder`` share: batching id sequences and mean-pooling a
/// model's last hidden state over the attention mask.
enum PooledEmbedding {
    /// The embeddings of `sequences`, in order, `batchSize` at a time. Sequences are batched
    /// longest first (a stable sort, so equal lengths keep their order) to pad little.
    ///
    /// - Parameters:
    ///   - inputError: wraps a batch the sequences cannot make (an empty one).
    ///   - embeddings: `[batch, dimension]` for one padded batch.
    static func embed<Failure: Error>(
        _ sequences: [[Int]], batchSize: Int, paddingID: Int, dimension: Int,
        inputError: (ModelInputError) -> Failure, embeddings: (TokenBatch) throws(Failure) -> Tensor
    ) throws(Failure) -> [[Float]] {
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        var result = [[Float]](repeating: [], count: sequences.count)
        var start = 0
        while start < order.count {
            let members = Array(order[start..<min(start + batchSize, order.count)])
            let batch: TokenBatch
            do {
                batch = try TokenBatch(padding: members.map { sequences[$0] }, paddingID: paddingID)
            } catch {
                throw inputError(error)
            }
            let vectors = try embeddings(batch)
            vectors.withUnsafeBufferPointer { values in
                for (row, index) in members.enumerated() {
                    result[index] = Array(values[(row * dimension)..<((row + 1) * dimension)])
                }
            }
            start += batchSize
        }
        return result
    }

    /// `[batch, hidden]`: the last hidden state `model` gives for `batch`, mean-pooled over the
    /// attention mask and (with `normalizes`) L2-normalised, computed without gradients.
    static func pooled<Failure: Error>(
        _ batch: TokenBatch, normalizes: Bool, inputError: (ModelInputError) -> Failure,
        lastHiddenState: (TokenBatch) throws(ModelInputError) -> Variable
    ) throws(Failure) -> Tensor {
        let result: Result<Tensor, ModelInputError> = withNoGrad {
            Result { () throws(ModelInputError) in
                let pooled = meanPooling(try lastHiddenState(batch), mask: batch.maskTensor)
                return (normalizes ? pooled.l2Normalized() : pooled).value
            }
        }
        do { return try result.get() } catch { throw inputError(error) }
    }
}
