import ZooFormat

/// Why a tokenizer could not be built from its files (a vocabulary, `tokenizer.json`,
/// `tokenizer_config.json`), and where.
///
/// `file` names the file or the checkpoint; `offset` the byte in it where the check failed, when
/// one applies.
public struct TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The checkpoint has neither `vocab.txt` nor `tokenizer.json` among its assets.
        case missingVocabulary
        /// A vocabulary or tokenizer file is larger than ``WordPieceVocabulary/maxByteCount``.
        case fileTooLarge(byteCount: Int, limit: Int)
        /// Line `line` (1-based) of `vocab.txt` is not UTF-8.
        case invalidUTF8(line: Int)
        /// The vocabulary has no token.
        case emptyVocabulary
        /// A JSON file does not parse.
        case json(JSONError)
        /// A member of a JSON file is missing or has the wrong type or value (dotted path).
        case invalidMember(String, expected: String)
        /// `tokenizer.json` describes another model than WordPiece, or a normalizer or
        /// pre-tokenizer other than BERT's.
        case unsupported(what: String, value: String)
        /// A token id in `tokenizer.json` is negative, too large or used twice.
        case invalidTokenID(token: String, id: Int)
        /// A special token (`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`) is not in the vocabulary.
        case missingSpecialToken(String)
        /// A maximum sequence length below 2 (room for `[CLS]` and `[SEP]`).
        case invalidMaxLength(Int)
        /// Reading an asset of the checkpoint failed.
        case checkpoint(FormatError)
        /// Reading a file failed.
        case io(IOError)
    }

    /// The file (or checkpoint) the problem is in.
    public var file: String
    /// The byte offset in `file` where the check failed, when one applies.
    public var offset: Int?
    public var reason: Reason

    public init(file: String, offset: Int? = nil, reason: Reason) {
        self.file = file
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        let place = offset.map { "\(file): byte \($0)" } ?? file
        return "\(place): \(reason)"
    }
}

extension TokenizerError.Reason: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missingVocabulary: "no vocab.txt or tokenizer.json among the checkpoint's assets"
        case let .fileTooLarge(count, limit): "\(count) bytes, over the \(limit)-byte limit for a tokenizer file"
        case let .invalidUTF8(line): "line \(line) is not valid UTF-8"
        case .emptyVocabulary: "the vocabulary has no token"
        case let .json(error): "invalid JSON: \(error)"
        case let .invalidMember(path, expected): "\(path): expected \(expected)"
        case let .unsupported(what, value): "unsupported \(what) \"\(value)\" (only BERT WordPiece is supported)"
        case let .invalidTokenID(token, id): "token \"\(token)\" has id \(id): negative, too large or used twice"
        case let .missingSpecialToken(token): "special token \(token) is not in the vocabulary"
        case let .invalidMaxLength(length): "maximum sequence length \(length) leaves no room for [CLS] and [SEP]"
        case let .checkpoint(error): "\(error)"
        case let .io(error): "\(error)"
        }
    }
}
