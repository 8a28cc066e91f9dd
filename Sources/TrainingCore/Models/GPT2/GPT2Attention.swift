/// Causal multi-head self-attention with GPT-2's fused projection (HF's `GPT2Attention`:
/// `c_attn` makes query, key and value side by side, `c_proj` projects the context back).
public final class GPT2Attention: Module {
    public let cAttn: Conv1D
    public let cProj: Conv1D
    /// Dropout on the attention weights (`attn_pdrop`).
    public let attnDropout: Dropout
    /// Dropout after `c_proj` (`resid_pdrop`).
    public let residDropout: Dropout
    public let heads: Int

    public init(config: GPT2Config, generator: inout SeededGenerator) {
        let size = config.embeddingSize
        cAttn = Conv1D(
            inFeatures: size, outFeatures: 3 * size, standardDeviation: config.initializerRange, generator: &generator)
        // HF scales the residual projections by 1/√(2 n_layer) at initialisation.
        cProj = Conv1D(
            inFeatures: size, outFeatures: size,
            standardDeviation: config.initializerRange / Float(2 * config.layers).squareRoot(), generator: &generator)
        attnDropout = Dropout(probability: config.attentionDropout, generator: generator.split())
        residDropout = Dropout(probability: config.residualDropout, generator: generator.split())
        heads = config.heads
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [("c_attn", cAttn), ("c_proj", cProj), ("attn_dropout", attnDropout), ("resid_dropout", residDropout)]
    }

    /// Older checkpoints carry the causal mask buffers; the mask is computed here.
    override public var ignoredStateKeys: [String] { ["bias", "masked_bias"] }

    /// The attention output `[batch, sequence, hidden]` and the keys and values of every position
    /// (the cached ones first), `[batch, past + sequence, hidden]`.
    ///
    /// - Parameters:
    ///   - mask: `[batch, past + sequence]`, 1 for real tokens, 0 for padding; `nil` for none.
    ///   - past: the cached keys and values of earlier positions.
    public func callAsFunction(_ hidden: Variable, mask: Tensor?, past: (key: Tensor, value: Tensor)?)
        -> (output: Variable, key: Tensor, value: Tensor)
    {
        let size = hidden.shape[2]
        let qkv = cAttn(hidden)
        let query = qkv.slicingLastDimension(start: 0, count: size)
        var key = qkv.slicingLastDimension(start: size, count: size)
        var value = qkv.slicingLastDimension(start: 2 * size, count: size)
        if let past {
            key = Variable.concatenatingSequences(Variable(past.key), key)
            value = Variable.concatenatingSequences(Variable(past.value), value)
        }
        let probability = attnDropout.isTraining ? attnDropout.probability : 0
        let context = multiHeadAttention(
            query: query, key: key, value: value, heads: heads, mask: mask, dropout: probability,
            causalOffset: key.shape[1] - query.shape[1], generator: &attnDropout.generator)
        return (residDropout(cProj(context)), key.value, value.value)
    }
}

/// The feed-forward block (HF's `GPT2MLP`: `c_fc`, activation, `c_proj`, dropout).
public final class GPT2MLP: Module {
    public let cFc: Conv1D
    public let cProj: Conv1D
    public let dropout: Dropout
    public let activation: GPT2Config.Activation

    public init(config: GPT2Config, generator: inout SeededGenerator) {
        cFc = Conv1D(
            inFeatures: config.embeddingSize, outFeatures: config.feedForwardSize,
            standardDeviation: config.initializerRange, generator: &generator)
        cProj = Conv1D(
            inFeatures: config.feedForwardSize, outFeatures: config.embeddingSize,
            standardDeviation: config.initializerRange / Float(2 * config.layers).squareRoot(), generator: &generator)
        dropout = Dropout(probability: config.residualDropout, generator: generator.split())
        activation = config.activation
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [("c_fc", cFc), ("c_proj", cProj), ("dropout", dropout)]
    }

    public func callAsFunction(_ hidden: Variable) -> Variable {
        let projected = cFc(hidden)
        let activated: Variable
        switch activation {
        case .geluNew, .geluPyTorchTanh: activated = projected.geluTanh()
        case .gelu: activated = projected.gelu()
        case .relu: activated = projected.relu()
        }
        return dropout(cProj(activated))
    }
}

/// One pre-norm transformer block (HF's `GPT2Block`: `ln_1`, `attn`, `ln_2`, `mlp`):
/// `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.
public final class GPT2Block: Module {
    public let ln1: LayerNorm
    public let attn: GPT2Attention
    public let ln2: LayerNorm
    public let mlp: GPT2MLP

    public init(config: GPT2Config, generator: inout SeededGenerator) {
        ln1 = LayerNorm(features: config.embeddingSize, epsilon: config.layerNormEpsilon)
        attn = GPT2Attention(config: config, generator: &generator)
        ln2 = LayerNorm(features: config.embeddingSize, epsilon: config.layerNormEpsilon)
        mlp = GPT2MLP(config: config, generator: &generator)
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [("ln_1", ln1), ("attn", attn), ("ln_2", ln2), ("mlp", mlp)]
    }

    /// The block's output and the keys and values of every position (for the cache).
    public func callAsFunction(_ hidden: Variable, mask: Tensor?, past: (key: Tensor, value: Tensor)?)
        -> (output: Variable, key: Tensor, value: Tensor)
    {
        let attended = attn(ln1(hidden), mask: mask, past: past)
        let residual = hidden + attended.output
        return (residual + mlp(ln2(residual)), attended.key, attended.value)
    }
}
