import ZooFormat

/// The token list of a WordPiece model: each token's id is its line number in `vocab.txt`
/// (0-based), or its value in `tokenizer.json`'s `model.vocab`.
///
/// ```swift
/// let vocabulary = try WordPieceVocabulary(vocabText: bytes, file: "vocab.txt")
/// vocabulary.id(of: "[CLS]")   // 101 for bert-base-uncased
/// ```
public struct WordPieceVocabulary: Sendable, Equatable {
    /// A vocabulary file larger than this is refused before it is parsed (real ones are < 1 MB;
    /// a `tokenizer.json` with merges a few MB).
    public static let maxByteCount = 64 << 20
    /// The largest token id accepted from `tokenizer.json` (real vocabularies have < 300k).
    public static let maxTokenID = 10_000_000

    /// Token strings by id; ids a `tokenizer.json` leaves unused are empty strings.
    public let tokens: [String]
    private let ids: [String: Int]

    /// A vocabulary whose ids are the positions in `tokens`. A token listed twice keeps the
    /// later id, as Hugging Face's `load_vocab` does.
    public init(tokens: [String]) {
        self.tokens = tokens
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() { ids[token] = id }
        self.ids = ids
    }

    /// Parses a BERT `vocab.txt`: one token per line, `\n` or `\r\n` line ends, UTF-8.
    ///
    /// - Throws: ``TokenizerError`` naming `file`: `.invalidUTF8` with the line and its byte
    ///   offset, `.emptyVocabulary`, `.fileTooLarge`.
    public init(vocabText bytes: [UInt8], file: String) throws(TokenizerError) {
        guard bytes.count <= Self.maxByteCount else {
            throw TokenizerError(file: file, reason: .fileTooLarge(byteCount: bytes.count, limit: Self.maxByteCount))
        }
        var tokens: [String] = []
        try TextLines.forEach(in: bytes) { (text, line, offset) throws(TokenizerError) in
            guard let text else { throw TokenizerError(file: file, offset: offset, reason: .invalidUTF8(line: line)) }
            tokens.append(text)
        }
        guard !tokens.isEmpty else { throw TokenizerError(file: file, reason: .emptyVocabulary) }
        self.init(tokens: tokens)
    }

    /// The vocabulary of a parsed `tokenizer.json` WordPiece model (`model.vocab`: token -> id).
    ///
    /// - Throws: ``TokenizerError`` naming `file` for a missing or mistyped `model.vocab`, an id
    ///   that is negative, above ``maxTokenID`` or used twice, or an empty vocabulary.
    init(tokenizerModel model: [String: JSONValue], file: String) throws(TokenizerError) {
        guard let vocab = model["vocab"]?.objectValue else {
            throw TokenizerError(file: file, reason: .invalidMember("model.vocab", expected: "an object of token ids"))
        }
        guard !vocab.isEmpty else { throw TokenizerError(file: file, reason: .emptyVocabulary) }
        var byID: [Int: String] = [:]
        var largest = -1
        for (token, value) in vocab {
            guard let raw = value.integerValue else {
                throw TokenizerError(file: file, reason: .invalidMember("model.vocab.\(token)", expected: "an integer id"))
            }
            guard let id = Int(exactly: raw), id >= 0, id <= Self.maxTokenID, byID[id] == nil else {
                throw TokenizerError(file: file, reason: .invalidTokenID(token: token, id: Int(clamping: raw)))
            }
            byID[id] = token
            largest = max(largest, id)
        }
        var tokens = [String](repeating: "", count: largest + 1)
        for (id, token) in byID { tokens[id] = token }
        self.tokens = tokens
        self.ids = Dictionary(uniqueKeysWithValues: byID.map { ($0.value, $0.key) })
    }

    /// The number of ids (the embedding table must have at least this many rows).
    public var count: Int { tokens.count }

    /// The id of `token`, if it is in the vocabulary.
    public func id(of token: String) -> Int? { ids[token] }

    /// The token with id `id`, if there is one.
    public func token(for id: Int) -> String? {
        tokens.indices.contains(id) ? tokens[id] : nil
    }

    public static func == (lhs: WordPieceVocabulary, rhs: WordPieceVocabulary) -> Bool {
        lhs.tokens == rhs.tokens
    }
}
