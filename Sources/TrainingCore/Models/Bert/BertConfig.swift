import Foundation

/// The hyper-parameters of a BERT model, decodable from a Hugging Face `config.json`.
///
/// Members missing from the JSON take HF `BertConfig`'s defaults (bert-base-uncased).
///
/// ```swift
/// let config = try BertConfig(jsonData: Data(contentsOf: url))
/// let model = BertModel(config: config, seed: 0)
/// ```
public struct BertConfig: Codable, Equatable, Sendable {
    /// The activation of the feed-forward block (`hidden_act`).
    public enum Activation: String, Codable, Sendable {
        /// The exact, erf-based GELU (HF's `"gelu"`).
        case gelu
        case relu
    }

    public var vocabSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float
    public var hiddenDropout: Float
    public var attentionDropout: Float
    public var hiddenAct: Activation
    public var initializerRange: Float
    public var padTokenID: Int
    /// The number of classes of a sequence-classification head (`num_labels`, or the size of `id2label`).
    public var numLabels: Int
    /// Dropout before the classifier; `nil` means ``hiddenDropout`` (HF's `classifier_dropout`).
    public var classifierDropout: Float?

    public init(
        vocabSize: Int = 30522, hiddenSize: Int = 768, numLayers: Int = 12, numHeads: Int = 12,
        intermediateSize: Int = 3072, maxPositions: Int = 512, typeVocabSize: Int = 2, layerNormEps: Float = 1e-12,
        hiddenDropout: Float = 0.1, attentionDropout: Float = 0.1, hiddenAct: Activation = .gelu,
        initializerRange: Float = 0.02, padTokenID: Int = 0, numLabels: Int = 2, classifierDropout: Float? = nil
    ) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.hiddenDropout = hiddenDropout
        self.attentionDropout = attentionDropout
        self.hiddenAct = hiddenAct
        self.initializerRange = initializerRange
        self.padTokenID = padTokenID
        self.numLabels = numLabels
        self.classifierDropout = classifierDropout
    }

    /// Decodes an HF `config.json` and checks it.
    ///
    /// - Throws: ``BertConfigError``: `.malformed` for JSON that does not decode, `.invalid` for
    ///   values that make no model.
    public init(jsonData: Data) throws(BertConfigError) {
        self = try ModelConfigError.decode(BertConfig.self, from: jsonData, model: Self.modelName)
        try validate()
    }

    /// Throws when the values make no model: non-positive sizes, a hidden size that is not a
    /// multiple of the head count, probabilities outside [0, 1].
    public func validate() throws(BertConfigError) {
        try ModelConfigError.checkPositive(
            [
                ("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numLayers),
                ("num_attention_heads", numHeads), ("intermediate_size", intermediateSize),
                ("max_position_embeddings", maxPositions), ("type_vocab_size", typeVocabSize), ("num_labels", numLabels),
            ], model: Self.modelName)
        try ModelConfigError.checkHeads(
            hidden: ("hidden_size", hiddenSize), heads: ("num_attention_heads", numHeads), model: Self.modelName)
        try ModelConfigError.checkProbabilities(
            [
                ("hidden_dropout_prob", hiddenDropout), ("attention_probs_dropout_prob", attentionDropout),
                ("classifier_dropout", classifierDropout),
            ], model: Self.modelName)
        try ModelConfigError.checkEpsilon(("layer_norm_eps", layerNormEps), model: Self.modelName)
    }

    /// What error messages call the model family.
    static let modelName = "BERT"

    /// The size of each attention head.
    public var headSize: Int { hiddenSize / numHeads }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case numLayers = "num_hidden_layers"
        case numHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case maxPositions = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
        case hiddenDropout = "hidden_dropout_prob"
        case attentionDropout = "attention_probs_dropout_prob"
        case hiddenAct = "hidden_act"
        case initializerRange = "initializer_range"
        case padTokenID = "pad_token_id"
        case numLabels = "num_labels"
        case classifierDropout = "classifier_dropout"
        case id2label
        case positionEmbeddingType = "position_embedding_type"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = BertConfig()
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        numLayers = try c.decodeIfPresent(Int.self, forKey: .numLayers) ?? d.numLayers
        numHeads = try c.decodeIfPresent(Int.self, forKey: .numHeads) ?? d.numHeads
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        maxPositions = try c.decodeIfPresent(Int.self, forKey: .maxPositions) ?? d.maxPositions
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? d.typeVocabSize
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? d.layerNormEps
        hiddenDropout = try c.decodeIfPresent(Float.self, forKey: .hiddenDropout) ?? d.hiddenDropout
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? d.attentionDropout
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? d.initializerRange
        padTokenID = try c.decodeIfPresent(Int.self, forKey: .padTokenID) ?? d.padTokenID
        classifierDropout = try c.decodeIfPresent(Float.self, forKey: .classifierDropout)
        let labels = try c.decodeIfPresent([String: String].self, forKey: .id2label)
        numLabels = try c.decodeIfPresent(Int.self, forKey: .numLabels) ?? labels?.count ?? d.numLabels
        let activation = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu"
        guard let act = Activation(rawValue: activation) else {
            throw BertConfigError(model: Self.modelName, reason: .unsupported(key: "hidden_act", value: activation))
        }
        hiddenAct = act
        let positions = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "absolute"
        guard positions == "absolute" else {
            throw BertConfigError(model: Self.modelName, reason: .unsupported(key: "position_embedding_type", value: positions))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(numLayers, forKey: .numLayers)
        try c.encode(numHeads, forKey: .numHeads)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(maxPositions, forKey: .maxPositions)
        try c.encode(typeVocabSize, forKey: .typeVocabSize)
        try c.encode(layerNormEps, forKey: .layerNormEps)
        try c.encode(hiddenDropout, forKey: .hiddenDropout)
        try c.encode(attentionDropout, forKey: .attentionDropout)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(padTokenID, forKey: .padTokenID)
        try c.encode(numLabels, forKey: .numLabels)
        try c.encodeIfPresent(classifierDropout, forKey: .classifierDropout)
    }
}
