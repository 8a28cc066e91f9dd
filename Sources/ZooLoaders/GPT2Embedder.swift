import TrainingCore
import ZooFormat

/// Features from a GPT-2 checkpoint: the last hidden state (after `ln_f`) averaged over each
/// sequence's tokens and, by default, L2-normalised, computed without gradients.
///
/// Sequences are batched right-padded to the longest member; GPT-2's attention is causal, so
/// padding after a sequence never changes its states and a batch gives the same vectors as one
/// sequence at a time. Texts need the checkpoint's byte-level BPE tokenizer (``tokenizer``).
///
/// ```swift
/// let embedder = try GPT2Embedder(checkpoint: try store.checkpoint(for: "gpt2-tiny"))
/// let vectors = try embedder.embed(ids: [[7, 99, 250], [13, 42]])
/// let sentences = try embedder.embed(["Hello world", "A second text"])   // with a tokenizer
/// ```
public final class GPT2Embedder {
    /// The decoder without its head, in evaluation mode.
    public let model: GPT2Model
    /// The tokenizer of ``embed(_:batchSize:)``; `nil` when the checkpoint carries none.
    public let tokenizer: BPETokenizer?
    /// Whether embeddings are L2-normalised.
    public let normalizes: Bool
    /// What loading the checkpoint found, when made from one.
    public let loadSummary: LoadSummary?
    /// Where the model came from, for error messages.
    public let location: String

    /// An embedder over a model already built (put in evaluation mode).
    public init(model: GPT2Model, tokenizer: BPETokenizer? = nil, normalizes: Bool = true, location: String = "model") {
        model.eval()
        self.model = model
        self.tokenizer = tokenizer
        self.normalizes = normalizes
        self.loadSummary = nil
        self.location = location
    }

    /// Loads the decoder of a GPT-2 checkpoint (`GPT2LMHeadModel`'s `transformer.*` or a bare
    /// `GPT2Model`); every decoder parameter must load, a head is left out.
    ///
    /// - Parameter tokenizer: the tokenizer of texts; by default the one among the checkpoint's
    ///   assets, if any (``BPETokenizer/carried(by:location:)``).
    /// - Throws: ``GPT2LoadError`` (not GPT-2, bad config, invalid tokenizer files);
    ///   ``CheckpointLoadError`` or ``TrainingCore/LoadError`` when the tensors do not fit.
    public init(checkpoint: Checkpoint, tokenizer: BPETokenizer? = nil, normalizes: Bool = true) throws {
        let (model, summary) = try GPT2Loader.model(from: checkpoint)
        do {
            // Not `??`: its autoclosure loses the typed throw.
            if let tokenizer { self.tokenizer = tokenizer } else { self.tokenizer = try BPETokenizer.carried(by: checkpoint) }
        } catch {
            throw GPT2LoadError(location: checkpoint.location, reason: .tokenizer(error))
        }
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
        return try PooledEmbedding.embed(
            sequences, batchSize: batchSize, paddingID: 0, dimension: dimension,
            inputError: { GPT2LoadError(location: location, reason: .input($0)) }, embeddings: embeddings(of:))
    }

    /// The embeddings of texts, in order, `batchSize` at a time: each text is encoded with
    /// ``tokenizer`` and truncated to the model's positions.
    ///
    /// - Throws: ``GPT2LoadError``: `.noTokenizer` without a tokenizer, `.invalidBatchSize`, or
    ///   `.input` for a text that encodes to no token or to ids outside the model's vocabulary.
    public func embed(_ texts: [String], batchSize: Int = SentenceEmbedder.defaultBatchSize) throws(GPT2LoadError)
        -> [[Float]]
    {
        try embed(ids: try encode(texts), batchSize: batchSize)
    }

    /// The ids ``embed(_:batchSize:)`` embeds for `texts`.
    ///
    /// - Throws: ``GPT2LoadError`` with reason `.noTokenizer` without a tokenizer.
    public func encode(_ texts: [String]) throws(GPT2LoadError) -> [[Int]] {
        guard let tokenizer else { throw GPT2LoadError(location: location, reason: .noTokenizer) }
        return texts.map { Array(tokenizer.encode($0).prefix(model.config.positions)) }
    }

    /// `[batch, hidden]`: the last hidden state mean-pooled over the attention mask and (with
    /// ``normalizes``) L2-normalised.
    ///
    /// - Throws: ``GPT2LoadError`` with reason `.input` for ids the model rejects.
    public func embeddings(of batch: TokenBatch) throws(GPT2LoadError) -> Tensor {
        try PooledEmbedding.pooled(
            batch, normalizes: normalizes, inputError: { GPT2LoadError(location: location, reason: .input($0)) }
        ) { batch throws(ModelInputError) in try model(batch).lastHiddenState }
    }
}
