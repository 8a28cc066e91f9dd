/// LLaMA-style decoders (LLaMA, Mistral, Qwen2): RMS norms, a gated MLP, rotary positions (no
/// position table), grouped-query attention through `num_key_value_heads`. Two naming schemes:
/// Hugging Face (`model.layers.N.self_attn.q_proj.weight`) and llama.cpp's GGUF names
/// (`blk.N.attn_q.weight`); zoo keeps GGUF tensors in zoo order (dimensions reversed from ggml's
/// `ne`, spec/gguf.md §3.2), so both schemes have the same shapes. `lm_head` / `output` is
/// optional (tied embeddings) unless the config says `tie_word_embeddings: false`; Qwen2's q/k/v
/// biases are optional. With an expert count (`num_local_experts`, GGUF `expert_count`) the
/// MLP is a mixture of experts (Mixtral, ``LayoutBuilder/huggingFaceExperts(_:experts:hidden:width:)``).
public struct LlamaArchitecture: KnownArchitecture {
    public let name = "llama"
    public let types: Set<String> = ["llama", "mistral", "qwen2", "mixtral"]

    public init() {}

    public let namedConfigurations: [NamedConfiguration] = [
        NamedConfiguration("TinyLlama-1.1B", layers: 22, hidden: 2048, heads: 32, keyValueHeads: 4),
        NamedConfiguration("Llama-3.2-1B", layers: 16, hidden: 2048, heads: 32, keyValueHeads: 8),
        NamedConfiguration("Llama-3.2-3B", layers: 28, hidden: 3072, heads: 24, keyValueHeads: 8),
        NamedConfiguration("LLaMA-7B", layers: 32, hidden: 4096, heads: 32, keyValueHeads: 32, vocabulary: 32000),
        NamedConfiguration("Llama-3-8B", layers: 32, hidden: 4096, heads: 32, keyValueHeads: 8, vocabulary: 128_256),
        NamedConfiguration("Mistral-7B", layers: 32, hidden: 4096, heads: 32, keyValueHeads: 8, vocabulary: 32000),
        NamedConfiguration("LLaMA-13B", layers: 40, hidden: 5120, heads: 40, keyValueHeads: 40),
        NamedConfiguration("Llama-2-70B", layers: 80, hidden: 8192, heads: 64, keyValueHeads: 8, vocabulary: 32000),
        NamedConfiguration("Llama-3-70B", layers: 80, hidden: 8192, heads: 64, keyValueHeads: 8, vocabulary: 128_256),
        NamedConfiguration("Mixtral-8x7B", layers: 32, hidden: 4096, heads: 32, keyValueHeads: 8, experts: 8),
        NamedConfiguration("Mixtral-8x22B", layers: 56, hidden: 6144, heads: 48, keyValueHeads: 8, experts: 8),
    ]

    public func dimensions(from config: ArchitectureConfig) throws(ArchitectureNote) -> ArchitectureDimensions {
        ArchitectureDimensions(
            layers: try config.requiredSize(["num_hidden_layers", "block_count"], limit: ArchitectureConfig.maxLayers),
            hidden: try config.requiredSize(["hidden_size", "embedding_length"]),
            heads: try config.requiredSize(["num_attention_heads", "attention.head_count"]),
            keyValueHeads: try config.size(["num_key_value_heads", "attention.head_count_kv"]),
            headSize: try config.size(["head_dim", "attention.key_length"]),
            intermediate: try config.size(["intermediate_size", "feed_forward_length"]),
            vocabulary: try config.size(["vocab_size"]),
            positions: try config.size(["max_position_embeddings", "context_length"]),
            experts: try config.count(["num_local_experts", "expert_count"], limit: ArchitectureConfig.maxExperts),
            expertIntermediate: try config.size(["expert_feed_forward_length"]))
    }

    public func layouts(for d: ArchitectureDimensions, config: ArchitectureConfig, layerLimit: Int) -> [TensorLayout] {
        let headSize = d.resolvedHeadSize
        let query = LayoutBuilder.product(d.heads, headSize)
        let keyValue = LayoutBuilder.product(d.keyValueHeads ?? d.heads, headSize)
        let head: ExpectedTensor.Role = config.flag("tie_word_embeddings") == false ? .required : .optional
        let layers = 0..<min(d.layers, layerLimit)
        let expertWidth = d.expertIntermediate ?? d.intermediate

        var hf = LayoutBuilder()
        hf.add("model.embed_tokens.weight", [d.vocabulary, d.hidden])
        for layer in layers {
            let l = "model.layers.\(layer)."
            hf.norm(l + "input_layernorm", d.hidden, bias: false)
            hf.linear(l + "self_attn.q_proj", rows: query, columns: d.hidden, bias: .optional)
            hf.linear(l + "self_attn.k_proj", rows: keyValue, columns: d.hidden, bias: .optional)
            hf.linear(l + "self_attn.v_proj", rows: keyValue, columns: d.hidden, bias: .optional)
            hf.linear(l + "self_attn.o_proj", rows: d.hidden, columns: query, bias: .optional)
            hf.norm(l + "post_attention_layernorm", d.hidden, bias: false)
            if let experts = d.experts {
                hf.huggingFaceExperts(l, experts: experts, hidden: d.hidden, width: expertWidth)
            } else {
                hf.gatedMLP(l, "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", hidden: d.hidden, width: d.intermediate)
            }
        }
        hf.norm("model.norm", d.hidden, bias: false)
        hf.add("lm_head.weight", [d.vocabulary, d.hidden], head)

        var gguf = LayoutBuilder()
        gguf.add("token_embd.weight", [d.vocabulary, d.hidden])
        for layer in layers {
            let l = "blk.\(layer)."
            gguf.norm(l + "attn_norm", d.hidden, bias: false)
            gguf.linear(l + "attn_q", rows: query, columns: d.hidden, bias: .optional)
            gguf.linear(l + "attn_k", rows: keyValue, columns: d.hidden, bias: .optional)
            gguf.linear(l + "attn_v", rows: keyValue, columns: d.hidden, bias: .optional)
            gguf.linear(l + "attn_output", rows: d.hidden, columns: query, bias: .optional)
            gguf.norm(l + "ffn_norm", d.hidden, bias: false)
            if let experts = d.experts {
                gguf.ggufExperts(l, experts: experts, hidden: d.hidden, width: expertWidth)
            } else {
                gguf.gatedMLP(l, "ffn_gate", "ffn_up", "ffn_down", hidden: d.hidden, width: d.intermediate)
            }
        }
        gguf.norm("output_norm", d.hidden, bias: false)
        gguf.add("output.weight", [d.vocabulary, d.hidden], head)
        gguf.add("rope_freqs.weight", [nil], .buffer)

        return [
            TensorLayout(scheme: "Hugging Face", tensors: hf.tensors, layerPrefix: "model.layers.",
                         bufferSuffixes: [".rotary_emb.inv_freq"]),
            TensorLayout(scheme: "GGUF, llama.cpp names", tensors: gguf.tensors, layerPrefix: "blk."),
        ]
    }
}
