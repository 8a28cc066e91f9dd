import ZooFormat

/// Building a ``BertTokenizer`` from the files a model ships with.
extension BertTokenizer {
    /// The tokenizer a checkpoint carries among its assets (see ``init(files:maxLength:)``).
    ///
    /// - Throws: ``TokenizerError`` naming the asset.
    public init(checkpoint: Checkpoint, maxLength: Int? = nil) throws(TokenizerError) {
        try self.init(files: try TokenizerFiles(checkpoint: checkpoint), maxLength: maxLength)
    }

    /// The tokenizer described by a model's files, as Hugging Face's `AutoTokenizer` reads them.
    ///
    /// With a `tokenizer.json`, its WordPiece vocabulary, `BertNormalizer` options and added tokens
    /// are used; otherwise `vocab.txt` with the options of `tokenizer_config.json`
    /// (`do_lower_case`, default true; `strip_accents`; `tokenize_chinese_chars`; the special
    /// token names). The maximum length is `maxLength`, else `model_max_length` of
    /// `tokenizer_config.json`, else `max_position_embeddings` of `config.json`, else 512; it never
    /// exceeds `max_position_embeddings`.
    ///
    /// - Throws: ``TokenizerError`` naming the file: `.missingVocabulary`, `.json`,
    ///   `.invalidMember`, `.unsupported` (a tokenizer other than BERT WordPiece),
    ///   `.missingSpecialToken`, `.invalidMaxLength`...
    public init(files: TokenizerFiles, maxLength: Int? = nil) throws(TokenizerError) {
        let configPath = files.location + "/" + TokenizerFiles.Name.tokenizerConfig
        let config = try files.tokenizerConfig.map { bytes throws(TokenizerError) in
            try JSONObject(parsing: bytes, file: configPath)
        }
        let positions = try files.modelConfig.flatMap { bytes throws(TokenizerError) in
            try JSONObject(parsing: bytes, file: files.location + "/" + TokenizerFiles.Name.modelConfig)
                .positiveInteger("max_position_embeddings")
        }
        let configured = try config?.positiveInteger("model_max_length", ignoringAbove: 1_000_000)
        var length = maxLength ?? configured ?? positions ?? 512
        if let positions { length = min(length, positions) }

        var names = BertTokenizer.defaultTokens
        if let config {
            names.classification = try config.tokenName("cls_token") ?? names.classification
            names.separator = try config.tokenName("sep_token") ?? names.separator
            names.padding = try config.tokenName("pad_token") ?? names.padding
            names.unknown = try config.tokenName("unk_token") ?? names.unknown
            names.mask = try config.tokenName("mask_token") ?? names.mask
        }
        let defaultProtected = [names.classification, names.separator, names.padding, names.unknown, names.mask]

        if let bytes = files.tokenizerJSON {
            let path = files.location + "/" + TokenizerFiles.Name.tokenizerJSON
            let json = try JSONObject(parsing: bytes, file: path)
            let model = try json.object("model")
            let type = try model.string("type")
            guard type == "WordPiece" else { throw TokenizerError(file: path, reason: .unsupported(what: "model.type", value: type ?? "null")) }
            let vocabulary = try WordPieceVocabulary(tokenizerModel: model.members, file: path)
            let basic = try Self.basicTokenizer(normalizer: json.members["normalizer"], file: path)
            let preTokenizer = try json.optionalObject("pre_tokenizer")?.string("type")
            guard preTokenizer == "BertPreTokenizer" else {
                throw TokenizerError(file: path, reason: .unsupported(what: "pre_tokenizer.type", value: preTokenizer ?? "null"))
            }
            var added: [String] = []
            for (index, token) in (try json.array("added_tokens") ?? []).enumerated() {
                guard let content = token["content"]?.stringValue else {
                    throw TokenizerError(file: path, reason: .invalidMember("added_tokens[\(index)].content", expected: "a string"))
                }
                added.append(content)
            }
            let unknown = try model.string("unk_token") ?? names.unknown
            do {
                try self.init(
                    vocabulary: vocabulary, basic: basic, maxLength: length, classificationToken: names.classification,
                    separatorToken: names.separator, paddingToken: names.padding, unknownToken: unknown,
                    continuationPrefix: try model.string("continuing_subword_prefix") ?? "##",
                    maxCharactersPerWord: try model.positiveInteger("max_input_chars_per_word") ?? 100,
                    protectedTokens: added.isEmpty ? defaultProtected : added)
            } catch {
                throw TokenizerError(file: path, reason: error.reason)
            }
        } else if let bytes = files.vocabText {
            let path = files.location + "/" + TokenizerFiles.Name.vocabText
            let vocabulary = try WordPieceVocabulary(vocabText: bytes, file: path)
            let lowercase = try config?.bool("do_lower_case") ?? true
            let basic = BasicTokenizer(
                lowercase: lowercase, stripAccents: try config?.bool("strip_accents"),
                splitCJKCharacters: try config?.bool("tokenize_chinese_chars") ?? true)
            do {
                try self.init(
                    vocabulary: vocabulary, basic: basic, maxLength: length, classificationToken: names.classification,
                    separatorToken: names.separator, paddingToken: names.padding, unknownToken: names.unknown,
                    protectedTokens: defaultProtected)
            } catch {
                throw TokenizerError(file: path, reason: error.reason)
            }
        } else {
            throw TokenizerError(file: files.location, reason: .missingVocabulary)
        }
    }

    /// The ``BasicTokenizer`` of a `tokenizer.json` normalizer: `null`, or a `BertNormalizer`.
    private static func basicTokenizer(normalizer: JSONValue?, file: String) throws(TokenizerError) -> BasicTokenizer {
        guard let normalizer, normalizer != .null else {
            return BasicTokenizer(lowercase: false, stripAccents: false, splitCJKCharacters: false, cleanText: false)
        }
        guard let members = normalizer.objectValue else {
            throw TokenizerError(file: file, reason: .invalidMember("normalizer", expected: "an object or null"))
        }
        let object = JSONObject(members: members, path: "normalizer.", file: file)
        let type = try object.string("type")
        guard type == "BertNormalizer" else {
            throw TokenizerError(file: file, reason: .unsupported(what: "normalizer.type", value: type ?? "null"))
        }
        let lowercase = try object.bool("lowercase") ?? true
        return BasicTokenizer(
            lowercase: lowercase, stripAccents: try object.bool("strip_accents"),
            splitCJKCharacters: try object.bool("handle_chinese_chars") ?? true, cleanText: try object.bool("clean_text") ?? true)
    }
}
