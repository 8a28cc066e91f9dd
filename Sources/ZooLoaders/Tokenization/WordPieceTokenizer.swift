/// Greedy longest-match-first WordPiece, as BERT's: a word becomes the longest vocabulary token
/// that starts it, then the longest `##`-prefixed token that continues it, and so on; a word with
/// a part that matches nothing, or longer than ``maxCharactersPerWord``, becomes `[UNK]` as a whole.
///
/// ```swift
/// let wordPiece = try WordPieceTokenizer(vocabulary: vocabulary)
/// wordPiece.tokenize(word: "unaffable")   // ["una", "##ffa", "##ble"]
/// ```
public struct WordPieceTokenizer: Sendable, Equatable {
    public let vocabulary: WordPieceVocabulary
    /// The token of words that cannot be split (`[UNK]`).
    public let unknownToken: String
    /// Its id.
    public let unknownID: Int
    /// The prefix of tokens that continue a word (`##`).
    public let continuationPrefix: String
    /// Words with more Unicode scalars than this become `[UNK]` (`max_input_chars_per_word`).
    public let maxCharactersPerWord: Int
    /// The longest token in scalars: no match can be longer, so longer candidates are skipped.
    private let longestToken: Int

    /// - Throws: ``TokenizerError`` with reason `.missingSpecialToken` when `unknownToken` is not
    ///   in the vocabulary.
    public init(
        vocabulary: WordPieceVocabulary, unknownToken: String = "[UNK]", continuationPrefix: String = "##",
        maxCharactersPerWord: Int = 100
    ) throws(TokenizerError) {
        guard let unknownID = vocabulary.id(of: unknownToken) else {
            throw TokenizerError(file: "vocabulary", reason: .missingSpecialToken(unknownToken))
        }
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.unknownID = unknownID
        self.continuationPrefix = continuationPrefix
        self.maxCharactersPerWord = maxCharactersPerWord
        self.longestToken = vocabulary.tokens.reduce(0) { max($0, $1.unicodeScalars.count) }
    }

    /// The pieces of one word (no whitespace inside).
    public func tokenize(word: String) -> [String] {
        var ids: [Int] = []
        appendIDs(of: Array(word.unicodeScalars), to: &ids)
        return ids.map { vocabulary.token(for: $0) ?? unknownToken }
    }

    /// Appends the ids of the pieces of `word` to `ids`.
    func appendIDs(of word: [Unicode.Scalar], to ids: inout [Int]) {
        guard word.count <= maxCharactersPerWord else {
            ids.append(unknownID)
            return
        }
        let mark = ids.count
        var start = 0
        while start < word.count {
            let prefix = start > 0 ? continuationPrefix : ""
            var end = min(word.count, start + longestToken)
            var match: Int?
            while end > start {
                var candidate = prefix
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary.id(of: candidate) {
                    match = id
                    break
                }
                end -= 1
            }
            guard let match else {
                ids.removeSubrange(mark...)
                ids.append(unknownID)
                return
            }
            ids.append(match)
            start = end
        }
    }
}
