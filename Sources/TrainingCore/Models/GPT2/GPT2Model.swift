/// The GPT-2 decoder: token and position embeddings, causal transformer blocks and a final layer
/// norm, with HF `GPT2Model`'s parameter names (`wte`, `wpe`, `h.N.*`, `ln_f`).
///
/// ```swift
/// let model = GPT2Model(config: config, seed: 0)
/// try model.load(stateDict: checkpointTensors)
/// model.eval()
/// let output = try withNoGrad { try model(TokenBatch(inputIDs: [[464, 3290, 318]])) }
/// output.lastHiddenState   // [1, 3, n_embd]: features for extraction
/// ```
public final class GPT2Model: Module {
    public let config: GPT2Config
    public let wte: Embedding
    public let wpe: Embedding
    /// Dropout on the summed embeddings (`embd_pdrop`).
    public let drop: Dropout
    public let h: ModuleList<GPT2Block>
    public let lnF: LayerNorm

    /// A model with HF's initialisation (normal(0, `initializerRange`) weights, the residual
    /// projections scaled by 1/√(2 n_layer), zero biases, LayerNorm 1 and 0), reproducible from `seed`.
    public convenience init(config: GPT2Config, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        self.init(config: config, generator: &generator)
    }

    public init(config: GPT2Config, generator: inout SeededGenerator) {
        self.config = config
        let initialization = Initialization.normal(standardDeviation: config.initializerRange)
        wte = Embedding(
            count: config.vocabSize, dimension: config.embeddingSize, initialization: initialization,
            generator: &generator)
        wpe = Embedding(
            count: config.positions, dimension: config.embeddingSize, initialization: initialization,
            generator: &generator)
        drop = Dropout(probability: config.embeddingDropout, generator: generator.split())
        var blocks: [GPT2Block] = []
        for _ in 0..<config.layers { blocks.append(GPT2Block(config: config, generator: &generator)) }
        h = ModuleList(blocks)
        lnF = LayerNorm(features: config.embeddingSize, epsilon: config.layerNormEpsilon)
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [("wte", wte), ("wpe", wpe), ("drop", drop), ("h", h), ("ln_f", lnF)]
    }

    /// The last hidden state of `batch` (after `ln_f`) and the cache extended by its positions.
    ///
    /// Positions continue after the cached ones. Padding (a 0 in the attention mask) is for
    /// right-padded batches: real tokens never attend to it, and the states at padded positions
    /// are meaningless. With a cache, the batch's mask covers only its new positions; every
    /// cached position counts as real.
    ///
    /// - Throws: ``ModelInputError`` when an id is outside the vocabulary, the cached and new
    ///   positions together exceed ``GPT2Config/positions``, or the cache holds another batch size
    ///   or layer count.
    public func callAsFunction(_ batch: TokenBatch, cache: GPT2KeyValueCache? = nil) throws(ModelInputError)
        -> GPT2ModelOutput
    {
        let past = cache?.length ?? 0
        if let cache, !cache.isEmpty {
            guard cache.batchSize == batch.batchSize else {
                throw ModelInputError(
                    reason: .countMismatch(field: "cache batch", expected: batch.batchSize, actual: cache.batchSize))
            }
            guard cache.keys.count == h.modules.count, cache.values.count == h.modules.count else {
                throw ModelInputError(
                    reason: .countMismatch(field: "cache layers", expected: h.modules.count, actual: cache.keys.count))
            }
        }
        let length = batch.sequenceLength
        guard past + length <= wpe.count else {
            throw ModelInputError(reason: .sequenceTooLong(length: past + length, limit: wpe.count))
        }
        try ModelInputError.checkIndices(batch.inputIDs, field: "input_ids", limit: wte.count)
        let words = try wte(batch.inputIDs, shape: [batch.batchSize, length])
        let positions = try wpe(Array(past..<(past + length)), shape: [length])
        var hidden = drop(words + positions)

        // Without padding the mask changes nothing: skip it.
        var mask: Tensor? = nil
        if batch.attentionMask.contains(0) {
            var scalars: [Float] = []
            scalars.reserveCapacity(batch.batchSize * (past + length))
            for row in 0..<batch.batchSize {
                scalars += [Float](repeating: 1, count: past)
                scalars += batch.attentionMask[(row * length)..<((row + 1) * length)].map(Float.init)
            }
            mask = Tensor(shape: [batch.batchSize, past + length], scalars: scalars)
        }
        var next = GPT2KeyValueCache()
        for (index, block) in h.modules.enumerated() {
            let layerPast = cache.flatMap { $0.isEmpty ? nil : (key: $0.keys[index], value: $0.values[index]) }
            let result = block(hidden, mask: mask, past: layerPast)
            hidden = result.output
            next.keys.append(result.key)
            next.values.append(result.value)
        }
        return GPT2ModelOutput(lastHiddenState: lnF(hidden), cache: next)
    }
}

/// What ``GPT2Model`` returns.
public struct GPT2ModelOutput {
    /// `[batch, sequence, hidden]`, after the final layer norm.
    public let lastHiddenState: Variable
    /// The keys and values of every position so far (the given cache's and the batch's).
    public let cache: GPT2KeyValueCache
}
