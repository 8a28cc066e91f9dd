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
                folder or .zoo archive; it must be a BERT encoder with its vocabulary (vocab.txt or \
                tokenizer.json) among its assets, e.g. sentence-transformers' all-MiniLM-L6-v2. Each text \
                is tokenized (uncased WordPiece), truncated to the model's maximum length, encoded, \
                averaged over its tokens and L2-normalised, as sentence-transformers does. Prints one \
                line per text, in order: the embedding's numbers separated by spaces; --json prints them \
                with the token counts. For a GPT-2 model each argument is a sequence of token ids (--ids, \
                e.g. "464 3290 318" or "464,3290,318"), and its embedding is the last hidden state averaged \
                over its tokens and L2-normalised.
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
            "Truncate longer texts to this many tokens, [CLS] and [SEP] included (default: the model's, "
                + "e.g. max_seq_length of sentence_bert_config.json).", valueName: "n"))
        var maxLength: Int?

        func validate() throws {
            guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 (got \(batchSize)).") }
            if let maxLength, maxLength < 2 {
                throw ValidationError("--max-length must be at least 2, room for [CLS] and [SEP] (got \(maxLength)).")
            }
        }

        func run() throws {
            let checkpoint = try openCheckpoint()
            if GPT2Loader.isGPT2(checkpoint) { return try runGPT2(checkpoint) }
            if ids { throw ValidationError("--ids is for GPT-2 models; \(model) is not one (it takes texts).") }
            let embedder = try SentenceEmbedder(checkpoint: checkpoint, maxLength: maxLength)
            let texts = try inputTexts()
            let vectors = try embedder.embed(texts, batchSize: batchSize)
            if json {
                JSONOutput.print(Self.json(
                    texts: texts, vectors: vectors, embedder: embedder, digest: checkpoint.digest))
            } else {
                for vector in vectors { print(vector.map { "\($0)" }.joined(separator: " ")) }
            }
        }

        /// Embeds id sequences with a GPT-2 checkpoint's decoder.
        private func runGPT2(_ checkpoint: Checkpoint) throws {
            guard ids else {
                throw ValidationError(
                    "\(model) is a GPT-2 model: pass token ids with --ids (e.g. zoo embed \(model) --ids \"464 3290 318\").")
            }
            let sequences = try inputTexts().map(Self.parseIDs)
            let embedder = try GPT2Embedder(checkpoint: checkpoint)
            let vectors = try embedder.embed(ids: sequences, batchSize: batchSize)
            if json {
                JSONOutput.print(.object([
                    "model": .string(checkpoint.digest.description),
                    "dimension": .int(embedder.dimension),
                    "maxLength": .int(embedder.model.config.positions),
                    "normalized": .bool(embedder.normalizes),
                    "embeddings": .array(zip(sequences, vectors).map { sequence, vector in
                        .object([
                            "ids": .array(sequence.map { .int($0) }),
                            "tokens": .int(sequence.count),
                            "embedding": .array(vector.map { .number(Double($0)) }),
                        ])
                    }),
                ]))
            } else {
                for vector in vectors { print(vector.map { "\($0)" }.joined(separator: " ")) }
            }
        }

        /// `"464 3290,318"` -> `[464, 3290, 318]`.
        static func parseIDs(_ text: String) throws -> [Int] {
            let fields = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
            guard !fields.isEmpty else { throw ValidationError("an empty id sequence: give at least one token id") }
            return try fields.map { field in
                guard let id = Int(field), id >= 0 else {
                    throw ValidationError("'\(field)' is not a token id (a non-negative integer)")
                }
                return id
            }
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

        /// The model `model` names: a stored model, else a checkpoint folder or archive at that path.
        private func openCheckpoint() throws -> Checkpoint {
            let store = global.openStore
            let exists = FileSystem.kind(of: model) != .missing
            if let reference = try? ModelReference(parsing: model) {
                do {
                    return try store.checkpoint(for: reference)
                } catch {
                    guard exists, case .noSuchModel = error.reason else { throw error }
                }
            }
            guard exists else { throw InputError.notFound(model) }
            return try Checkpoint(contentsOf: model)
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
