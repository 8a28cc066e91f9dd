import ArgumentParser
import ZooFormat
import ZooLoaders
import ZooStore

extension Zoo {
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print sentence embeddings from a BERT or GPT-2 model (mean pooling, L2-normalised).",
            discussion: """
                MODEL is a stored model (NAME[:TAG], digest or digest prefix) or a path to a checkpoint \
                folder or .zoo archive: a BERT encoder with its vocabulary (vocab.txt or tokenizer.json) \
                among its assets, e.g. sentence-transformers' all-MiniLM-L6-v2, or a GPT-2 model. For \
                BERT each text is tokenized (uncased WordPiece), truncated to the model's maximum length, encoded, \
                averaged over its tokens and L2-normalised, as sentence-transformers does. Prints one \
                line per text, in order: the embedding's numbers separated by spaces; --json prints them \
                with the token counts. A GPT-2 model embeds texts when it carries its byte-level BPE \
                tokenizer (vocab.json + merges.txt, or tokenizer.json), truncated to its positions, and \
                sequences of token ids with --ids (e.g. "464 3290 318" or "464,3290,318") whether or not \
                it does; its embedding is the last hidden state averaged over the tokens and L2-normalised.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("A stored model reference or a checkpoint path.", valueName: "model"), completion: .file())
        var model: String

        @Argument(help: ArgumentHelp("The texts to embed; - reads one text per line of standard input.", valueName: "text"))
        var texts: [String]

        @Flag(help: "Each text is a sequence of token ids separated by spaces or commas (GPT-2 models).")
        var ids = false

        @Flag(help: "Print JSON: the model digest, the dimension and each text's tokens and embedding.")
        var json = false

        @Option(help: ArgumentHelp("Texts encoded together (padded to the longest).", valueName: "n"))
        var batchSize = SentenceEmbedder.defaultBatchSize

        @Option(help: ArgumentHelp(
            "Truncate longer texts to this many tokens, for BERT [CLS] and [SEP] included (default: the model's, "
                + "e.g. max_seq_length of sentence_bert_config.json, or GPT-2's positions).", valueName: "n"))
        var maxLength: Int?

        func validate() throws {
            guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 (got \(batchSize)).") }
            if let maxLength, maxLength < 2 {
                throw ValidationError("--max-length must be at least 2, room for [CLS] and [SEP] (got \(maxLength)).")
            }
        }

        func run() throws {
            let checkpoint = try ModelInput.checkpoint(model, store: global.openStore)
            if GPT2Loader.isGPT2(checkpoint) { return try runGPT2(checkpoint) }
            if ids { throw ValidationError("--ids is for GPT-2 models; \(model) is not one (it takes texts).") }
            let embedder = try SentenceEmbedder(checkpoint: checkpoint, maxLength: maxLength)
            let texts = try inputTexts()
            let vectors = try embedder.embed(texts, batchSize: batchSize)
            if json {
                JSONOutput.print(Self.json(
                    texts: texts, vectors: vectors, embedder: embedder, digest: checkpoint.digest))
            } else {
                Self.printLines(vectors)
            }
        }

        /// Embeds texts (with the checkpoint's tokenizer) or id sequences with a GPT-2 decoder.
        private func runGPT2(_ checkpoint: Checkpoint) throws {
            let tokenizer = try BPETokenizer.carried(by: checkpoint, location: model)
            guard ids || tokenizer != nil else {
                throw ValidationError(
                    "\(model) is a GPT-2 model: pass token ids with --ids (e.g. zoo embed \(model) --ids \"464 3290 318\"); "
                        + "it carries no tokenizer (vocab.json + merges.txt, or tokenizer.json) to embed texts.")
            }
            let embedder = try GPT2Embedder(checkpoint: checkpoint, tokenizer: tokenizer)
            let texts = try inputTexts()
            let sequences = ids
                ? try texts.map(ModelInput.parseIDs)
                : try embedder.encode(texts).map { Array($0.prefix(maxLength ?? $0.count)) }
            let vectors = try embedder.embed(ids: sequences, batchSize: batchSize)
            guard json else { return Self.printLines(vectors) }
            JSONOutput.print(.object([
                "model": .string(checkpoint.digest.description),
                "dimension": .int(embedder.dimension),
                "maxLength": .int(embedder.model.config.positions),
                "normalized": .bool(embedder.normalizes),
                "embeddings": .array(zip(texts, zip(sequences, vectors)).map { text, pair in
                    var members: [String: JSONValue] = [
                        "ids": .array(pair.0.map { .int($0) }),
                        "tokens": .int(pair.0.count),
                        "embedding": .array(pair.1.map { .number(Double($0)) }),
                    ]
                    if !ids { members["text"] = .string(text) }
                    return .object(members)
                }),
            ]))
        }

        /// One line per vector: its numbers separated by spaces.
        private static func printLines(_ vectors: [[Float]]) {
            for vector in vectors { print(vector.map { "\($0)" }.joined(separator: " ")) }
        }

        /// The arguments, or for a lone `-` each non-empty line of standard input.
        private func inputTexts() throws -> [String] {
            guard texts == ["-"] else { return texts }
            var lines: [String] = []
            while let line = readLine(strippingNewline: true) {
                if !line.isEmpty { lines.append(line) }
            }
            guard !lines.isEmpty else { throw ValidationError("no texts on standard input (one per line)") }
            return lines
        }

        static func json(texts: [String], vectors: [[Float]], embedder: SentenceEmbedder, digest: SHA256Digest) -> JSONValue {
            .object([
                "model": .string(digest.description),
                "dimension": .int(embedder.dimension),
                "maxLength": .int(embedder.tokenizer.maxLength),
                "normalized": .bool(embedder.normalizes),
                "embeddings": .array(zip(texts, vectors).map { text, vector in
                    .object([
                        "text": .string(text),
                        "tokens": .int(embedder.tokenizer.encode(text).count),
                        "embedding": .array(vector.map { .number(Double($0)) }),
                    ])
                }),
            ])
        }
    }
}
