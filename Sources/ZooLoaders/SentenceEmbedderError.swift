import TrainingCore
import ZooFormat

/// Why a checkpoint could not be made into a ``SentenceEmbedder``, or a text not embedded.
public struct SentenceEmbedderError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The checkpoint is not a BERT model (`architecture.type`, Hugging Face `model_type`).
        case notBERT(type: String)
        /// Its BERT configuration is invalid.
        case config(BertConfigError)
        /// Its tokenizer files are missing or invalid.
        case tokenizer(TokenizerError)
        /// The tokenizer's vocabulary has ids the model's embedding table does not.
        case vocabularyTooLarge(tokens: Int, embeddings: Int)
        /// `sentence_bert_config.json` is not valid.
        case invalidSentenceConfig(String)
        /// A batch size below 1.
        case invalidBatchSize(Int)
        /// The model rejected the tokens (an id outside its tables).
        case input(ModelInputError)
    }

    /// The checkpoint's location.
    public var location: String
    public var reason: Reason

    public init(location: String, reason: Reason) {
        self.location = location
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .notBERT(type):
            "\(location): a \(type) model, not BERT: sentence embeddings need a BERT encoder"
        case let .config(error):
            "\(location): \(error)"
        case let .tokenizer(error):
            "\(error)"
        case let .vocabularyTooLarge(tokens, embeddings):
            "\(location): the vocabulary has \(tokens) tokens but the model embeds only \(embeddings)"
        case let .invalidSentenceConfig(why):
            "\(location)/\(SentenceEmbedder.sentenceConfigAsset): \(why)"
        case let .invalidBatchSize(size):
            "batch size must be at least 1 (got \(size))"
        case let .input(error):
            "\(location): \(error)"
        }
    }
}
