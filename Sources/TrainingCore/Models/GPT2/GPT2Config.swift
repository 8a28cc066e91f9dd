import Foundation

/// The hyper-parameters of a GPT-2 model, decodable from a Hugging Face `config.json`
/// (`model_type: "gpt2"`).
///
/// Members missing from the JSON take HF `GPT2Config`'s defaults (the 124M `gpt2`).
///
/// ```swift
/// let config = try GPT2Config(jsonData: Data(contentsOf: url))
/// let model = GPT2LMHeadModel(config: config, seed: 0)
/// ```
public struct GPT2Config: Codable, Equatable, Sendable {
    /// The activation of the feed-forward block (`activation_function`).
    public enum Activation: String, Codable, Sendable {
        /// The tanh approximation GPT-2 uses (HF's `"gelu_new"`).
        case geluNew = "gelu_new"
        /// The same function under PyTorch's name.
        case geluPyTorchTanh = "gelu_pytorch_tanh"
        /// The exact, erf-based GELU.
        case gelu
        case relu
    }

    /// Token embeddings (`vocab_size`).
    public var vocabSize: Int
    /// Position embeddings, the longest sequence (`n_positions`).
    public var positions: Int
    /// The hidden size (`n_embd`).
    public var embeddingSize: Int
    /// Transformer blocks (`n_layer`).
    public var layers: Int
    /// Attention heads (`n_head`).
    public var heads: Int
    /// The feed-forward size (`n_inner`); `nil` means 4 x ``embeddingSize``.
    public var innerSize: Int?
    public var activation: Activation
    public var layerNormEpsilon: Float
    /// Dropout after the attention and feed-forward projections (`resid_pdrop`).
    public var residualDropout: Float
    /// Dropout on the summed embeddings (`embd_pdrop`).
    public var embeddingDropout: Float
    /// Dropout on the attention weights (`attn_pdrop`).
    public var attentionDropout: Float
    public var initializerRange: Float
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    public var padTokenID: Int?
    /// The classes of a sequence-classification head (`num_labels`, or the size of `id2label`).
    public var numLabels: Int

    public init(
        vocabSize: Int = 50257, positions: Int = 1024, embeddingSize: Int = 768, layers: Int = 12, heads: Int = 12,
        innerSize: Int? = nil, activation: Activation = .geluNew, layerNormEpsilon: Float = 1e-5,
        residualDropout: Float = 0.1, embeddingDropout: Float = 0.1, attentionDropout: Float = 0.1,
        initializerRange: Float = 0.02, bosTokenID: Int? = 50256, eosTokenID: Int? = 50256, padTokenID: Int? = nil,
        numLabels: Int = 2
    ) {
        self.vocabSize = vocabSize
        self.positions = positions
        self.embeddingSize = embeddingSize
        self.layers = layers
        self.heads = heads
        self.innerSize = innerSize
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
        self.residualDropout = residualDropout
        self.embeddingDropout = embeddingDropout
        self.attentionDropout = attentionDropout
        self.initializerRange = initializerRange
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.padTokenID = padTokenID
        self.numLabels = numLabels
    }

    /// Decodes an HF `config.json` and checks it.
    ///
    /// - Throws: ``GPT2ConfigError``: `.malformed` for JSON that does not decode, `.unsupported`
    ///   for options this implementation lacks, `.invalid` for values that make no model.
    public init(jsonData: Data) throws(GPT2ConfigError) {
        self = try ModelConfigError.decode(GPT2Config.self, from: jsonData, model: Self.modelName)
        try validate()
    }

    /// Throws when the values make no model: non-positive sizes, a hidden size that is not a
    /// multiple of the head count, probabilities outside [0, 1], token ids outside the vocabulary.
    public func validate() throws(GPT2ConfigError) {
        var sizes: [(key: String, value: Int)] = [
            ("vocab_size", vocabSize), ("n_positions", positions), ("n_embd", embeddingSize), ("n_layer", layers),
            ("n_head", heads), ("num_labels", numLabels),
        ]
        if let innerSize { sizes.append(("n_inner", innerSize)) }
        try ModelConfigError.checkPositive(sizes, model: Self.modelName)
        try ModelConfigError.checkHeads(hidden: ("n_embd", embeddingSize), heads: ("n_head", heads), model: Self.modelName)
        try ModelConfigError.checkProbabilities(
            [("resid_pdrop", residualDropout), ("embd_pdrop", embeddingDropout), ("attn_pdrop", attentionDropout)],
            model: Self.modelName)
        try ModelConfigError.checkEpsilon(("layer_norm_epsilon", layerNormEpsilon), model: Self.modelName)
        for case let (key, id?) in [("bos_token_id", bosTokenID), ("eos_token_id", eosTokenID), ("pad_token_id", padTokenID)]
        where !(0..<vocabSize).contains(id) {
            throw GPT2ConfigError(
                model: Self.modelName, reason: .invalid(key: key, value: "\(id)", expected: "a token id in 0..<\(vocabSize)"))
        }
    }

    /// What error messages call the model family.
    static let modelName = "GPT-2"

    /// The size of each attention head.
    public var headSize: Int { embeddingSize / heads }
    /// The feed-forward size: ``innerSize``, else 4 x ``embeddingSize``.
    public var feedForwardSize: Int { innerSize ?? 4 * embeddingSize }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case positions = "n_positions"
        case embeddingSize = "n_embd"
        case layers = "n_layer"
        case heads = "n_head"
        case innerSize = "n_inner"
        case activation = "activation_function"
        case layerNormEpsilon = "layer_norm_epsilon"
        case residualDropout = "resid_pdrop"
        case embeddingDropout = "embd_pdrop"
        case attentionDropout = "attn_pdrop"
        case initializerRange = "initializer_range"
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
        case padTokenID = "pad_token_id"
        case numLabels = "num_labels"
        case id2label
        case scaleAttentionWeights = "scale_attn_weights"
        case scaleByLayerIndex = "scale_attn_by_inverse_layer_idx"
        case crossAttention = "add_cross_attention"
        case tieWordEmbeddings = "tie_word_embeddings"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GPT2Config()
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        positions = try c.decodeIfPresent(Int.self, forKey: .positions) ?? d.positions
        embeddingSize = try c.decodeIfPresent(Int.self, forKey: .embeddingSize) ?? d.embeddingSize
        layers = try c.decodeIfPresent(Int.self, forKey: .layers) ?? d.layers
        heads = try c.decodeIfPresent(Int.self, forKey: .heads) ?? d.heads
        innerSize = try c.decodeIfPresent(Int.self, forKey: .innerSize)
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? d.layerNormEpsilon
        residualDropout = try c.decodeIfPresent(Float.self, forKey: .residualDropout) ?? d.residualDropout
        embeddingDropout = try c.decodeIfPresent(Float.self, forKey: .embeddingDropout) ?? d.embeddingDropout
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? d.attentionDropout
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? d.initializerRange
        // An explicit null means "none"; an absent key HF's default.
        bosTokenID = c.contains(.bosTokenID) ? try c.decodeIfPresent(Int.self, forKey: .bosTokenID) : d.bosTokenID
        eosTokenID = c.contains(.eosTokenID) ? try c.decodeIfPresent(Int.self, forKey: .eosTokenID) : d.eosTokenID
        padTokenID = try c.decodeIfPresent(Int.self, forKey: .padTokenID)
        let labels = try c.decodeIfPresent([String: String].self, forKey: .id2label)
        numLabels = try c.decodeIfPresent(Int.self, forKey: .numLabels) ?? labels?.count ?? d.numLabels
        let name = try c.decodeIfPresent(String.self, forKey: .activation) ?? Activation.geluNew.rawValue
        guard let activation = Activation(rawValue: name) else {
            throw GPT2ConfigError(model: Self.modelName, reason: .unsupported(key: "activation_function", value: name))
        }
        self.activation = activation
        // Options that change the computation and that this implementation does not have.
        let unsupported: [(CodingKeys, String, Bool)] = [
            (.scaleAttentionWeights, "scale_attn_weights", true), (.scaleByLayerIndex, "scale_attn_by_inverse_layer_idx", false),
            (.crossAttention, "add_cross_attention", false), (.tieWordEmbeddings, "tie_word_embeddings", true),
        ]
        for (key, name, supported) in unsupported {
            if let value = try c.decodeIfPresent(Bool.self, forKey: key), value != supported {
                throw GPT2ConfigError(model: Self.modelName, reason: .unsupported(key: name, value: "\(value)"))
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(positions, forKey: .positions)
        try c.encode(embeddingSize, forKey: .embeddingSize)
        try c.encode(layers, forKey: .layers)
        try c.encode(heads, forKey: .heads)
        try c.encode(innerSize, forKey: .innerSize)
        try c.encode(activation, forKey: .activation)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(residualDropout, forKey: .residualDropout)
        try c.encode(embeddingDropout, forKey: .embeddingDropout)
        try c.encode(attentionDropout, forKey: .attentionDropout)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(bosTokenID, forKey: .bosTokenID)
        try c.encode(eosTokenID, forKey: .eosTokenID)
        try c.encode(padTokenID, forKey: .padTokenID)
        try c.encode(numLabels, forKey: .numLabels)
    }
}
