import TrainingCore

/// Why a checkpoint could not be made into a GPT-2 model, or ids or texts not embedded.
public struct GPT2LoadError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The checkpoint is not a GPT-2 model (`architecture.type`, Hugging Face `model_type`).
        case notGPT2(type: String)
        /// Its GPT-2 configuration is invalid.
        case config(GPT2ConfigError)
        /// Its tokenizer files are invalid.
        case tokenizer(BPETokenizerError)
        /// Texts to embed, and the checkpoint carries no tokenizer (give token ids instead).
        case noTokenizer
        /// The model rejected the input (an id outside the vocabulary, a sequence too long).
        case input(ModelInputError)
        /// A batch size below 1.
        case invalidBatchSize(Int)
        /// The configuration disagrees with the checkpoint's tensors (checked before a model of the
        /// configuration's size is allocated): `tensor`'s shape, or the block count.
        case configDisagrees(tensor: String, config: String, checkpoint: String)
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
        case let .notGPT2(type): "\(location): a \(type) model, not GPT-2"
        case let .config(error): "\(location): \(error)"
        case let .tokenizer(error): "\(error)"
        case .noTokenizer:
            "\(location) has no tokenizer (vocab.json + merges.txt or tokenizer.json among its assets): "
                + "give token ids"
        case let .input(error): "\(location): \(error)"
        case let .invalidBatchSize(size): "batch size must be at least 1 (got \(size))"
        case let .configDisagrees(tensor, config, checkpoint):
            "\(location): config.json says \(tensor) is \(config), the checkpoint has \(checkpoint)"
        }
    }
}
