/// BERT with dropout and a linear classifier on the pooled output, with HF's parameter names
/// (`bert.*`, `classifier.weight`, `classifier.bias`).
public final class BertForSequenceClassification: Module {
    public let bert: BertModel
    public let dropout: Dropout
    public let classifier: Linear

    /// A model with HF's initialisation, reproducible from `seed`; ``BertConfig/numLabels`` classes.
    public convenience init(config: BertConfig, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        self.init(config: config, generator: &generator)
    }

    public init(config: BertConfig, generator: inout SeededGenerator) {
        bert = BertModel(config: config, addPooler: true, generator: &generator)
        dropout = Dropout(probability: config.classifierDropout ?? config.hiddenDropout, generator: generator.split())
        classifier = Linear(
            inFeatures: config.hiddenSize, outFeatures: config.numLabels,
            initialization: .normal(standardDeviation: config.initializerRange), generator: &generator)
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [("bert", bert), ("dropout", dropout), ("classifier", classifier)]
    }

    /// The logits, `[batch, numLabels]`.
    ///
    /// - Throws: ``ModelInputError`` for ids outside the model's tables.
    public func callAsFunction(_ batch: TokenBatch) throws(ModelInputError) -> Variable {
        let output = try bert(batch)
        guard let pooled = output.pooledOutput else { preconditionFailure("BertModel built with a pooler") }
        return classifier(dropout(pooled))
    }
}
