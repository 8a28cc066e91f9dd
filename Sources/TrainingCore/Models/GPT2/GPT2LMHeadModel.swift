/// GPT-2 with its language-modelling head tied to the token embeddings, with HF
/// `GPT2LMHeadModel`'s parameter names (`transformer.*`; `lm_head.weight` is `transformer.wte.weight`,
/// which HF's `save_pretrained` leaves out of the file and this model ignores when present).
///
/// ```swift
/// let model = GPT2LMHeadModel(config: config, seed: 0)
/// try model.load(stateDict: checkpointTensors)
/// model.eval()
/// let ids = try model.generate(prompt: [464, 3290], maxNewTokens: 20)              // greedy
/// let sampled = try model.generate(prompt: [464], maxNewTokens: 20, sampling: .sample(topK: 40), seed: 7)
/// ```
public final class GPT2LMHeadModel: Module {
    public let transformer: GPT2Model

    /// A model with HF's initialisation, reproducible from `seed`.
    public convenience init(config: GPT2Config, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        self.init(config: config, generator: &generator)
    }

    public init(config: GPT2Config, generator: inout SeededGenerator) {
        transformer = GPT2Model(config: config, generator: &generator)
    }

    public var config: GPT2Config { transformer.config }

    override public var namedChildren: [(name: String, module: Module)] { [("transformer", transformer)] }

    /// The tied head is `transformer.wte.weight`; a checkpoint's copy of it is not loaded.
    override public var ignoredStateKeys: [String] { ["lm_head.weight"] }

    /// The next-token logits `[batch, sequence, vocab]`, the last hidden state and the extended cache.
    ///
    /// - Throws: ``ModelInputError`` as ``GPT2Model/callAsFunction(_:cache:)``.
    public func callAsFunction(_ batch: TokenBatch, cache: GPT2KeyValueCache? = nil) throws(ModelInputError)
        -> GPT2LMOutput
    {
        let output = try transformer(batch, cache: cache)
        return GPT2LMOutput(
            logits: logits(output.lastHiddenState), lastHiddenState: output.lastHiddenState, cache: output.cache)
    }

    /// `hidden · wteᵀ`: `[..., hidden]` to `[..., vocab]`.
    public func logits(_ hidden: Variable) -> Variable {
        linear(hidden, weight: transformer.wte.weight.variable)
    }

    /// The mean next-token cross-entropy of `batch`, as HF's `labels=input_ids` (each position
    /// predicts the next one); positions whose next token is padding do not count.
    ///
    /// - Throws: ``ModelInputError`` as the forward pass, or `.emptyBatch` when no position has a
    ///   next token.
    public func languageModelingLoss(_ batch: TokenBatch) throws(ModelInputError) -> Variable {
        let hidden = try transformer(batch).lastHiddenState
        let length = batch.sequenceLength
        var rows: [Int] = []
        var labels: [Int] = []
        for row in 0..<batch.batchSize {
            for position in 0..<(length - 1) {
                let index = row * length + position
                guard batch.attentionMask[index] == 1, batch.attentionMask[index + 1] == 1 else { continue }
                rows.append(index)
                labels.append(batch.inputIDs[index + 1])
            }
        }
        guard !rows.isEmpty else { throw ModelInputError(reason: .emptyBatch) }
        let flat = hidden.reshaped([batch.batchSize * length, hidden.shape[2]])
        return try crossEntropy(logits: logits(flat.gatheringRows(rows)), labels: labels)
    }
}

/// What ``GPT2LMHeadModel`` returns.
public struct GPT2LMOutput {
    /// `[batch, sequence, vocab]`.
    public let logits: Variable
    /// `[batch, sequence, hidden]`, after the final layer norm.
    public let lastHiddenState: Variable
    /// The keys and values of every position so far.
    public let cache: GPT2KeyValueCache
}
