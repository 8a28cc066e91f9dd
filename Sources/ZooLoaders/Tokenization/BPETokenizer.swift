/// GPT-2's byte-level BPE tokenizer, as Hugging Face's `GPT2Tokenizer` (and `tokenizers`'
/// `ByteLevel` + `BPE`): added tokens such as `<|endoftext|>` are matched whole in the text,
/// the rest is cut into pieces by ``ByteLevelPreTokenizer``, each piece's UTF-8 bytes spelled in
/// ``ByteLevelAlphabet`` and merged by rank. No token is added around the text.
///
/// ```swift
/// let tokenizer = try BPETokenizer(checkpoint: checkpoint)        // vocab.json + merges.txt or tokenizer.json
/// let ids = tokenizer.encode("Hello world")                        // [15496, 995] with GPT-2's files
/// tokenizer.decode(ids)                                            // "Hello world"
/// ```
public struct BPETokenizer: Sendable, Equatable {
    /// A tokenizer file larger than this is refused before it is parsed (GPT-2's `tokenizer.json`
    /// is 1.4 MB; the largest real ones, with 250k tokens, about 20 MB).
    public static let maxFileByteCount = 64 << 20
    /// The largest vocabulary, and the most merges, accepted.
    public static let maxTokenCount = 4_000_000

    /// A token matched whole in the text before pre-tokenization.
    public struct AddedToken: Sendable, Equatable {
        public var content: String
        public var id: Int
        /// Special tokens (`<|endoftext|>`) mark structure rather than text.
        public var special: Bool

        public init(content: String, id: Int, special: Bool) {
            self.content = content
            self.id = id
            self.special = special
        }
    }

    /// Token strings by id (in ``ByteLevelAlphabet``'s spelling).
    public let tokens: [String]
    private let ids: [String: Int]
    private let merges: BPEMerges
    /// The id of each byte's one-character token, by byte value (-1 when the vocabulary lacks it).
    private let byteTokens: [Int32]
    /// The added tokens, longest first.
    public let addedTokens: [AddedToken]
    private let added: [(scalars: [Unicode.Scalar], id: Int)]
    private let specialIDs: Set<Int>
    /// Whether a space is put before text that does not start with one (`add_prefix_space`).
    public let addPrefixSpace: Bool
    /// Whether a piece that is itself a token skips the merges (`ignore_merges`, as LLaMA 3).
    public let ignoreMerges: Bool

    /// A tokenizer over `tokens` (id = position) and `merges` (pairs of tokens, by rank).
    ///
    /// - Throws: ``BPETokenizerError`` naming `file`: `.emptyVocabulary`, `.tooManyTokens`,
    ///   `.invalidTokenID` for a token listed twice, `.mergeTokenNotInVocabulary`, `.duplicateMerge`,
    ///   `.tooManyMerges`, `.invalidTokenID` for an added token outside the vocabulary.
    public init(
        tokens: [String], merges: [(String, String)], addedTokens: [AddedToken] = [], addPrefixSpace: Bool = false,
        ignoreMerges: Bool = false, file: String = "tokenizer"
    ) throws(BPETokenizerError) {
        try self.init(
            tokens: tokens, merges: merges, addedTokens: addedTokens, addPrefixSpace: addPrefixSpace,
            ignoreMerges: ignoreMerges, file: file, mergeLocation: { ($0 + 1, nil) })
    }

    /// As the public initializer; `mergeLocation` gives the line and byte offset of merge `n` for errors.
    init(
        tokens: [String], merges: [(String, String)], addedTokens: [AddedToken], addPrefixSpace: Bool,
        ignoreMerges: Bool, file: String, mergeLocation: (Int) -> (line: Int?, offset: Int?)
    ) throws(BPETokenizerError) {
        guard !tokens.isEmpty else { throw BPETokenizerError(file: file, reason: .emptyVocabulary) }
        guard tokens.count <= Self.maxTokenCount else {
            throw BPETokenizerError(file: file, reason: .tooManyTokens(limit: Self.maxTokenCount))
        }
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where ids.updateValue(id, forKey: token) != nil {
            throw BPETokenizerError(file: file, reason: .invalidTokenID(token: token, id: Int64(id)))
        }
        guard merges.count <= Self.maxTokenCount else {
            throw BPETokenizerError(file: file, reason: .tooManyMerges(limit: Self.maxTokenCount))
        }
        var pairs: [(left: Int, right: Int, merged: Int)] = []
        pairs.reserveCapacity(merges.count)
        for (index, (left, right)) in merges.enumerated() {
            func id(_ token: String) throws(BPETokenizerError) -> Int {
                guard let id = ids[token] else {
                    let (line, offset) = mergeLocation(index)
                    throw BPETokenizerError(
                        file: file, line: line, offset: offset,
                        reason: .mergeTokenNotInVocabulary(merge: left + " " + right, token: token))
                }
                return id
            }
            pairs.append((try id(left), try id(right), try id(left + right)))
        }
        switch BPEMerges.make(pairs) {
        case let .success(table): self.merges = table
        case let .failure(duplicate):
            let (left, right) = merges[duplicate.index]
            let (line, offset) = mergeLocation(duplicate.index)
            throw BPETokenizerError(file: file, line: line, offset: offset, reason: .duplicateMerge(left + " " + right))
        }
        for token in addedTokens where !(tokens.indices.contains(token.id) && tokens[token.id] == token.content) {
            throw BPETokenizerError(file: file, reason: .invalidTokenID(token: token.content, id: Int64(token.id)))
        }
        self.tokens = tokens
        self.ids = ids
        self.byteTokens = ByteLevelAlphabet.scalars.map { scalar in
            ids[String(Character(scalar))].map { Int32($0) } ?? -1
        }
        let kept = addedTokens.filter { !$0.content.isEmpty }
            .sorted { $0.content.unicodeScalars.count > $1.content.unicodeScalars.count }
        self.addedTokens = kept
        self.added = kept.map { (Array($0.content.unicodeScalars), $0.id) }
        self.specialIDs = Set(kept.filter(\.special).map(\.id))
        self.addPrefixSpace = addPrefixSpace
        self.ignoreMerges = ignoreMerges
    }

    /// The number of ids.
    public var count: Int { tokens.count }

    /// The number of merges.
    public var mergeCount: Int { merges.count }

    /// The id of `token` (in ``ByteLevelAlphabet``'s spelling), if it is in the vocabulary.
    public func id(of token: String) -> Int? { ids[token] }

    /// The token with id `id`, if there is one.
    public func token(for id: Int) -> String? { tokens.indices.contains(id) ? tokens[id] : nil }

    /// The token ids of `text`.
    ///
    /// A byte whose one-character token is missing from the vocabulary is dropped, as
    /// `tokenizers` does for a BPE model without an unknown token.
    public func encode(_ text: String) -> [Int] {
        let scalars = Array(text.unicodeScalars)
        var ids: [Int] = []
        ids.reserveCapacity(scalars.count / 3 + 1)
        // Pieces repeat within a text ("the", " the"): merge each distinct piece once. Keyed by
        // bytes: String equality is canonical equivalence ("é" == "e\u{301}").
        var cache: [[UInt8]: [Int32]] = [:]
        var segmentStart = 0
        var i = 0
        while i < scalars.count {
            if let (length, id) = addedMatch(in: scalars, at: i) {
                appendSegment(scalars, segmentStart..<i, to: &ids, cache: &cache)
                ids.append(id)
                i += length
                segmentStart = i
            } else {
                i += 1
            }
        }
        appendSegment(scalars, segmentStart..<scalars.count, to: &ids, cache: &cache)
        return ids
    }

    /// The tokens of `text` (in ``ByteLevelAlphabet``'s spelling).
    public func tokenize(_ text: String) -> [String] { encode(text).map { tokens[$0] } }

    /// The text of `ids`: the bytes each token spells, decoded as UTF-8 with U+FFFD for each
    /// invalid sequence (as `tokenizers`' ByteLevel decoder and Python's `errors="replace"`).
    /// A token with a character outside ``ByteLevelAlphabet`` contributes its own UTF-8; ids
    /// without a token are skipped, as Hugging Face's `decode` skips them, and so are special
    /// added tokens (`<|endoftext|>`) with `skipSpecialTokens` (HF's `skip_special_tokens`).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        String(decoding: bytes(of: ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    /// The raw bytes `ids` spell, before UTF-8 decoding (see ``decode(_:skipSpecialTokens:)``).
    public func bytes(of ids: [Int], skipSpecialTokens: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids where tokens.indices.contains(id) {
            if skipSpecialTokens && specialIDs.contains(id) { continue }
            let token = tokens[id]
            let start = bytes.count
            for scalar in token.unicodeScalars {
                guard let byte = ByteLevelAlphabet.byte(for: scalar) else {
                    bytes.removeSubrange(start...)
                    bytes.append(contentsOf: token.utf8)
                    break
                }
                bytes.append(byte)
            }
        }
        return bytes
    }

    /// Pre-tokenizes `scalars[range]` and appends the merged ids of each piece.
    private func appendSegment(
        _ scalars: [Unicode.Scalar], _ range: Range<Int>, to ids: inout [Int], cache: inout [[UInt8]: [Int32]]
    ) {
        guard !range.isEmpty else { return }
        var segment = scalars[range]
        if addPrefixSpace && segment.first != " " { segment = [" "] + segment }
        let local = Array(segment)
        for piece in ByteLevelPreTokenizer.split(local, in: local.indices) {
            var bytes: [UInt8] = []
            for scalar in local[piece] { UTF8.encode(scalar) { bytes.append($0) } }
            if let hit = cache[bytes] {
                ids.append(contentsOf: hit.lazy.map { Int($0) })
                continue
            }
            let merged = mergedIDs(of: bytes)
            cache[bytes] = merged
            ids.append(contentsOf: merged.lazy.map { Int($0) })
        }
    }

    /// The BPE tokens of one piece.
    private func mergedIDs(of piece: [UInt8]) -> [Int32] {
        if ignoreMerges, let whole = ids[ByteLevelAlphabet.encode(piece)] { return [Int32(whole)] }
        var initial: [Int32] = []
        initial.reserveCapacity(piece.count)
        for byte in piece where byteTokens[Int(byte)] >= 0 { initial.append(byteTokens[Int(byte)]) }
        return merges.apply(to: initial)
    }

    /// The added token starting at `index`, if any (longest first).
    private func addedMatch(in scalars: [Unicode.Scalar], at index: Int) -> (length: Int, id: Int)? {
        for token in added where token.scalars.first == scalars[index] && index + token.scalars.count <= scalars.count {
            if scalars[index..<(index + token.scalars.count)].elementsEqual(token.scalars) {
                return (token.scalars.count, token.id)
            }
        }
        return nil
    }

    public static func == (lhs: BPETokenizer, rhs: BPETokenizer) -> Bool {
        lhs.tokens == rhs.tokens && lhs.merges == rhs.merges && lhs.addedTokens == rhs.addedTokens
            && lhs.addPrefixSpace == rhs.addPrefixSpace && lhs.ignoreMerges == rhs.ignoreMerges
    }
}
