import TrainingCore

/// BERT's WordPiece tokenizer, as Hugging Face's `BertTokenizerFast` (uncased by default):
/// special tokens written in the text are kept whole, the rest goes through ``BasicTokenizer``
/// and ``WordPieceTokenizer``; ``encode(_:)`` adds `[CLS]` and `[SEP]` and truncates to
/// ``maxLength``; ``batch(_:)`` pads a batch and makes its attention mask.
///
/// ```swift
/// let tokenizer = try BertTokenizer(checkpoint: checkpoint)          // vocab.txt or tokenizer.json
/// tokenizer.encode("hello,world!!")                                  // [101, 7592, 1010, 2088, 999, 999, 102]
/// let batch = try tokenizer.batch(["a sentence", "another, longer sentence"])
/// ```
public struct BertTokenizer: Sendable, Equatable {
    /// The ids of the special tokens.
    public struct SpecialTokens: Sendable, Equatable {
        /// `[CLS]`, first in every encoding.
        public var classification: Int
        /// `[SEP]`, last in every encoding.
        public var separator: Int
        /// `[PAD]`, after the end of shorter encodings in a batch.
        public var padding: Int
        /// `[UNK]`, for words WordPiece cannot split.
        public var unknown: Int

        public init(classification: Int, separator: Int, padding: Int, unknown: Int) {
            self.classification = classification
            self.separator = separator
            self.padding = padding
            self.unknown = unknown
        }
    }

    public let basic: BasicTokenizer
    public let wordPiece: WordPieceTokenizer
    /// The longest encoding, `[CLS]` and `[SEP]` included; longer texts are truncated.
    public private(set) var maxLength: Int
    public let specialTokens: SpecialTokens
    /// Tokens matched verbatim in the text, before normalisation (`[CLS]`, `[SEP]`, `[MASK]`...),
    /// longest first.
    public let protectedTokens: [String]
    private let protected: [ProtectedToken]

    private struct ProtectedToken: Sendable, Equatable {
        let scalars: [Unicode.Scalar]
        let id: Int
    }

    /// The default special tokens' names.
    public static let defaultTokens = (classification: "[CLS]", separator: "[SEP]", padding: "[PAD]", unknown: "[UNK]", mask: "[MASK]")

    /// A tokenizer over `vocabulary`.
    ///
    /// - Parameters:
    ///   - protectedTokens: tokens kept whole when they appear in the text; `nil` means the
    ///     default special tokens that are in the vocabulary.
    /// - Throws: ``TokenizerError``: `.missingSpecialToken` when `[CLS]`, `[SEP]`, `[PAD]` or
    ///   `[UNK]` is not in the vocabulary, `.invalidMaxLength` when `maxLength < 2`.
    public init(
        vocabulary: WordPieceVocabulary, basic: BasicTokenizer = BasicTokenizer(), maxLength: Int = 512,
        classificationToken: String = defaultTokens.classification, separatorToken: String = defaultTokens.separator,
        paddingToken: String = defaultTokens.padding, unknownToken: String = defaultTokens.unknown,
        continuationPrefix: String = "##", maxCharactersPerWord: Int = 100, protectedTokens: [String]? = nil
    ) throws(TokenizerError) {
        guard maxLength >= 2 else { throw TokenizerError(file: "tokenizer", reason: .invalidMaxLength(maxLength)) }
        func id(_ token: String) throws(TokenizerError) -> Int {
            guard let id = vocabulary.id(of: token) else {
                throw TokenizerError(file: "vocabulary", reason: .missingSpecialToken(token))
            }
            return id
        }
        specialTokens = SpecialTokens(
            classification: try id(classificationToken), separator: try id(separatorToken),
            padding: try id(paddingToken), unknown: try id(unknownToken))
        wordPiece = try WordPieceTokenizer(
            vocabulary: vocabulary, unknownToken: unknownToken, continuationPrefix: continuationPrefix,
            maxCharactersPerWord: maxCharactersPerWord)
        self.basic = basic
        self.maxLength = maxLength
        let candidates = protectedTokens ?? [
            classificationToken, separatorToken, paddingToken, unknownToken, Self.defaultTokens.mask,
        ]
        var seen = Set<String>()
        let kept = candidates.filter { !$0.isEmpty && vocabulary.id(of: $0) != nil && seen.insert($0).inserted }
            .sorted { $0.unicodeScalars.count > $1.unicodeScalars.count }
        self.protectedTokens = kept
        self.protected = kept.compactMap { token in
            vocabulary.id(of: token).map { ProtectedToken(scalars: Array(token.unicodeScalars), id: $0) }
        }
    }

    /// The vocabulary.
    public var vocabulary: WordPieceVocabulary { wordPiece.vocabulary }

    /// The same tokenizer with another maximum length.
    ///
    /// - Throws: ``TokenizerError`` with reason `.invalidMaxLength` when `maxLength < 2`.
    public func withMaxLength(_ maxLength: Int) throws(TokenizerError) -> BertTokenizer {
        guard maxLength >= 2 else { throw TokenizerError(file: "tokenizer", reason: .invalidMaxLength(maxLength)) }
        var copy = self
        copy.maxLength = maxLength
        return copy
    }

    /// The token ids of `text`, without `[CLS]`/`[SEP]` and not truncated.
    public func tokenIDs(_ text: String) -> [Int] {
        var ids: [Int] = []
        let scalars = Array(text.unicodeScalars)
        var segmentStart = 0
        var i = 0
        func flush(upTo end: Int) {
            guard segmentStart < end else { return }
            for word in basic.words(in: scalars[segmentStart..<end]) { wordPiece.appendIDs(of: word, to: &ids) }
        }
        while i < scalars.count {
            if let (length, id) = protectedMatch(in: scalars, at: i) {
                flush(upTo: i)
                ids.append(id)
                i += length
                segmentStart = i
            } else {
                i += 1
            }
        }
        flush(upTo: scalars.count)
        return ids
    }

    /// The tokens of `text`, without `[CLS]`/`[SEP]` and not truncated.
    public func tokenize(_ text: String) -> [String] {
        tokenIDs(text).map { vocabulary.token(for: $0) ?? wordPiece.unknownToken }
    }

    /// `[CLS] tokens [SEP]`, the tokens cut to `maxLength - 2` (HF's `truncation=True`).
    public func encode(_ text: String) -> [Int] {
        [specialTokens.classification] + tokenIDs(text).prefix(maxLength - 2) + [specialTokens.separator]
    }

    /// The encodings of `texts` right-padded with `[PAD]` to the longest, with the attention
    /// mask (1 for tokens, 0 for padding) and token types 0.
    ///
    /// - Throws: ``ModelInputError`` with reason `.emptyBatch` when `texts` is empty.
    public func batch(_ texts: [String]) throws(ModelInputError) -> TokenBatch {
        try TokenBatch(padding: texts.map(encode), paddingID: specialTokens.padding)
    }

    /// The protected token starting at `index`, if any (longest first).
    private func protectedMatch(in scalars: [Unicode.Scalar], at index: Int) -> (length: Int, id: Int)? {
        for token in protected where token.scalars.first == scalars[index] && index + token.scalars.count <= scalars.count {
            if scalars[index..<(index + token.scalars.count)].elementsEqual(token.scalars) {
                return (token.scalars.count, token.id)
            }
        }
        return nil
    }
}
