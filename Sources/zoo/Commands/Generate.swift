import ArgumentParser
import TrainingCore
import ZooFormat
import ZooLoaders
import ZooStore

extension Zoo {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Continue a prompt with a GPT-2 model (greedy, or seeded sampling).",
            discussion: """
                MODEL is a stored GPT-2 model (NAME[:TAG], digest or digest prefix) or a path to a \
                checkpoint folder or .zoo archive. The prompt is token ids (--ids "464,3290,318"), or \
                text (--prompt) when the model carries its byte-level BPE tokenizer (vocab.json + \
                merges.txt, or tokenizer.json, among its assets). Generation stops after \
                --max-new-tokens tokens, after the end-of-text token (eos_token_id of its config), or \
                when the model's positions are full. Greedy by default; --temperature, --top-k or \
                --top-p sample instead, from --seed (the same seed gives the same tokens). Prints the \
                new tokens' text when the model has a tokenizer (without <|endoftext|>), else their ids; --json \
                prints both with the prompt's ids and why generation stopped.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("A stored model reference or a checkpoint path.", valueName: "model"), completion: .file())
        var model: String

        @Option(help: ArgumentHelp("The prompt as token ids, separated by commas or spaces.", valueName: "ids"),
                transform: ModelInput.parseIDs)
        var ids: [Int]?

        @Option(help: ArgumentHelp("The prompt as text (needs the model's tokenizer).", valueName: "text"))
        var prompt: String?

        @Option(help: ArgumentHelp("Generate at most this many tokens.", valueName: "n"))
        var maxNewTokens = 20

        @Option(help: ArgumentHelp("Sample with this temperature (> 0) instead of greedy decoding.", valueName: "t"))
        var temperature: Float?

        @Option(help: ArgumentHelp("Sample among the k most likely tokens (0: all).", valueName: "k"))
        var topK: Int?

        @Option(help: ArgumentHelp("Sample among the most likely tokens whose probability reaches p, in (0, 1].", valueName: "p"))
        var topP: Float?

        @Option(help: ArgumentHelp("The sampler's seed.", valueName: "s"))
        var seed: UInt64?

        @Flag(help: "Print JSON: the model digest, the prompt's ids, the new ids, their text and why generation stopped.")
        var json = false

        var sampling: TokenSampling {
            guard temperature != nil || topK != nil || topP != nil else { return .greedy }
            return .sample(temperature: temperature ?? 1, topK: topK, topP: topP)
        }

        func validate() throws {
            switch (ids, prompt) {
            case (nil, nil): throw ValidationError("Give the prompt: --ids ID,ID,... or --prompt TEXT.")
            case (_?, _?): throw ValidationError("--ids and --prompt are alternatives: give one.")
            default: break
            }
            guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1 (got \(maxNewTokens)).") }
            if seed != nil, sampling == .greedy {
                throw ValidationError("--seed only applies when sampling (--temperature, --top-k or --top-p).")
            }
            do { try sampling.validate() } catch { throw ValidationError("Sampling: \(error).") }
        }

        func run() throws {
            let checkpoint = try ModelInput.checkpoint(model, store: global.openStore)
            let config = try GPT2Loader.config(of: checkpoint)    // names the architecture when it is not GPT-2
            let tokenizer = try BPETokenizer.carried(by: checkpoint, location: model)
            let promptIDs: [Int]
            if let prompt {
                guard let tokenizer else { throw GenerateError.noTokenizer(model: model) }
                promptIDs = tokenizer.encode(prompt)
                guard !promptIDs.isEmpty else { throw GenerateError.emptyPrompt }
            } else {
                promptIDs = ids ?? []
            }
            if let position = promptIDs.firstIndex(where: { $0 >= config.vocabSize }) {
                throw GenerateError.idOutsideVocabulary(
                    id: promptIDs[position], position: position + 1, model: model, vocabularySize: config.vocabSize)
            }
            guard promptIDs.count <= config.positions else {
                throw GenerateError.promptTooLong(tokens: promptIDs.count, positions: config.positions, model: model)
            }
            let model = try GPT2Loader.languageModel(from: checkpoint)
            let newIDs = try model.generate(
                prompt: promptIDs, maxNewTokens: maxNewTokens, sampling: sampling, seed: seed ?? 0,
                eosTokenID: config.eosTokenID)
            // HF's text-generation pipeline leaves special tokens (<|endoftext|>) out of the text.
            let text = tokenizer?.decode(newIDs, skipSpecialTokens: true)
            if json {
                let stop = newIDs.last == config.eosTokenID ? "eos" : newIDs.count == maxNewTokens ? "length" : "positions"
                JSONOutput.print(.object([
                    "model": .string(checkpoint.digest.description),
                    "promptIDs": .array(promptIDs.map { .int($0) }),
                    "ids": .array(newIDs.map { .int($0) }),
                    "text": .optionalString(text),
                    "stop": .string(stop),
                ]))
            } else if let text {
                print(text)
            } else {
                print(newIDs.map(String.init).joined(separator: " "))
            }
        }
    }
}

/// A prompt `zoo generate` cannot use (exit status 1, not a usage error).
enum GenerateError: Error, Equatable, CustomStringConvertible {
    case noTokenizer(model: String)
    case emptyPrompt
    /// `position` is 1-based.
    case idOutsideVocabulary(id: Int, position: Int, model: String, vocabularySize: Int)
    case promptTooLong(tokens: Int, positions: Int, model: String)

    var description: String {
        switch self {
        case let .noTokenizer(model):
            "\(model) has no tokenizer (vocab.json + merges.txt or tokenizer.json among its assets): "
                + "give the prompt as token ids with --ids"
        case .emptyPrompt: "the prompt encodes to no token: give a non-empty text"
        case let .idOutsideVocabulary(id, position, model, size):
            "token id \(id) (prompt position \(position)) is outside the vocabulary of \(model): ids 0..<\(size)"
        case let .promptTooLong(tokens, positions, model):
            "the prompt has \(tokens) tokens, more than the \(positions) positions of \(model)"
        }
    }
}
