/// Word, position and token-type embeddings, summed and normalised (HF's `BertEmbeddings`:
/// `word_embeddings`, `position_embeddings`, `token_type_embeddings`, `LayerNorm`).
public final class BertEmbeddings: Module {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let layerNorm: LayerNorm
    public let dropout: Dropout

    public init(config: BertConfig, generator: inout SeededGenerator) {
        let initialization = Initialization.normal(standardDeviation: config.initializerRange)
        wordEmbeddings = Embedding(
            count: config.vocabSize, dimension: config.hiddenSize, paddingIndex: config.padTokenID,
            initialization: initialization, generator: &generator)
        positionEmbeddings = Embedding(
            count: config.maxPositions, dimension: config.hiddenSize, initialization: initialization,
            generator: &generator)
        tokenTypeEmbeddings = Embedding(
            count: config.typeVocabSize, dimension: config.hiddenSize, initialization: initialization,
            generator: &generator)
        layerNorm = LayerNorm(features: config.hiddenSize, epsilon: config.layerNormEps)
        dropout = Dropout(probability: config.hiddenDropout, generator: generator.split())
    }

    override public var namedChildren: [(name: String, module: Module)] {
        [
            ("word_embeddings", wordEmbeddings), ("position_embeddings", positionEmbeddings),
            ("token_type_embeddings", tokenTypeEmbeddings), ("LayerNorm", layerNorm), ("dropout", dropout),
        ]
    }

    /// HF registers these as buffers; older checkpoints contain them.
    override public var ignoredStateKeys: [String] { ["position_ids", "token_type_ids"] }

    /// `[batch, sequence, hidden]` embeddings of a batch.
    ///
    /// - Throws: ``ModelInputError`` when an id is outside its table or the sequence is longer
    ///   than the position table.
    public func callAsFunction(_ batch: TokenBatch) throws(ModelInputError) -> Variable {
        let length = batch.sequenceLength
        guard length <= positionEmbeddings.count else {
            throw ModelInputError(reason: .sequenceTooLong(length: length, limit: positionEmbeddings.count))
        }
        try ModelInputError.checkIndices(batch.inputIDs, field: "input_ids", limit: wordEmbeddings.count)
        try ModelInputError.checkIndices(batch.tokenTypeIDs, field: "token_type_ids", limit: tokenTypeEmbeddings.count)
        let shape = [batch.batchSize, length]
        let words = try wordEmbeddings(batch.inputIDs, shape: shape)
        let types = try tokenTypeEmbeddings(batch.tokenTypeIDs, shape: shape)
        let positions = try positionEmbeddings(Array(0..<length), shape: [length])
        return dropout(layerNorm(words + types + positions))
    }
}
