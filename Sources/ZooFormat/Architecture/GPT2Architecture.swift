/// GPT-2 as Hugging Face names it: `GPT2LMHeadModel` (`transformer.` prefix, `lm_head` tied to
/// `wte` and optional) and `GPT2Model` (no prefix). Its projections are `Conv1D`s, whose weight
/// is [in, out]: `c_attn` is [hidden, 3 x hidden]. The causal-mask buffers `attn.bias` and
/// `attn.masked_bias` that older checkpoints carry are accepted and not counted. A third scheme is
/// llama.cpp's GGUF names (`blk.N.attn_qkv.weight`), whose converter transposes the `Conv1D`s:
/// there every weight is [out, in] (`attn_qkv` [3 x hidden, hidden]) in zoo order.
public struct GPT2Architecture: KnownArchitecture {
    public let name = "gpt2"
    public let types: Set<String> = ["gpt2"]

    public init() {}

    public let namedConfigurations: [NamedConfiguration] = [
        NamedConfiguration("GPT-2 small", layers: 12, hidden: 768, heads: 12),
        NamedConfiguration("GPT-2 medium", layers: 24, hidden: 1024, heads: 16),
        NamedConfiguration("GPT-2 large", layers: 36, hidden: 1280, heads: 20),
        NamedConfiguration("GPT-2 XL", layers: 48, hidden: 1600, heads: 25),
        NamedConfiguration("DistilGPT2", layers: 6, hidden: 768, heads: 12),
    ]

    public func dimensions(from config: ArchitectureConfig) throws(ArchitectureNote) -> ArchitectureDimensions {
        let hidden = try config.requiredSize(["n_embd", "hidden_size", "embedding_length"])
        // n_inner is null in most GPT-2 configs: the MLP is then 4 x hidden wide (as in transformers).
        let inner = try config.size(["n_inner", "intermediate_size", "feed_forward_length"])
        return ArchitectureDimensions(
            layers: try config.requiredSize(["n_layer", "num_hidden_layers", "block_count"], limit: ArchitectureConfig.maxLayers),
            hidden: hidden,
            heads: try config.requiredSize(["n_head", "num_attention_heads", "attention.head_count"]),
            intermediate: inner ?? LayoutBuilder.product(4, hidden),
            vocabulary: try config.size(["vocab_size"]),
            positions: try config.size(["n_positions", "n_ctx", "max_position_embeddings", "context_length"]))
    }

    public func layouts(for d: ArchitectureDimensions, config: ArchitectureConfig, layerLimit: Int) -> [TensorLayout] {
        let fused = LayoutBuilder.product(3, d.hidden)
        let labels = config.labelCount
        let huggingFace = ["transformer.", ""].map { prefix in
            var b = LayoutBuilder()
            b.add(prefix + "wte.weight", [d.vocabulary, d.hidden])
            b.add(prefix + "wpe.weight", [d.positions, d.hidden])
            for layer in 0..<min(d.layers, layerLimit) {
                let l = prefix + "h.\(layer)."
                b.norm(l + "ln_1", d.hidden)
                b.linear(l + "attn.c_attn", rows: d.hidden, columns: fused, bias: nil)  // Conv1D: [in, out]
                b.add(l + "attn.c_attn.bias", [fused])
                b.linear(l + "attn.c_proj", rows: d.hidden, columns: d.hidden)
                b.norm(l + "ln_2", d.hidden)
                b.linear(l + "mlp.c_fc", rows: d.hidden, columns: d.intermediate, bias: nil)
                b.add(l + "mlp.c_fc.bias", [d.intermediate])
                b.linear(l + "mlp.c_proj", rows: d.intermediate, columns: d.hidden, bias: nil)
                b.add(l + "mlp.c_proj.bias", [d.hidden])
            }
            b.norm(prefix + "ln_f", d.hidden)
            b.add("lm_head.weight", [d.vocabulary, d.hidden], .optional)  // tied to wte
            b.add("score.weight", [labels, d.hidden], .optional)          // GPT2ForSequenceClassification
            return TensorLayout(scheme: prefix.isEmpty ? "Hugging Face GPT2Model" : "Hugging Face, prefix \(prefix)",
                                tensors: b.tensors, layerPrefix: prefix + "h.",
                                bufferSuffixes: [".attn.bias", ".attn.masked_bias"])
        }
        return huggingFace + [ggufLayout(d, layerLimit: layerLimit)]
    }

    /// llama.cpp's GPT-2 tensors (`llama_model_gpt2`'s `create_tensor` calls, ne reversed).
    private func ggufLayout(_ d: ArchitectureDimensions, layerLimit: Int) -> TensorLayout {
        var b = LayoutBuilder()
        b.add("token_embd.weight", [d.vocabulary, d.hidden])
        b.add("position_embd.weight", [d.positions, d.hidden])
        for layer in 0..<min(d.layers, layerLimit) {
            let l = "blk.\(layer)."
            b.norm(l + "attn_norm", d.hidden)
            b.linear(l + "attn_qkv", rows: LayoutBuilder.product(3, d.hidden), columns: d.hidden)
            b.linear(l + "attn_output", rows: d.hidden, columns: d.hidden)
            b.norm(l + "ffn_norm", d.hidden)
            b.linear(l + "ffn_up", rows: d.intermediate, columns: d.hidden)
            b.linear(l + "ffn_down", rows: d.hidden, columns: d.intermediate)
        }
        b.norm("output_norm", d.hidden)
        b.add("output.weight", [d.vocabulary, d.hidden], .optional)  // absent: tied to token_embd
        return TensorLayout(scheme: "GGUF, llama.cpp names", tensors: b.tensors, layerPrefix: "blk.")
    }
}
