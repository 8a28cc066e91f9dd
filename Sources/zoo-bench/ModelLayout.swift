import ZooFormat

/// One tensor of the generated model: name, dtype and shape, no bytes yet.
struct TensorSpec: Sendable {
    let name: String
    let dtype: DType
    let shape: [Int]

    var elementCount: Int { shape.reduce(1, *) }
    var byteCount: Int { elementCount * dtype.bitWidth / 8 }
}

/// The tensor list of a BERT-like encoder (names as in Hugging Face's `BertModel`): embeddings,
/// `layers` transformer layers (query/key/value/output, a 4x feed-forward block, layer norms) and
/// a pooler. Attention and embeddings are F32; the feed-forward weights of odd layers are F16, so
/// the file mixes dtypes as mixed-precision checkpoints do.
///
/// Sizes are chosen to hit a byte target: ``fitting(targetBytes:)`` keeps BERT-large's width (1024)
/// and picks the layer count; ``scaled(layers:targetBytes:)`` keeps a layer count (hence the exact
/// same tensor names and count) and narrows the width, for a small twin of the same model.
struct ModelLayout: Sendable {
    let hidden: Int
    let vocabulary: Int
    let layers: Int
    let tensors: [TensorSpec]

    /// BERT-large's width and vocabulary.
    static let fullHidden = 1024
    static let fullVocabulary = 30522
    static let positions = 512
    /// Layer counts tried when fitting a target size.
    static let layerRange = 4...96

    init(hidden: Int, layers: Int) {
        self.hidden = hidden
        self.vocabulary = max(16, Self.fullVocabulary * hidden / Self.fullHidden)
        self.layers = layers
        self.tensors = Self.tensorList(hidden: hidden, vocabulary: vocabulary, layers: layers)
    }

    var byteCount: Int { tensors.reduce(0) { $0 + $1.byteCount } }

    /// Full width, as many layers as fit in `targetBytes` (at least ``layerRange``'s lower bound;
    /// when even those do not fit at full width, the width shrinks instead).
    static func fitting(targetBytes: Int) -> ModelLayout {
        var best = ModelLayout(hidden: fullHidden, layers: layerRange.lowerBound)
        guard best.byteCount <= targetBytes else { return scaled(layers: layerRange.lowerBound, targetBytes: targetBytes) }
        for layers in layerRange.dropFirst() {
            let candidate = ModelLayout(hidden: fullHidden, layers: layers)
            if candidate.byteCount > targetBytes { break }
            best = candidate
        }
        return best
    }

    /// `layers` layers, the widest width (a multiple of 16) that fits in `targetBytes`.
    static func scaled(layers: Int, targetBytes: Int) -> ModelLayout {
        var hidden = fullHidden
        var layout = ModelLayout(hidden: hidden, layers: layers)
        while layout.byteCount > targetBytes && hidden > 16 {
            hidden -= 16
            layout = ModelLayout(hidden: hidden, layers: layers)
        }
        return layout
    }

    private static func tensorList(hidden h: Int, vocabulary: Int, layers: Int) -> [TensorSpec] {
        var list: [TensorSpec] = []
        func add(_ name: String, _ dtype: DType, _ shape: [Int]) { list.append(TensorSpec(name: name, dtype: dtype, shape: shape)) }
        func linear(_ prefix: String, out: Int, in inputs: Int, _ dtype: DType = .f32) {
            add(prefix + ".weight", dtype, [out, inputs])
            add(prefix + ".bias", .f32, [out])
        }
        func norm(_ prefix: String) {
            add(prefix + ".weight", .f32, [h])
            add(prefix + ".bias", .f32, [h])
        }
        add("bert.embeddings.word_embeddings.weight", .f32, [vocabulary, h])
        add("bert.embeddings.position_embeddings.weight", .f32, [positions, h])
        add("bert.embeddings.token_type_embeddings.weight", .f32, [2, h])
        norm("bert.embeddings.LayerNorm")
        for i in 0..<layers {
            let layer = "bert.encoder.layer.\(i)"
            for part in ["query", "key", "value"] { linear("\(layer).attention.self.\(part)", out: h, in: h) }
            linear("\(layer).attention.output.dense", out: h, in: h)
            norm("\(layer).attention.output.LayerNorm")
            let ffn: DType = i % 2 == 1 ? .f16 : .f32
            linear("\(layer).intermediate.dense", out: 4 * h, in: h, ffn)
            linear("\(layer).output.dense", out: h, in: 4 * h, ffn)
            norm("\(layer).output.LayerNorm")
        }
        linear("bert.pooler.dense", out: h, in: h)
        return list
    }
}
