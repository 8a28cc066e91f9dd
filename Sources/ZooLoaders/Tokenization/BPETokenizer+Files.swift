import ZooFormat

/// Building a ``BPETokenizer`` from the files a model ships with.
extension BPETokenizer {
    /// GPT-2's end-of-text token, a special token whenever the vocabulary has it.
    public static let endOfText = "<|endoftext|>"

    /// The tokenizer a checkpoint carries among its assets (see ``init(files:)``).
    ///
    /// - Throws: ``BPETokenizerError`` naming the asset.
    public init(checkpoint: Checkpoint) throws(BPETokenizerError) {
        try self.init(files: try BPETokenizerFiles(checkpoint: checkpoint))
    }

    /// The tokenizer among a checkpoint's assets, or `nil` when they hold no complete set of
    /// tokenizer files (``BPETokenizerFiles/isComplete``).
    ///
    /// - Parameter location: what messages call the checkpoint (a model reference, say);
    ///   by default its ``ZooFormat/Checkpoint/location``.
    /// - Throws: ``BPETokenizerError`` naming the asset, when files are there but invalid.
    public static func carried(by checkpoint: Checkpoint, location: String? = nil) throws(BPETokenizerError)
        -> BPETokenizer?
    {
        let files = try BPETokenizerFiles(checkpoint: checkpoint, location: location)
        return files.isComplete ? try BPETokenizer(files: files) : nil
    }

    /// The tokenizer described by a model's files, as Hugging Face's `AutoTokenizer` reads them:
    /// `tokenizer.json` when there is one, else `vocab.json` + `merges.txt` with `<|endoftext|>`
    /// as the special token (`GPT2Tokenizer`'s default).
    ///
    /// - Throws: ``BPETokenizerError`` naming the file, and the line where one applies:
    ///   `.missingFiles`, `.missingCompanion`, `.json`, `.invalidMember`, `.invalidTokenID`,
    ///   `.malformedMerge`, `.mergeTokenNotInVocabulary`, `.unsupported`...
    public init(files: BPETokenizerFiles) throws(BPETokenizerError) {
        if let bytes = files.tokenizerJSON {
            try self.init(tokenizerJSON: bytes, file: files.location + "/" + BPETokenizerFiles.Name.tokenizerJSON)
            return
        }
        let vocabPath = files.location + "/" + BPETokenizerFiles.Name.vocabJSON
        let mergesPath = files.location + "/" + BPETokenizerFiles.Name.merges
        switch (files.vocabJSON, files.merges) {
        case let (vocab?, merges?):
            try self.init(vocabJSON: vocab, vocabFile: vocabPath, merges: merges, mergesFile: mergesPath)
        case (nil, nil): throw BPETokenizerError(file: files.location, reason: .missingFiles)
        case (_?, nil): throw BPETokenizerError(file: mergesPath, reason: .missingCompanion(BPETokenizerFiles.Name.merges))
        case (nil, _?): throw BPETokenizerError(file: vocabPath, reason: .missingCompanion(BPETokenizerFiles.Name.vocabJSON))
        }
    }

    /// GPT-2's `vocab.json` (token -> id) and `merges.txt`.
    ///
    /// - Throws: ``BPETokenizerError`` naming `vocabFile` or `mergesFile`.
    public init(vocabJSON: [UInt8], vocabFile: String, merges: [UInt8], mergesFile: String) throws(BPETokenizerError) {
        let vocab = try Self.parseJSON(vocabJSON, file: vocabFile)
        guard let members = vocab.objectValue else {
            throw BPETokenizerError(file: vocabFile, reason: .invalidMember("(top level)", expected: "an object of token ids"))
        }
        let tokens = try Self.tokensByID(members, path: "", file: vocabFile)
        let parsed = try Self.parseMerges(merges, file: mergesFile)
        let added = tokens.firstIndex(of: Self.endOfText).map { [AddedToken(content: Self.endOfText, id: $0, special: true)] } ?? []
        try self.init(
            tokens: tokens, merges: parsed.map(\.pair), addedTokens: added, addPrefixSpace: false, ignoreMerges: false,
            file: mergesFile, mergeLocation: { (parsed[$0].line, parsed[$0].offset) })
    }

    /// A Hugging Face `tokenizer.json` with a byte-level BPE model: model `BPE` (no dropout,
    /// unknown token, subword prefix or suffix, byte fallback), no normalizer, a `ByteLevel`
    /// pre-tokenizer with GPT-2's pattern and decoder, a post-processor that adds no token, and
    /// added tokens without strip or single-word rules.
    ///
    /// - Throws: ``BPETokenizerError`` naming `file` and the member at fault.
    public init(tokenizerJSON bytes: [UInt8], file: String) throws(BPETokenizerError) {
        let root = try Self.parseJSON(bytes, file: file)
        func invalid(_ path: String, _ expected: String) -> BPETokenizerError {
            BPETokenizerError(file: file, reason: .invalidMember(path, expected: expected))
        }
        func unsupported(_ what: String, _ value: JSONValue?) -> BPETokenizerError {
            let text = value.map { String(decoding: $0.canonicalBytes, as: UTF8.self) } ?? "(missing)"
            return BPETokenizerError(file: file, reason: .unsupported(what: what, value: String(text.prefix(200))))
        }
        func type(of value: JSONValue?) -> String? { value?["type"]?.stringValue }
        /// `value` must be absent, null or one of `allowed`.
        func require(_ value: JSONValue?, _ path: String, in allowed: [JSONValue]) throws(BPETokenizerError) {
            guard let value, value != .null else { return }
            guard allowed.contains(value) else { throw unsupported(path, value) }
        }
        guard root.objectValue != nil else { throw invalid("(top level)", "an object") }
        guard let model = root["model"], model.objectValue != nil else { throw invalid("model", "an object") }
        guard type(of: model) == "BPE" else { throw unsupported("model.type", model["type"]) }
        try require(model["dropout"], "model.dropout", in: [])
        try require(model["unk_token"], "model.unk_token", in: [])
        try require(model["continuing_subword_prefix"], "model.continuing_subword_prefix", in: [""])
        try require(model["end_of_word_suffix"], "model.end_of_word_suffix", in: [""])
        try require(model["byte_fallback"], "model.byte_fallback", in: [false])
        try require(model["fuse_unk"], "model.fuse_unk", in: [false, true])
        try require(model["ignore_merges"], "model.ignore_merges", in: [false, true])
        try require(root["normalizer"], "normalizer", in: [])

        guard let preTokenizer = root["pre_tokenizer"], type(of: preTokenizer) == "ByteLevel" else {
            throw unsupported("pre_tokenizer", root["pre_tokenizer"])
        }
        try require(preTokenizer["use_regex"], "pre_tokenizer.use_regex", in: [true])
        try require(preTokenizer["add_prefix_space"], "pre_tokenizer.add_prefix_space", in: [false, true])
        guard type(of: root["decoder"]) == "ByteLevel" else { throw unsupported("decoder", root["decoder"]) }
        if let post = root["post_processor"], post != .null {
            switch type(of: post) {
            case "ByteLevel": break
            case "TemplateProcessing":
                // Only the identity template: `single` is the sequence alone, no special tokens.
                let single = post["single"]?.arrayValue ?? []
                guard single.count == 1, single[0]["Sequence"] != nil else { throw unsupported("post_processor.single", post["single"]) }
                if let specials = post["special_tokens"], specials != .null, specials.objectValue?.isEmpty != true {
                    throw unsupported("post_processor.special_tokens", specials)
                }
            default: throw unsupported("post_processor", post)
            }
        }

        guard let vocab = model["vocab"]?.objectValue else { throw invalid("model.vocab", "an object of token ids") }
        guard vocab.count <= Self.maxTokenCount else {
            throw BPETokenizerError(file: file, reason: .tooManyTokens(limit: Self.maxTokenCount))
        }
        var byID = try Self.idMap(vocab, path: "model.vocab.", file: file)
        var added: [AddedToken] = []
        for (index, value) in (root["added_tokens"]?.arrayValue ?? []).enumerated() {
            let path = "added_tokens[\(index)]"
            guard let content = value["content"]?.stringValue else { throw invalid(path + ".content", "a string") }
            guard let raw = value["id"]?.integerValue else { throw invalid(path + ".id", "an integer id") }
            guard raw >= 0, raw < Self.maxTokenCount, byID[Int(raw)] == nil || byID[Int(raw)] == content else {
                throw BPETokenizerError(file: file, reason: .invalidTokenID(token: content, id: raw))
            }
            for flag in ["lstrip", "rstrip", "single_word"] { try require(value[flag], path + "." + flag, in: [false]) }
            byID[Int(raw)] = content
            added.append(AddedToken(content: content, id: Int(raw), special: value["special"] == .bool(true)))
        }
        if root["added_tokens"] != nil, root["added_tokens"] != .null, root["added_tokens"]?.arrayValue == nil {
            throw invalid("added_tokens", "an array")
        }
        let tokens = try Self.contiguous(byID, file: file)

        guard let mergeValues = model["merges"]?.arrayValue else { throw invalid("model.merges", "an array") }
        guard mergeValues.count <= Self.maxTokenCount else {
            throw BPETokenizerError(file: file, reason: .tooManyMerges(limit: Self.maxTokenCount))
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeValues.count)
        for (index, value) in mergeValues.enumerated() {
            // "a b" (tokenizers < 0.20) or ["a", "b"].
            if let text = value.stringValue {
                guard let pair = Self.splitMerge(Substring(text)) else {
                    throw BPETokenizerError(file: file, reason: .malformedMerge(text))
                }
                merges.append(pair)
            } else if let pair = value.arrayValue, pair.count == 2, let left = pair[0].stringValue, let right = pair[1].stringValue,
                      !left.isEmpty, !right.isEmpty {
                merges.append((left, right))
            } else {
                throw invalid("model.merges[\(index)]", "\"a b\" or [\"a\", \"b\"] with two non-empty tokens")
            }
        }
        let ignoreMerges = model["ignore_merges"] == .bool(true)
        try self.init(
            tokens: tokens, merges: merges, addedTokens: added, addPrefixSpace: preTokenizer["add_prefix_space"] == .bool(true),
            ignoreMerges: ignoreMerges, file: file, mergeLocation: { _ in (nil, nil) })
    }

    // MARK: Parsing helpers

    private static func parseJSON(_ bytes: [UInt8], file: String) throws(BPETokenizerError) -> JSONValue {
        guard bytes.count <= maxFileByteCount else {
            throw BPETokenizerError(file: file, reason: .fileTooLarge(byteCount: bytes.count, limit: maxFileByteCount))
        }
        do { return try JSONValue(parsing: bytes) } catch {
            let line = 1 + bytes.prefix(max(0, min(error.offset, bytes.count))).lazy.filter { $0 == UInt8(ascii: "\n") }.count
            throw BPETokenizerError(file: file, line: line, offset: error.offset, reason: .json(error))
        }
    }

    /// id -> token of a `token: id` object, each id in range and used once.
    private static func idMap(_ members: [String: JSONValue], path: String, file: String) throws(BPETokenizerError) -> [Int: String] {
        var byID: [Int: String] = [:]
        byID.reserveCapacity(members.count)
        for (token, value) in members {
            guard let raw = value.integerValue else {
                throw BPETokenizerError(file: file, reason: .invalidMember(path + token, expected: "an integer id"))
            }
            guard raw >= 0, raw < maxTokenCount, byID.updateValue(token, forKey: Int(raw)) == nil else {
                throw BPETokenizerError(file: file, reason: .invalidTokenID(token: token, id: raw))
            }
        }
        return byID
    }

    /// The tokens of `byID` in id order; every id below the largest must have one.
    private static func contiguous(_ byID: [Int: String], file: String) throws(BPETokenizerError) -> [String] {
        guard !byID.isEmpty else { throw BPETokenizerError(file: file, reason: .emptyVocabulary) }
        var tokens: [String?] = Array(repeating: nil, count: (byID.keys.max() ?? 0) + 1)
        for (id, token) in byID { tokens[id] = token }
        var out: [String] = []
        out.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            guard let token else { throw BPETokenizerError(file: file, reason: .missingTokenID(id)) }
            out.append(token)
        }
        return out
    }

    private static func tokensByID(_ members: [String: JSONValue], path: String, file: String) throws(BPETokenizerError) -> [String] {
        guard members.count <= maxTokenCount else {
            throw BPETokenizerError(file: file, reason: .tooManyTokens(limit: maxTokenCount))
        }
        return try contiguous(try idMap(members, path: path, file: file), file: file)
    }

    /// `"a b"` as its two tokens: exactly one space, both sides non-empty.
    private static func splitMerge(_ text: Substring) -> (String, String)? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// The merges of `merges.txt`: `\n` (or `\r\n`) separated lines, the first one skipped when it
    /// starts with `#version`, a final empty line allowed, every other line `a b`.
    private static func parseMerges(_ bytes: [UInt8], file: String) throws(BPETokenizerError) -> [(pair: (String, String), line: Int, offset: Int)] {
        guard bytes.count <= maxFileByteCount else {
            throw BPETokenizerError(file: file, reason: .fileTooLarge(byteCount: bytes.count, limit: maxFileByteCount))
        }
        var merges: [(pair: (String, String), line: Int, offset: Int)] = []
        try TextLines.forEach(in: bytes) { (text, line, offset) throws(BPETokenizerError) in
            guard let text else { throw BPETokenizerError(file: file, line: line, offset: offset, reason: .invalidUTF8) }
            if line == 1 && text.hasPrefix("#version") { return }
            guard let pair = splitMerge(Substring(text)) else {
                throw BPETokenizerError(file: file, line: line, offset: offset, reason: .malformedMerge(String(text.prefix(200))))
            }
            guard merges.count < maxTokenCount else { throw BPETokenizerError(file: file, line: line, reason: .tooManyMerges(limit: maxTokenCount)) }
            merges.append((pair, line, offset))
        }
        return merges
    }
}
