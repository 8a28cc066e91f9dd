/// Query, key and value projections and multi-head scaled dot-product attention (HF's
/// `BertSelfAttention`: `query`, `key`, `value`).
public final class BertSelfAttention: Module {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    /// Dropout on the attention weights (`attention_probs_dropout_prob`).
    public let dropout: Dropout
    public let heads: Int

    public init(config: BertConfig, generator: inout SeededGenerator) {
        let initialization = Initialization.normal(standardDeviation: config.initializerRange)
        let size = config.hiddenSize
        query = Linear(inFeatures: size, outFeatures: size, initialization: initialization, generator: &generator)
        key = Linear(inFeatures: size, outFeatures: size, initialization: initialization, generator: &generator)
        value = Linear(inFeatures: size, outFeatures: size, initialization: initialization, generator: &generator)
        dropout = Dropout(probability: config.attentionDropout, generator: generator.split())
        heads = config.numHeads
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [("query", query), ("key", key), ("value", value), ("dropout", dropout)]
    }

    /// The attention context, `[batch, sequence, hidden]`.
    ///
    /// - Parameter mask: `[batch, sequence]`, 1 for real tokens, 0 for padding.
    public func callAsFunction(_ hidden: Variable, mask: Tensor?) -> Variable {
        let probability = dropout.isTraining ? dropout.probability : 0
        return multiHeadAttention(
            query: query(hidden), key: key(hidden), value: value(hidden), heads: heads, mask: mask,
            dropout: probability, generator: &dropout.generator)
    }
}

/// The projection after attention, with dropout, residual connection and layer norm (HF's
/// `BertSelfOutput`: `dense`, `LayerNorm`).
public final class BertSelfOutput: Module {
    public let dense: Linear
    public let layerNorm: LayerNorm
    public let dropout: Dropout

    public init(config: BertConfig, generator: inout SeededGenerator) {
        dense = Linear(
            inFeatures: config.hiddenSize, outFeatures: config.hiddenSize,
            initialization: .normal(standardDeviation: config.initializerRange), generator: &generator)
        layerNorm = LayerNorm(features: config.hiddenSize, epsilon: config.layerNormEps)
        dropout = Dropout(probability: config.hiddenDropout, generator: generator.split())
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [("dense", dense), ("LayerNorm", layerNorm), ("dropout", dropout)]
    }

    /// `LayerNorm(dropout(dense(hidden)) + residual)`.
    public func callAsFunction(_ hidden: Variable, residual: Variable) -> Variable {
        layerNorm(dropout(dense(hidden)) + residual)
    }
}

/// Self-attention and its output block (HF's `BertAttention`: `self`, `output`).
public final class BertAttention: Module {
    public let selfAttention: BertSelfAttention
    public let output: BertSelfOutput

    public init(config: BertConfig, generator: inout SeededGenerator) {
        selfAttention = BertSelfAttention(config: config, generator: &generator)
        output = BertSelfOutput(config: config, generator: &generator)
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [("self", selfAttention), ("output", output)]
    }

    public func callAsFunction(_ hidden: Variable, mask: Tensor?) -> Variable {
        output(selfAttention(hidden, mask: mask), residual: hidden)
    }
}
