import Foundation
import XCTest
import ZooFormat

// Builders for the architecture-check tests: tensor lists written out from each library's own
// naming (transformers' modeling_bert / modeling_gpt2 / modeling_llama, llama.cpp's GGUF names),
// independently of the expected-tensor tables under test.

/// A list of (name, shape) as a checkpoint would hold them.
struct TensorList {
    var entries: [(name: String, shape: [Int])] = []

    mutating func add(_ name: String, _ shape: [Int]) { entries.append((name, shape)) }
    mutating func remove(_ name: String) { entries.removeAll { $0.name == name } }
    mutating func reshape(_ name: String, _ shape: [Int]) {
        for i in entries.indices where entries[i].name == name { entries[i].shape = shape }
    }

    /// Manifest tensor entries (F32; the check reads names and shapes only).
    var tensors: [TensorEntry] {
        let digest = SHA256.digest([UInt8]())
        return entries.map { entry in
            let count = entry.shape.reduce(1, *)
            return TensorEntry(name: entry.name, dtype: .f32, shape: entry.shape, shard: 0, offset: 0, length: count * 4,
                               digest: digest)
        }
    }
}

enum ArchitectureFixtures {
    /// transformers' BertModel state dict under `prefix` (`bert.` for the task models).
    static func bert(layers: Int, hidden: Int, heads: Int, intermediate: Int, vocab: Int, positions: Int = 512,
                     prefix: String = "", pooler: Bool = true) -> TensorList
    {
        var t = TensorList()
        let e = prefix + "embeddings."
        t.add(e + "word_embeddings.weight", [vocab, hidden])
        t.add(e + "position_embeddings.weight", [positions, hidden])
        t.add(e + "token_type_embeddings.weight", [2, hidden])
        t.add(e + "LayerNorm.weight", [hidden])
        t.add(e + "LayerNorm.bias", [hidden])
        for n in 0..<layers {
            let l = prefix + "encoder.layer.\(n)."
            for p in ["query", "key", "value"] {
                t.add(l + "attention.self.\(p).weight", [hidden, hidden])
                t.add(l + "attention.self.\(p).bias", [hidden])
            }
            t.add(l + "attention.output.dense.weight", [hidden, hidden])
            t.add(l + "attention.output.dense.bias", [hidden])
            t.add(l + "attention.output.LayerNorm.weight", [hidden])
            t.add(l + "attention.output.LayerNorm.bias", [hidden])
            t.add(l + "intermediate.dense.weight", [intermediate, hidden])
            t.add(l + "intermediate.dense.bias", [intermediate])
            t.add(l + "output.dense.weight", [hidden, intermediate])
            t.add(l + "output.dense.bias", [hidden])
            t.add(l + "output.LayerNorm.weight", [hidden])
            t.add(l + "output.LayerNorm.bias", [hidden])
        }
        if pooler {
            t.add(prefix + "pooler.dense.weight", [hidden, hidden])
            t.add(prefix + "pooler.dense.bias", [hidden])
        }
        return t
    }

    static func bertConfig(layers: Int, hidden: Int, heads: Int, intermediate: Int, vocab: Int, positions: Int = 512)
        -> [String: JSONValue]
    {
        ["model_type": "bert", "num_hidden_layers": .integer(Int64(layers)), "hidden_size": .integer(Int64(hidden)),
         "num_attention_heads": .integer(Int64(heads)), "intermediate_size": .integer(Int64(intermediate)),
         "vocab_size": .integer(Int64(vocab)), "max_position_embeddings": .integer(Int64(positions)), "type_vocab_size": 2]
    }

    /// transformers' GPT2LMHeadModel state dict (Conv1D weights [in, out]); `lmHead` adds the
    /// tied head as a separate tensor, `masks` the old `attn.bias` / `attn.masked_bias` buffers.
    static func gpt2(layers: Int, hidden: Int, vocab: Int = 50257, positions: Int = 1024, prefix: String = "transformer.",
                     lmHead: Bool = false, masks: Bool = false) -> TensorList
    {
        var t = TensorList()
        t.add(prefix + "wte.weight", [vocab, hidden])
        t.add(prefix + "wpe.weight", [positions, hidden])
        for n in 0..<layers {
            let l = prefix + "h.\(n)."
            t.add(l + "ln_1.weight", [hidden])
            t.add(l + "ln_1.bias", [hidden])
            t.add(l + "attn.c_attn.weight", [hidden, 3 * hidden])
            t.add(l + "attn.c_attn.bias", [3 * hidden])
            t.add(l + "attn.c_proj.weight", [hidden, hidden])
            t.add(l + "attn.c_proj.bias", [hidden])
            t.add(l + "ln_2.weight", [hidden])
            t.add(l + "ln_2.bias", [hidden])
            t.add(l + "mlp.c_fc.weight", [hidden, 4 * hidden])
            t.add(l + "mlp.c_fc.bias", [4 * hidden])
            t.add(l + "mlp.c_proj.weight", [4 * hidden, hidden])
            t.add(l + "mlp.c_proj.bias", [hidden])
            if masks {
                t.add(l + "attn.bias", [1, 1, positions, positions])
                t.add(l + "attn.masked_bias", [])
            }
        }
        t.add(prefix + "ln_f.weight", [hidden])
        t.add(prefix + "ln_f.bias", [hidden])
        if lmHead { t.add("lm_head.weight", [vocab, hidden]) }
        return t
    }

    /// A GPT-2 config.json as transformers writes it (`n_inner` null).
    static func gpt2Config(layers: Int, hidden: Int, heads: Int, vocab: Int = 50257, positions: Int = 1024) -> [String: JSONValue] {
        ["model_type": "gpt2", "n_layer": .integer(Int64(layers)), "n_embd": .integer(Int64(hidden)),
         "n_head": .integer(Int64(heads)), "n_positions": .integer(Int64(positions)), "n_ctx": .integer(Int64(positions)),
         "vocab_size": .integer(Int64(vocab)), "n_inner": .null]
    }

    /// transformers' LlamaForCausalLM state dict, or with `gguf` llama.cpp's names for the same weights.
    static func llama(layers: Int, hidden: Int, heads: Int, kvHeads: Int, intermediate: Int, vocab: Int,
                      gguf: Bool = false, head: Bool = true) -> TensorList
    {
        var t = TensorList()
        let d = hidden / heads
        let names = gguf
            ? ["token_embd.weight", "blk.", "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate",
               "ffn_up", "ffn_down", "output_norm.weight", "output.weight"]
            : ["model.embed_tokens.weight", "model.layers.", "input_layernorm", "self_attn.q_proj", "self_attn.k_proj",
               "self_attn.v_proj", "self_attn.o_proj", "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj",
               "mlp.down_proj", "model.norm.weight", "lm_head.weight"]
        t.add(names[0], [vocab, hidden])
        for n in 0..<layers {
            let l = names[1] + "\(n)."
            t.add(l + names[2] + ".weight", [hidden])
            t.add(l + names[3] + ".weight", [heads * d, hidden])
            t.add(l + names[4] + ".weight", [kvHeads * d, hidden])
            t.add(l + names[5] + ".weight", [kvHeads * d, hidden])
            t.add(l + names[6] + ".weight", [hidden, heads * d])
            t.add(l + names[7] + ".weight", [hidden])
            t.add(l + names[8] + ".weight", [intermediate, hidden])
            t.add(l + names[9] + ".weight", [intermediate, hidden])
            t.add(l + names[10] + ".weight", [hidden, intermediate])
        }
        t.add(names[11], [hidden])
        if head { t.add(names[12], [vocab, hidden]) }
        return t
    }

    static func llamaConfig(layers: Int, hidden: Int, heads: Int, kvHeads: Int, intermediate: Int, vocab: Int,
                            tied: Bool = false) -> [String: JSONValue]
    {
        ["model_type": "llama", "num_hidden_layers": .integer(Int64(layers)), "hidden_size": .integer(Int64(hidden)),
         "num_attention_heads": .integer(Int64(heads)), "num_key_value_heads": .integer(Int64(kvHeads)),
         "intermediate_size": .integer(Int64(intermediate)), "vocab_size": .integer(Int64(vocab)),
         "max_position_embeddings": 4096, "tie_word_embeddings": .bool(tied)]
    }

    /// What zoo's GGUF importer keeps as config for a llama file (spec/gguf.md §4: `<arch>.*`
    /// keys without the prefix, HF aliases, vocab_size from the token list).
    static func ggufLlamaConfig(layers: Int, hidden: Int, heads: Int, kvHeads: Int, intermediate: Int, vocab: Int)
        -> [String: JSONValue]
    {
        ["model_type": "llama", "block_count": .integer(Int64(layers)), "embedding_length": .integer(Int64(hidden)),
         "attention.head_count": .integer(Int64(heads)), "attention.head_count_kv": .integer(Int64(kvHeads)),
         "feed_forward_length": .integer(Int64(intermediate)), "context_length": 2048, "vocab_size": .integer(Int64(vocab)),
         "rope.dimension_count": .integer(Int64(hidden / heads))]
    }

    /// transformers' MixtralForCausalLM state dict (`MixtralSparseMoeBlock`: router `gate`, experts
    /// w1 gate / w3 up [I, h], w2 down [h, I]), or with `gguf` llama.cpp's names with the experts
    /// stacked (`ffn_gate_exps` [E, I, h] ... in numpy order, ggml's ne reversed).
    static func mixtral(layers: Int, hidden: Int, heads: Int, kvHeads: Int, intermediate: Int, vocab: Int, experts: Int,
                        gguf: Bool = false) -> TensorList
    {
        var t = llama(layers: layers, hidden: hidden, heads: heads, kvHeads: kvHeads, intermediate: intermediate, vocab: vocab,
                      gguf: gguf)
        let dense = gguf ? ["ffn_gate", "ffn_up", "ffn_down"] : ["mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
        t.entries.removeAll { entry in dense.contains { entry.name.hasSuffix("." + $0 + ".weight") } }
        for n in 0..<layers {
            if gguf {
                let l = "blk.\(n)."
                t.add(l + "ffn_gate_inp.weight", [experts, hidden])
                t.add(l + "ffn_gate_exps.weight", [experts, intermediate, hidden])
                t.add(l + "ffn_down_exps.weight", [experts, hidden, intermediate])
                t.add(l + "ffn_up_exps.weight", [experts, intermediate, hidden])
            } else {
                let l = "model.layers.\(n).block_sparse_moe."
                t.add(l + "gate.weight", [experts, hidden])
                for e in 0..<experts {
                    t.add(l + "experts.\(e).w1.weight", [intermediate, hidden])
                    t.add(l + "experts.\(e).w2.weight", [hidden, intermediate])
                    t.add(l + "experts.\(e).w3.weight", [intermediate, hidden])
                }
            }
        }
        return t
    }

    static func mixtralConfig(layers: Int, hidden: Int, heads: Int, kvHeads: Int, intermediate: Int, vocab: Int, experts: Int)
        -> [String: JSONValue]
    {
        var config = llamaConfig(layers: layers, hidden: hidden, heads: heads, kvHeads: kvHeads, intermediate: intermediate,
                                 vocab: vocab)
        config["model_type"] = "mixtral"
        config["num_local_experts"] = .integer(Int64(experts))
        config["num_experts_per_tok"] = 2
        return config
    }

    /// llama.cpp's GPT-2 tensors (convert_hf_to_gguf transposes the Conv1Ds: [out, in] in numpy order).
    static func gpt2GGUF(layers: Int, hidden: Int, vocab: Int, positions: Int) -> TensorList {
        var t = TensorList()
        t.add("token_embd.weight", [vocab, hidden])
        t.add("position_embd.weight", [positions, hidden])
        for n in 0..<layers {
            let l = "blk.\(n)."
            for (name, rows, columns) in [("attn_norm", hidden, 0), ("attn_qkv", 3 * hidden, hidden), ("attn_output", hidden, hidden),
                                          ("ffn_norm", hidden, 0), ("ffn_up", 4 * hidden, hidden), ("ffn_down", hidden, 4 * hidden)]
            {
                t.add(l + name + ".weight", columns == 0 ? [rows] : [rows, columns])
                t.add(l + name + ".bias", [rows])
            }
        }
        t.add("output_norm.weight", [hidden])
        t.add("output_norm.bias", [hidden])
        return t
    }

    /// llama.cpp's BERT tensors, with separate attn_q/k/v or one fused attn_qkv.
    static func bertGGUF(layers: Int, hidden: Int, intermediate: Int, vocab: Int, positions: Int = 512, fused: Bool = false)
        -> TensorList
    {
        var t = TensorList()
        t.add("token_embd.weight", [vocab, hidden])
        t.add("token_types.weight", [2, hidden])
        t.add("position_embd.weight", [positions, hidden])
        t.add("token_embd_norm.weight", [hidden])
        t.add("token_embd_norm.bias", [hidden])
        for n in 0..<layers {
            let l = "blk.\(n)."
            var parts = fused ? [("attn_qkv", 3 * hidden, hidden)] : [("attn_q", hidden, hidden), ("attn_k", hidden, hidden), ("attn_v", hidden, hidden)]
            parts += [("attn_output", hidden, hidden), ("attn_output_norm", hidden, 0), ("ffn_up", intermediate, hidden),
                      ("ffn_down", hidden, intermediate), ("layer_output_norm", hidden, 0)]
            for (name, rows, columns) in parts {
                t.add(l + name + ".weight", columns == 0 ? [rows] : [rows, columns])
                t.add(l + name + ".bias", [rows])
            }
        }
        return t
    }

    /// What zoo's GGUF importer keeps as config for a GPT-2 or BERT file (spec/gguf.md §4).
    static func ggufConfig(layers: Int, hidden: Int, heads: Int, intermediate: Int, vocab: Int, positions: Int) -> [String: JSONValue] {
        ["block_count": .integer(Int64(layers)), "embedding_length": .integer(Int64(hidden)),
         "attention.head_count": .integer(Int64(heads)), "feed_forward_length": .integer(Int64(intermediate)),
         "context_length": .integer(Int64(positions)), "vocab_size": .integer(Int64(vocab)),
         "num_hidden_layers": .integer(Int64(layers)), "hidden_size": .integer(Int64(hidden)),
         "num_attention_heads": .integer(Int64(heads)), "intermediate_size": .integer(Int64(intermediate)),
         "max_position_embeddings": .integer(Int64(positions))]
    }

    /// The tensors (name, shape) of a safetensors file, read from its header.
    static func safetensorsTensors(_ path: String) throws -> TensorList {
        let bytes = try readBytes(path)
        let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONValue(parsing: Array(bytes[8..<(8 + length)]))
        var list = TensorList()
        for (name, value) in header.objectValue ?? [:] where name != "__metadata__" {
            list.add(name, value["shape"]?.arrayValue?.compactMap { $0.integerValue.map(Int.init) } ?? [])
        }
        list.entries.sort { $0.name < $1.name }
        return list
    }

    static func jsonObject(_ path: String) throws -> [String: JSONValue] {
        try JSONValue(parsing: try readBytes(path)).objectValue ?? [:]
    }
}
