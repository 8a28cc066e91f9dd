import TrainingCore
import ZooFormat

/// Features from a GPT-2 checkpoint: the last hidden state (after `ln_f`) averaged over each
/// sequence's tokens and, by default, L2-normalised, computed without gradients.
///
/// Sequences are batched right-padded to the longest member; GPT-2's attention is causal, so
/// padding after a sequence never changes its states and a batch gives the same vectors as one
/// sequence at a time.
///
/// ```swift
/// let embedder = try GPT2Embedder(checkpoint: try store.checkpoint(for: "gpt2-tiny"))
/// let vectors = try embedder.embed(ids: [[7, 99, 250], [13, 42]])
/// ```
public final class GPT2Embedder {
    /// The decoder without its head, in evaluation mode.
    public let model: GPT2Model
    /// Whether embeddings are L2-normalised.
    public let normalizes: Bool
    /// What loading the checkpoint found, when made from one.
    public let loadSummary: LoadSummary?
    /// Where the model came from, for error messages.
    public let location: String

    /// An embedder over a model already built (put in evaluation mode).
    public init(model: GPT2Model, normalizes: Bool = true, location: String = "model") {
        model.eval()
        self.model = model
        self.normalizes = normalizes
        self.loadSummary = nil
        self.location = location
    }

    /// Loads the decoder of a GPT-2 checkpoint (`GPT2LMHeadModel`'s `transformer.*` or a bare
    /// `GPT2Model`); every decoder parameter must load, a head is left out.
    ///
    /// - Throws: ``GPT2LoadError`` (not GPT-2, bad config); ``CheckpointLoadError`` or
    ///   ``TrainingCore/LoadError`` when the tensors do not fit.
    public init(checkpoint: Checkpoint, normalizes: Bool = true) throws {
        let (model, summary) = try GPT2Loader.model(from: checkpoint)
        self.model = model
        self.normalizes = normalizes
        self.loadSummary = summary
        self.location = checkpoint.location
    }

    /// The length of an embedding (the model's hidden size).
    public var dimension: Int { model.config.embeddingSize }

    /// The embeddings of token id sequences, in order, `batchSize` at a time.
    ///
    /// - Throws: ``GPT2LoadError``: `.invalidBatchSize`, or `.input` for an empty sequence, an id
    ///   outside the vocabulary or a sequence longer than the model's positions.
    public func embed(ids sequences: [[Int]], batchSize: Int = SentenceEmbedder.defaultBatchSize)
        throws(GPT2LoadError) -> [[Float]]
    {
        guard batchSize >= 1 else { throw GPT2LoadError(location: location, reason: .invalidBatchSize(batchSize)) }
        if sequences.contains(where: \.isEmpty) {
            throw GPT2LoadError(location: location, reason: .input(ModelInputError(reason: .emptyBatch)))
        }
        // Longest first, so that batches pad little; the sort is stable.
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        var result = [[Float]](repeating: [], count: sequences.count)
        var start = 0
        while start < order.count {
            let members = Array(order[start..<min(start + batchSize, order.count)])
            let batch: TokenBatch
            do {
                batch = try TokenBatch(padding: members.map { sequences[$0] })
            } catch {
                throw GPT2LoadError(location: location, reason: .input(error))
            }
            let vectors = try embeddings(of: batch)
            let width = dimension
            vectors.withUnsafeBufferPointer { values in
                for (row, index) in members.enumerated() {
                    result[index] = Array(values[(row * width)..<((row + 1) * width)])
                }
            }
            start += batchSize
        }
        return result
    }

    /// `[batch, hidden]`: the last hidden state mean-pooled over the attention mask and (with
    /// ``normalizes``) L2-normalised.
    ///
    /// - Throws: ``GPT2LoadError`` with reason `.input` for ids the model rejects.
    public func embeddings(of batch: TokenBatch) throws(GPT2LoadError) -> Tensor {
        let result: Result<Tensor, ModelInputError> = withNoGrad {
            Result { () throws(ModelInputError) in
                let hidden = try model(batch).lastHiddenState
                let pooled = meanPooling(hidden, mask: batch.maskTensor)
                return (normalizes ? pooled.l2Normalized() : pooled).value
            }
        }
        do { return try result.get() } catch { throw GPT2LoadError(location: location, reason: .input(error)) }
    }
}
