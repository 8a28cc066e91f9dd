/// GPT-2 with a linear classifier on one vector per sequence, with HF
/// `GPT2ForSequenceClassification`'s parameter names (`transformer.*`, `score.weight`, no bias).
///
/// HF pools the last real token (a decoder's only token that has seen the whole sequence);
/// ``Pooling/mean`` averages the real tokens' states instead.
public final class GPT2ForSequenceClassification: Module {
    /// How a sequence's hidden states become the classifier's input.
    public enum Pooling: Sendable, Equatable {
        /// The state of the last token whose attention mask is 1 (HF's choice).
        case lastToken
        /// The mean over the tokens whose attention mask is 1.
        case mean
    }

    public let transformer: GPT2Model
    public let score: Linear
    public let pooling: Pooling

    /// A model with HF's initialisation, reproducible from `seed`; ``GPT2Config/numLabels`` classes.
    public convenience init(config: GPT2Config, pooling: Pooling = .lastToken, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        self.init(config: config, pooling: pooling, generator: &generator)
    }

    public init(config: GPT2Config, pooling: Pooling = .lastToken, generator: inout SeededGenerator) {
        transformer = GPT2Model(config: config, generator: &generator)
        score = Linear(
            inFeatures: config.embeddingSize, outFeatures: config.numLabels, bias: false,
            initialization: .normal(standardDeviation: config.initializerRange), generator: &generator)
        self.pooling = pooling
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [("transformer", transformer), ("score", score)]
    }

    /// A language-model checkpoint's tied head is not part of this model.
    override public var ignoredStateKeys: [String] { ["lm_head.weight"] }

    /// The logits, `[batch, numLabels]`.
    ///
    /// - Throws: ``ModelInputError`` for ids outside the vocabulary, sequences longer than the
    ///   positions, or a row without a real token.
    public func callAsFunction(_ batch: TokenBatch) throws(ModelInputError) -> Variable {
        score(try pooled(transformer(batch).lastHiddenState, batch: batch))
    }

    /// One `[batch, hidden]` vector per sequence, as ``pooling`` says.
    func pooled(_ hidden: Variable, batch: TokenBatch) throws(ModelInputError) -> Variable {
        switch pooling {
        case .mean:
            return meanPooling(hidden, mask: batch.maskTensor)
        case .lastToken:
            let length = batch.sequenceLength
            var rows: [Int] = []
            for row in 0..<batch.batchSize {
                let mask = batch.attentionMask[(row * length)..<((row + 1) * length)]
                guard let last = mask.lastIndex(of: 1) else { throw ModelInputError(reason: .emptyBatch) }
                rows.append(last)
            }
            return hidden.reshaped([batch.batchSize * length, hidden.shape[2]]).gatheringRows(rows)
        }
    }
}
