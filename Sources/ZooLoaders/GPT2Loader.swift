import Foundation
import TrainingCore
import ZooFormat

/// GPT-2 checkpoints into TrainingCore's GPT-2 modules.
///
/// Names map 1:1 (HF's): a `GPT2LMHeadModel` checkpoint (`transformer.*`) and a `GPT2Model` one
/// (`wte.weight`, `h.N.*`) both load, into either model class. The tied `lm_head.weight`, absent
/// from HF's files, is ignored when present; so are old checkpoints' `attn.bias` / `attn.masked_bias`
/// mask buffers. Conv1D weights (`[in, out]`) load as they are.
///
/// ```swift
/// let checkpoint = try store.checkpoint(for: try ModelReference(parsing: "gpt2-tiny"))
/// let model = try GPT2Loader.languageModel(from: checkpoint)
/// let ids = try model.generate(prompt: [7, 99, 250], maxNewTokens: 20)
/// ```
public enum GPT2Loader {
    /// Whether the checkpoint declares a GPT-2 model (HF `model_type`, else the manifest's type).
    public static func isGPT2(_ checkpoint: Checkpoint) -> Bool {
        checkpoint.declaredModelType == "gpt2"
    }

    /// The checkpoint's GPT-2 configuration (the manifest's `config.json`), checked against the
    /// tensors that fix its sizes (`wte`, `wpe`, the block count, `h.0.mlp.c_fc`), so that a
    /// config.json claiming a larger model than the file holds is refused before anything of its
    /// size is allocated.
    ///
    /// - Throws: ``GPT2LoadError``: `.notGPT2` for another model type, `.config` for a bad config,
    ///   `.configDisagrees` naming the tensor whose shape does not match.
    public static func config(of checkpoint: Checkpoint) throws(GPT2LoadError) -> GPT2Config {
        let config = try declaredConfig(of: checkpoint)
        try check(config, against: checkpoint)
        return config
    }

    /// `config.json` decoded and validated, not yet compared with the tensors.
    static func declaredConfig(of checkpoint: Checkpoint) throws(GPT2LoadError) -> GPT2Config {
        let architecture = checkpoint.manifest.architecture
        let modelType = checkpoint.declaredModelType
        guard modelType == "gpt2" else {
            throw GPT2LoadError(location: checkpoint.location, reason: .notGPT2(type: modelType))
        }
        do {
            return try GPT2Config(jsonData: Data(JSONValue.object(architecture.config).canonicalBytes))
        } catch {
            throw GPT2LoadError(location: checkpoint.location, reason: .config(error))
        }
    }

    /// Throws unless the tensors that fix the model's sizes have the configuration's shapes.
    static func check(_ config: GPT2Config, against checkpoint: Checkpoint) throws(GPT2LoadError) {
        let shapes = Dictionary(checkpoint.manifest.tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        let prefix = shapes["transformer.wte.weight"] != nil ? "transformer." : ""
        func describe(_ shape: [Int]?) -> String { shape.map { "\($0)" } ?? "no such tensor" }
        let expected: [(String, [Int])] = [
            ("wte.weight", [config.vocabSize, config.embeddingSize]),
            ("wpe.weight", [config.positions, config.embeddingSize]),
            ("h.0.mlp.c_fc.weight", [config.embeddingSize, config.feedForwardSize]),
        ]
        for (name, shape) in expected where shapes[prefix + name] != shape {
            throw GPT2LoadError(
                location: checkpoint.location,
                reason: .configDisagrees(tensor: prefix + name, config: "\(shape)", checkpoint: describe(shapes[prefix + name])))
        }
        let blocks = Set(shapes.keys.compactMap { name -> Int? in
            guard name.hasPrefix(prefix + "h.") else { return nil }
            return Int(name.dropFirst(prefix.count + 2).prefix { $0 != "." })
        })
        if blocks != Set(0..<config.layers) {
            throw GPT2LoadError(
                location: checkpoint.location,
                reason: .configDisagrees(
                    tensor: prefix + "h.N (n_layer)", config: "\(config.layers) blocks", checkpoint: "\(blocks.count) blocks"))
        }
    }

    /// `base` with the renaming the checkpoint needs to load into `model`: a bare `GPT2Model`
    /// checkpoint into a model with a `transformer.` (a head model), or a head model's checkpoint
    /// into a bare `GPT2Model` (its head's tensors are left out).
    public static func loadOptions(for checkpoint: Checkpoint, into model: Module, base: LoadOptions = .init())
        -> LoadOptions
    {
        let wantsPrefix = model.parameter(named: "transformer.wte.weight") != nil
        let hasPrefix = checkpoint.tensorNames.contains("transformer.wte.weight")
        var options = base
        if wantsPrefix, !hasPrefix {
            options.keyMapping = KeyMapping([.addPrefix("transformer.")] + options.keyMapping.rules)
        } else if !wantsPrefix, hasPrefix {
            options.prefix = "transformer."
            options.keyMapping = KeyMapping([.stripPrefix("transformer.")] + options.keyMapping.rules)
        }
        return options
    }

    /// A `GPT2LMHeadModel` with the checkpoint's weights, in evaluation mode; every parameter must
    /// load (strict, as PyTorch).
    ///
    /// - Throws: ``GPT2LoadError`` (not GPT-2, bad config); ``CheckpointLoadError`` or
    ///   ``TrainingCore/LoadError`` when the tensors do not fit.
    public static func languageModel(from checkpoint: Checkpoint, options: LoadOptions = .init()) throws
        -> GPT2LMHeadModel
    {
        try languageModelDetailed(from: checkpoint, options: options).model
    }

    /// ``languageModel(from:options:)`` with the load summary.
    public static func languageModelDetailed(from checkpoint: Checkpoint, options: LoadOptions = .init()) throws
        -> (model: GPT2LMHeadModel, summary: LoadSummary)
    {
        let model = GPT2LMHeadModel(config: try config(of: checkpoint), seed: 0)
        let summary = try CheckpointLoader.loadDetailed(
            checkpoint, into: model, options: loadOptions(for: checkpoint, into: model, base: options))
        model.eval()
        return (model, summary)
    }

    /// The bare `GPT2Model` (no head) with the checkpoint's weights, in evaluation mode: the
    /// feature extractor.
    ///
    /// - Throws: as ``languageModel(from:options:)``.
    public static func model(from checkpoint: Checkpoint, options: LoadOptions = .init()) throws
        -> (model: GPT2Model, summary: LoadSummary)
    {
        let model = GPT2Model(config: try config(of: checkpoint), seed: 0)
        var base = options
        base.exclude.append(.name("lm_head"))
        let summary = try CheckpointLoader.loadDetailed(
            checkpoint, into: model, options: loadOptions(for: checkpoint, into: model, base: base))
        model.eval()
        return (model, summary)
    }
}
