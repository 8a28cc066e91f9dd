import ZooFormat

/// Why a byte-level BPE tokenizer could not be built from its files (`vocab.json`,
/// `merges.txt`, `tokenizer.json`), and where: the file, and the line (1-based) and byte offset
/// when one applies.
public struct BPETokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// Neither `vocab.json` + `merges.txt` nor `tokenizer.json` is there.
        case missingFiles
        /// `vocab.json` is there without `merges.txt`, or the other way round.
        case missingCompanion(String)
        /// A file is larger than ``BPETokenizer/maxFileByteCount``.
        case fileTooLarge(byteCount: Int, limit: Int)
        /// A JSON file does not parse.
        case json(JSONError)
        /// A JSON member is missing or has the wrong type (dotted path).
        case invalidMember(String, expected: String)
        /// The vocabulary has no token.
        case emptyVocabulary
        /// A token's id is negative, above ``BPETokenizer/maxTokenCount`` or used twice.
        case invalidTokenID(token: String, id: Int64)
        /// Ids of the vocabulary leave a gap (the id has no token).
        case missingTokenID(Int)
        /// A line of `merges.txt` is not UTF-8.
        case invalidUTF8
        /// A merge is not two tokens separated by one space.
        case malformedMerge(String)
        /// A merge names a token, or makes one, that is not in the vocabulary.
        case mergeTokenNotInVocabulary(merge: String, token: String)
        /// The same merge is listed twice.
        case duplicateMerge(String)
        /// More tokens than ``BPETokenizer/maxTokenCount``.
        case tooManyTokens(limit: Int)
        /// More merges than ``BPETokenizer/maxTokenCount``.
        case tooManyMerges(limit: Int)
        /// `tokenizer.json` uses a model, option or component this tokenizer does not implement.
        case unsupported(what: String, value: String)
        /// Reading a checkpoint asset failed.
        case checkpoint(FormatError)
        /// Reading a file failed.
        case io(IOError)
    }

    /// The file (or checkpoint) the problem is in.
    public var file: String
    /// The line (1-based) where the check failed, when one applies.
    public var line: Int?
    /// The byte offset in `file` where the check failed, when one applies.
    public var offset: Int?
    public var reason: Reason

    public init(file: String, line: Int? = nil, offset: Int? = nil, reason: Reason) {
        self.file = file
        self.line = line
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        var place = file
        if let line { place += ": line \(line)" }
        if let offset { place += line == nil ? ": byte \(offset)" : " (byte \(offset))" }
        return "\(place): \(reason)"
    }
}

extension BPETokenizerError.Reason: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missingFiles: "no vocab.json + merges.txt or tokenizer.json"
        case let .missingCompanion(name): "\(name) is missing (vocab.json and merges.txt go together)"
        case let .fileTooLarge(count, limit): "\(count) bytes, over the \(limit)-byte limit for a tokenizer file"
        case let .json(error): "invalid JSON: \(error)"
        case let .invalidMember(path, expected): "\(path): expected \(expected)"
        case .emptyVocabulary: "the vocabulary has no token"
        case let .invalidTokenID(token, id): "token \"\(token)\" has id \(id): negative, too large or used twice"
        case let .missingTokenID(id): "no token has id \(id), below the largest id"
        case .invalidUTF8: "not valid UTF-8"
        case let .malformedMerge(text): "merge \"\(text)\" is not two tokens separated by one space"
        case let .mergeTokenNotInVocabulary(merge, token): "merge \"\(merge)\": token \"\(token)\" is not in the vocabulary"
        case let .duplicateMerge(text): "merge \"\(text)\" is listed twice"
        case let .tooManyTokens(limit): "more than \(limit) tokens"
        case let .tooManyMerges(limit): "more than \(limit) merges"
        case let .unsupported(what, value): "unsupported \(what) \(value) (only byte-level BPE as GPT-2's is supported)"
        case let .checkpoint(error): "\(error)"
        case let .io(error): "\(error)"
        }
    }
}
