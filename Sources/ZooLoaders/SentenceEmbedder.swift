import Foundation
import TrainingCore
import ZooFormat

/// Sentence embeddings from a BERT checkpoint, as sentence-transformers computes them: tokenize,
/// run the encoder without gradients, average the last hidden states over the attention mask and
/// L2-normalise (all-MiniLM-L6-v2's `Transformer` -> `Pooling(mean)` -> `Normalize`).
///
/// Texts are embedded in batches padded to their longest member; padding never changes a result
/// (the attention mask keeps padding out of both attention and pooling), so a batch gives the
/// same vectors as one text at a time.
///
/// ```swift
/// let embedder = try SentenceEmbedder(checkpoint: try store.checkpoint(for: "minilm"))
/// let vectors = try embedder.embed(["A man is eating food.", "Someone is having lunch."])
/// let similarity = zip(vectors[0], vectors[1]).reduce(0) { $0 + $1.0 * $1.1 }   // cosine
/// ```
public final class SentenceEmbedder {
    /// The sentence-transformers file whose `max_seq_length` sets the truncation length.
    public static let sentenceConfigAsset = "sentence_bert_config.json"
    /// Batch size of ``embed(_:batchSize:)`` unless given (sentence-transformers' default).
    public static let defaultBatchSize = 32

    /// The encoder (in evaluation mode, no pooler).
    public let model: BertModel
    /// The tokenizer; its ``BertTokenizer/maxLength`` is the truncation length.
    public let tokenizer: BertTokenizer
    /// Whether embeddings are L2-normalised.
    public let normalizes: Bool
    /// What loading the checkpoint found, when made from one.
    public let loadSummary: LoadSummary?
    /// Where the model came from (the checkpoint's location), for error messages.
    public let location: String

    /// An embedder over a model and tokenizer already built (the model is put in evaluation mode).
    public init(model: BertModel, tokenizer: BertTokenizer, normalizes: Bool = true, location: String = "model") {
        model.eval()
        self.model = model
        self.tokenizer = tokenizer
        self.normalizes = normalizes
        self.loadSummary = nil
        self.location = location
    }

    /// Loads a BERT checkpoint: a `BertModel` (`embeddings.*`, `encoder.layer.N.*`, as
    /// sentence-transformers saves it) or a model with its encoder under `bert.` (Hugging Face's
    /// `BertFor...` classes). A pooler or a task head is not loaded; every encoder parameter must be.
    ///
    /// The configuration is the manifest's (its `config.json`); the tokenizer comes from the
    /// checkpoint's assets (``BertTokenizer/init(checkpoint:maxLength:)``). The truncation length is
    /// `maxLength`, else `max_seq_length` of a `sentence_bert_config.json` asset, else the
    /// tokenizer's, and never more than the model's positions.
    ///
    /// - Throws: ``SentenceEmbedderError`` (not BERT, bad config or tokenizer files, vocabulary
    ///   larger than the embedding table); ``CheckpointLoadError`` or ``TrainingCore/LoadError``
    ///   when the tensors do not fit.
    public init(checkpoint: Checkpoint, maxLength: Int? = nil, normalizes: Bool = true) throws {
        let location = checkpoint.location
        let architecture = checkpoint.manifest.architecture
        let modelType = checkpoint.declaredModelType
        guard modelType == "bert" else {
            throw SentenceEmbedderError(location: location, reason: .notBERT(type: modelType))
        }
        let config: BertConfig
        do {
            config = try BertConfig(jsonData: Data(JSONValue.object(architecture.config).canonicalBytes))
        } catch {
            throw SentenceEmbedderError(location: location, reason: .config(error))
        }
        var length = try maxLength ?? Self.sentenceConfigMaxLength(checkpoint)
        if let requested = length { length = min(requested, config.maxPositions) }
        let tokenizer: BertTokenizer
        do {
            tokenizer = try BertTokenizer(checkpoint: checkpoint, maxLength: length)
        } catch {
            throw SentenceEmbedderError(location: location, reason: .tokenizer(error))
        }
        guard tokenizer.vocabulary.count <= config.vocabSize else {
            throw SentenceEmbedderError(
                location: location,
                reason: .vocabularyTooLarge(tokens: tokenizer.vocabulary.count, embeddings: config.vocabSize))
        }

        let model = BertModel(config: config, addPooler: false, seed: 0)
        var options = LoadOptions(exclude: [.name("pooler")])
        if checkpoint.tensorNames.contains("bert.embeddings.word_embeddings.weight") {
            options.prefix = "bert."
            options.keyMapping = [.stripPrefix("bert.")]
        }
        let summary = try CheckpointLoader.loadDetailed(checkpoint, into: model, options: options)
        model.eval()
        self.model = model
        self.tokenizer = tokenizer
        self.normalizes = normalizes
        self.loadSummary = summary
        self.location = location
    }

    /// The length of an embedding (the model's hidden size).
    public var dimension: Int { model.config.hiddenSize }

    /// The embeddings of `texts`, in order, computed `batchSize` texts at a time (texts of
    /// similar length are batched together, as sentence-transformers does, to pad less).
    ///
    /// - Throws: ``SentenceEmbedderError`` for a batch size below 1 or ids outside the model's
    ///   tables.
    public func embed(_ texts: [String], batchSize: Int = SentenceEmbedder.defaultBatchSize) throws(SentenceEmbedderError)
        -> [[Float]]
    {
        guard batchSize >= 1 else { throw SentenceEmbedderError(location: location, reason: .invalidBatchSize(batchSize)) }
        return try PooledEmbedding.embed(
            texts.map(tokenizer.encode), batchSize: batchSize, paddingID: tokenizer.specialTokens.padding,
            dimension: dimension, inputError: { SentenceEmbedderError(location: location, reason: .input($0)) },
            embeddings: embeddings(of:))
    }

    /// The embedding of one text.
    ///
    /// - Throws: ``SentenceEmbedderError`` for ids outside the model's tables.
    public func embed(_ text: String) throws(SentenceEmbedderError) -> [Float] {
        try embed([text], batchSize: 1)[0]
    }

    /// The embeddings of a tokenized batch: `[batch, hidden]`, mean-pooled over the attention
    /// mask and (with ``normalizes``) L2-normalised.
    ///
    /// - Throws: ``SentenceEmbedderError`` with reason `.input` for ids outside the model's tables
    ///   or sequences longer than its positions.
    public func embeddings(of batch: TokenBatch) throws(SentenceEmbedderError) -> Tensor {
        try PooledEmbedding.pooled(
            batch, normalizes: normalizes, inputError: { SentenceEmbedderError(location: location, reason: .input($0)) }
        ) { batch throws(ModelInputError) in try model(batch).lastHiddenState }
    }

    /// `max_seq_length` of the checkpoint's `sentence_bert_config.json`, if it has one.
    static func sentenceConfigMaxLength(_ checkpoint: Checkpoint) throws(SentenceEmbedderError) -> Int? {
        let names = [sentenceConfigAsset, "assets/" + sentenceConfigAsset]
        guard let entry = checkpoint.manifest.assets.first(where: { names.contains($0.path) }) else { return nil }
        let location = checkpoint.location
        guard entry.length <= 1 << 20 else {
            throw SentenceEmbedderError(location: location, reason: .invalidSentenceConfig("larger than 1 MiB"))
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: try checkpoint.asset(path: entry.path))
        } catch {
            throw SentenceEmbedderError(location: location, reason: .invalidSentenceConfig("\(error)"))
        }
        guard let member = value["max_seq_length"], member != .null else { return nil }
        guard let raw = member.integerValue, let length = Int(exactly: raw), length >= 2 else {
            throw SentenceEmbedderError(location: location, reason: .invalidSentenceConfig("max_seq_length must be an integer >= 2"))
        }
        return length
    }
}
