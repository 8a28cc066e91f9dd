/// The BERT encoder: embeddings, transformer blocks and an optional pooler, with HF
/// `BertModel`'s parameter names (`embeddings.*`, `encoder.layer.N.*`, `pooler.dense.*`).
///
/// ```swift
/// let model = BertModel(config: config, seed: 0)
/// try model.load(stateDict: checkpointTensors)
/// model.eval()
/// let batch = try TokenBatch(padding: [[101, 7592, 102], [101, 102]])
/// let output = try withNoGrad { try model(batch) }
/// let sentences = meanPooling(output.lastHiddenState, mask: batch.maskTensor).l2Normalized()
/// ```
public final class BertModel: Module {
    public let config: BertConfig
    public let embeddings: BertEmbeddings
    public let encoder: BertEncoder
    public let pooler: BertPooler?

    /// A model with HF's initialisation (normal(0, `initializerRange`) weights, zero biases,
    /// LayerNorm 1 and 0), reproducible from `seed`.
    public convenience init(config: BertConfig, addPooler: Bool = true, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        self.init(config: config, addPooler: addPooler, generator: &generator)
    }

    public init(config: BertConfig, addPooler: Bool = true, generator: inout SeededGenerator) {
        self.config = config
        embeddings = BertEmbeddings(config: config, generator: &generator)
        encoder = BertEncoder(config: config, generator: &generator)
        pooler = addPooler ? BertPooler(config: config, generator: &generator) : nil
    }

    override public var namedChildren: [(name: String, module: Module)] {
        var children: [(name: String, module: Module)] = [("embeddings", embeddings), ("encoder", encoder)]
        if let pooler { children.append(("pooler", pooler)) }
        return children
    }

    /// The last hidden state and, with a pooler, the pooled output.
    ///
    /// - Throws: ``ModelInputError`` when a token id or token type is outside its table or the
    ///   sequence is longer than `maxPositions`.
    public func callAsFunction(_ batch: TokenBatch) throws(ModelInputError) -> BertModelOutput {
        // Without padding the mask changes nothing: skip it.
        let mask = batch.attentionMask.contains(0) ? batch.maskTensor : nil
        let hidden = encoder(try embeddings(batch), mask: mask)
        return BertModelOutput(lastHiddenState: hidden, pooledOutput: pooler?(hidden))
    }
}

/// What ``BertModel`` returns.
public struct BertModelOutput {
    /// `[batch, sequence, hidden]`.
    public let lastHiddenState: Variable
    /// `[batch, hidden]`, when the model has a pooler.
    public let pooledOutput: Variable?
}
