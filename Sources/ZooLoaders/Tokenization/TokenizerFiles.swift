import ZooFormat

/// The files a BERT tokenizer is built from, as a Hugging Face model folder or a checkpoint's
/// assets carry them: `vocab.txt` and/or `tokenizer.json`, optionally `tokenizer_config.json`
/// and the model's `config.json` (for `max_position_embeddings`).
///
/// ```swift
/// let files = try TokenizerFiles(checkpoint: checkpoint)
/// let tokenizer = try BertTokenizer(files: files)
/// ```
public struct TokenizerFiles: Sendable, Equatable {
    /// The file names looked for.
    public enum Name {
        public static let vocabText = "vocab.txt"
        public static let tokenizerJSON = "tokenizer.json"
        public static let tokenizerConfig = "tokenizer_config.json"
        public static let modelConfig = "config.json"
    }

    /// Where the files come from (a folder or checkpoint), for messages.
    public var location: String
    /// `vocab.txt`: one token per line.
    public var vocabText: [UInt8]?
    /// `tokenizer.json` (Hugging Face `tokenizers`).
    public var tokenizerJSON: [UInt8]?
    /// `tokenizer_config.json` (`do_lower_case`, `model_max_length`, special tokens...).
    public var tokenizerConfig: [UInt8]?
    /// The model's `config.json`.
    public var modelConfig: [UInt8]?

    public init(
        location: String, vocabText: [UInt8]? = nil, tokenizerJSON: [UInt8]? = nil, tokenizerConfig: [UInt8]? = nil,
        modelConfig: [UInt8]? = nil
    ) {
        self.location = location
        self.vocabText = vocabText
        self.tokenizerJSON = tokenizerJSON
        self.tokenizerConfig = tokenizerConfig
        self.modelConfig = modelConfig
    }

    /// The tokenizer files among a checkpoint's assets; `config.json` falls back to the
    /// manifest's architecture configuration.
    ///
    /// - Throws: ``TokenizerError`` with reason `.checkpoint` when an asset cannot be read,
    ///   `.fileTooLarge` for an asset over ``WordPieceVocabulary/maxByteCount``.
    public init(checkpoint: Checkpoint) throws(TokenizerError) {
        func asset(_ name: String) throws(TokenizerError) -> [UInt8]? {
            do {
                return try TokenizerFileReading.asset(
                    name, of: checkpoint, location: checkpoint.location, limit: WordPieceVocabulary.maxByteCount)
            } catch {
                throw TokenizerError(error)
            }
        }
        var modelConfig = try asset(Name.modelConfig)
        if modelConfig == nil, !checkpoint.manifest.architecture.config.isEmpty {
            modelConfig = JSONValue.object(checkpoint.manifest.architecture.config).canonicalBytes
        }
        self.init(
            location: checkpoint.location, vocabText: try asset(Name.vocabText),
            tokenizerJSON: try asset(Name.tokenizerJSON), tokenizerConfig: try asset(Name.tokenizerConfig),
            modelConfig: modelConfig)
    }

    /// The tokenizer files of a Hugging Face model folder (missing ones are `nil`).
    ///
    /// - Throws: ``TokenizerError`` with reason `.io` when a file exists but cannot be read,
    ///   `.fileTooLarge` when it is over ``WordPieceVocabulary/maxByteCount``.
    public init(folder: String) throws(TokenizerError) {
        func file(_ name: String) throws(TokenizerError) -> [UInt8]? {
            do {
                return try TokenizerFileReading.file(name, in: folder, limit: WordPieceVocabulary.maxByteCount)
            } catch {
                throw TokenizerError(error)
            }
        }
        self.init(
            location: folder, vocabText: try file(Name.vocabText), tokenizerJSON: try file(Name.tokenizerJSON),
            tokenizerConfig: try file(Name.tokenizerConfig), modelConfig: try file(Name.modelConfig))
    }
}

extension TokenizerError {
    /// A bounded read's failure as the WordPiece files' error.
    init(_ failure: TokenizerFileReading.Failure) {
        switch failure {
        case let .tooLarge(file, byteCount):
            self.init(file: file, reason: .fileTooLarge(byteCount: byteCount, limit: WordPieceVocabulary.maxByteCount))
        case let .checkpoint(file, error): self.init(file: file, reason: .checkpoint(error))
        case let .io(file, error): self.init(file: file, reason: .io(error))
        }
    }
}
