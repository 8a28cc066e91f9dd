/// BERT as Hugging Face names it: `BertModel` (no prefix, as sentence-transformers folders such
/// as all-MiniLM-L6-v2 store it) and the task models under `bert.` (`BertForSequenceClassification`,
/// `BertForMaskedLM`, `BertForPreTraining`), whose heads are optional, as is the pooler. Two more
/// schemes are llama.cpp's GGUF names (`blk.N.attn_q.weight`), with separate or fused
/// (`attn_qkv`, as llama.cpp's loader also accepts) projections.
public struct BertArchitecture: KnownArchitecture {
    public let name = "bert"
    public let types: Set<String> = ["bert"]

    public init() {}

    /// Google's BERT sizes (the 2020 "Well-Read Students" miniatures and the original two).
    public let namedConfigurations: [NamedConfiguration] = [
        NamedConfiguration("BERT-tiny", layers: 2, hidden: 128, heads: 2),
        NamedConfiguration("BERT-mini", layers: 4, hidden: 256, heads: 4),
        NamedConfiguration("BERT-small", layers: 4, hidden: 512, heads: 8),
        NamedConfiguration("BERT-medium", layers: 8, hidden: 512, heads: 8),
        NamedConfiguration("BERT-base", layers: 12, hidden: 768, heads: 12),
        NamedConfiguration("BERT-large", layers: 24, hidden: 1024, heads: 16),
        NamedConfiguration("MiniLM-L6-H384", layers: 6, hidden: 384, heads: 12),
        NamedConfiguration("MiniLM-L12-H384", layers: 12, hidden: 384, heads: 12),
    ]

    public func dimensions(from config: ArchitectureConfig) throws(ArchitectureNote) -> ArchitectureDimensions {
        ArchitectureDimensions(
            layers: try config.requiredSize(["num_hidden_layers", "block_count"], limit: ArchitectureConfig.maxLayers),
            hidden: try config.requiredSize(["hidden_size", "embedding_length"]),
            heads: try config.requiredSize(["num_attention_heads", "attention.head_count"]),
            intermediate: try config.size(["intermediate_size", "feed_forward_length"]),
            vocabulary: try config.size(["vocab_size"]),
            positions: try config.size(["max_position_embeddings", "context_length"]))
    }

    public func layouts(for d: ArchitectureDimensions, config: ArchitectureConfig, layerLimit: Int) -> [TensorLayout] {
        let typeVocabulary = try? config.size(["type_vocab_size"])
        let labels = config.labelCount
        let huggingFace = ["", "bert."].map { prefix in
            var b = LayoutBuilder()
            let e = prefix + "embeddings."
            b.add(e + "word_embeddings.weight", [d.vocabulary, d.hidden])
            b.add(e + "position_embeddings.weight", [d.positions, d.hidden])
            b.add(e + "token_type_embeddings.weight", [typeVocabulary, d.hidden])
            b.norm(e + "LayerNorm", d.hidden)
            for layer in 0..<min(d.layers, layerLimit) {
                let l = prefix + "encoder.layer.\(layer)."
                for projection in ["query", "key", "value"] {
                    b.linear(l + "attention.self." + projection, rows: d.hidden, columns: d.hidden)
                }
                b.linear(l + "attention.output.dense", rows: d.hidden, columns: d.hidden)
                b.norm(l + "attention.output.LayerNorm", d.hidden)
                b.linear(l + "intermediate.dense", rows: d.intermediate, columns: d.hidden)
                b.linear(l + "output.dense", rows: d.hidden, columns: d.intermediate)
                b.norm(l + "output.LayerNorm", d.hidden)
            }
            b.linear(prefix + "pooler.dense", rows: d.hidden, columns: d.hidden, bias: .optional, .optional)
            // Task heads (BertForSequenceClassification, BertForMaskedLM, BertForPreTraining).
            b.linear("classifier", rows: labels, columns: d.hidden, bias: .optional, .optional)
            b.add("cls.predictions.bias", [d.vocabulary], .optional)
            b.linear("cls.predictions.transform.dense", rows: d.hidden, columns: d.hidden, bias: .optional, .optional)
            b.norm("cls.predictions.transform.LayerNorm", d.hidden, .optional)
            b.linear("cls.predictions.decoder", rows: d.vocabulary, columns: d.hidden, bias: .optional, .optional)
            b.linear("cls.seq_relationship", rows: 2, columns: d.hidden, bias: .optional, .optional)
            return TensorLayout(scheme: prefix.isEmpty ? "Hugging Face BertModel" : "Hugging Face, prefix \(prefix)",
                                tensors: b.tensors, layerPrefix: prefix + "encoder.layer.",
                                bufferSuffixes: ["embeddings.token_type_ids"])
        }
        return huggingFace + [false, true].map { ggufLayout(d, typeVocabulary: typeVocabulary, fused: $0, layerLimit: layerLimit) }
    }

    /// llama.cpp's BERT tensors (`llama_model_bert`'s `create_tensor` calls, ne reversed): linear
    /// weights [out, in]; the token-type table and the classifier (`cls`, `cls.output`, rerankers)
    /// are optional there.
    private func ggufLayout(_ d: ArchitectureDimensions, typeVocabulary: Int?, fused: Bool, layerLimit: Int) -> TensorLayout {
        var b = LayoutBuilder()
        b.add("token_embd.weight", [d.vocabulary, d.hidden])
        b.add("token_types.weight", [typeVocabulary, d.hidden], .optional)
        b.add("position_embd.weight", [d.positions, d.hidden])
        b.norm("token_embd_norm", d.hidden)
        for layer in 0..<min(d.layers, layerLimit) {
            let l = "blk.\(layer)."
            if fused {
                b.linear(l + "attn_qkv", rows: LayoutBuilder.product(3, d.hidden), columns: d.hidden)
            } else {
                for projection in ["attn_q", "attn_k", "attn_v"] { b.linear(l + projection, rows: d.hidden, columns: d.hidden) }
            }
            b.linear(l + "attn_output", rows: d.hidden, columns: d.hidden)
            b.norm(l + "attn_output_norm", d.hidden)
            b.linear(l + "ffn_up", rows: d.intermediate, columns: d.hidden)
            b.linear(l + "ffn_down", rows: d.hidden, columns: d.intermediate)
            b.norm(l + "layer_output_norm", d.hidden)
        }
        b.linear("cls", rows: d.hidden, columns: d.hidden, bias: .optional, .optional)
        b.linear("cls.output", rows: nil, columns: d.hidden, bias: .optional, .optional)
        return TensorLayout(scheme: fused ? "GGUF, llama.cpp names, fused attn_qkv" : "GGUF, llama.cpp names",
                            tensors: b.tensors, layerPrefix: "blk.")
    }
}
