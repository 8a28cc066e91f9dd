/// The first feed-forward projection and its activation (HF's `BertIntermediate`: `dense`).
public final class BertIntermediate: Module {
    public let dense: Linear
    public let activation: BertConfig.Activation

    public init(config: BertConfig, generator: inout SeededGenerator) {
        dense = Linear(
            inFeatures: config.hiddenSize, outFeatures: config.intermediateSize,
            initialization: .normal(standardDeviation: config.initializerRange), generator: &generator)
        activation = config.hiddenAct
    }

    override public var namedChildren: [(name: String, module: Module)] { [("dense", dense)] }

    public func callAsFunction(_ hidden: Variable) -> Variable {
        switch activation {
        case .gelu: dense(hidden).gelu()
        case .relu: dense(hidden).relu()
        }
    }
}

/// The second feed-forward projection, with dropout, residual connection and layer norm (HF's
/// `BertOutput`: `dense`, `LayerNorm`).
public final class BertOutput: Module {
    public let dense: Linear
    public let layerNorm: LayerNorm
    public let dropout: Dropout

    public init(config: BertConfig, generator: inout SeededGenerator) {
        dense = Linear(
            inFeatures: config.intermediateSize, outFeatures: config.hiddenSize,
            initialization: .normal(standardDeviation: config.initializerRange), generator: &generator)
        layerNorm = LayerNorm(features: config.hiddenSize, epsilon: config.layerNormEps)
        dropout = Dropout(probability: config.hiddenDropout, generator: generator.split())
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [("dense", dense), ("LayerNorm", layerNorm), ("dropout", dropout)]
    }

    /// `LayerNorm(dropout(dense(intermediate)) + residual)`.
    public func callAsFunction(_ intermediate: Variable, residual: Variable) -> Variable {
        layerNorm(dropout(dense(intermediate)) + residual)
    }
}

/// One transformer block (HF's `BertLayer`: `attention`, `intermediate`, `output`).
public final class BertLayer: Module {
    public let attention: BertAttention
    public let intermediate: BertIntermediate
    public let output: BertOutput

    public init(config: BertConfig, generator: inout SeededGenerator) {
        attention = BertAttention(config: config, generator: &generator)
        intermediate = BertIntermediate(config: config, generator: &generator)
        output = BertOutput(config: config, generator: &generator)
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [("attention", attention), ("intermediate", intermediate), ("output", output)]
    }

    public func callAsFunction(_ hidden: Variable, mask: Tensor?) -> Variable {
        let attended = attention(hidden, mask: mask)
        return output(intermediate(attended), residual: attended)
    }
}

/// The stack of transformer blocks (HF's `BertEncoder`: `layer.0`, `layer.1`, ...).
public final class BertEncoder: Module {
    public let layers: ModuleList<BertLayer>

    public init(config: BertConfig, generator: inout SeededGenerator) {
        var layers: [BertLayer] = []
        for _ in 0..<config.numLayers { layers.append(BertLayer(config: config, generator: &generator)) }
        self.layers = ModuleList(layers)
    }

    override public var namedChildren: [(name: String, module: Module)] { [("layer", layers)] }

    public func callAsFunction(_ hidden: Variable, mask: Tensor?) -> Variable {
        layers.modules.reduce(hidden) { x, layer in layer(x, mask: mask) }
    }
}

/// `tanh(dense(first token))`: the sentence vector for classification (HF's `BertPooler`: `dense`).
public final class BertPooler: Module {
    public let dense: Linear

    public init(config: BertConfig, generator: inout SeededGenerator) {
        dense = Linear(
            inFeatures: config.hiddenSize, outFeatures: config.hiddenSize,
            initialization: .normal(standardDeviation: config.initializerRange), generator: &generator)
    }

    override public var namedChildren: [(name: String, module: Module)] { [("dense", dense)] }

    /// `[batch, sequence, hidden]` to `[batch, hidden]`.
    public func callAsFunction(_ hidden: Variable) -> Variable {
        dense(hidden.token(at: 0)).tanh()
    }
}
