import ZooFormat

/// How GGUF metadata maps to a zoo manifest's architecture and lineage, both ways
/// (`spec/gguf.md` §4 and §5).
enum GGUFArchitecture {
    // MARK: GGUF -> zoo

    /// `<arch>.` hyperparameter suffixes and the Hugging Face config names they are also given
    /// under, so loaders that know `config.json` find them.
    static let huggingFaceAliases: [(gguf: String, huggingFace: String)] = [
        ("block_count", "num_hidden_layers"),
        ("embedding_length", "hidden_size"),
        ("feed_forward_length", "intermediate_size"),
        ("context_length", "max_position_embeddings"),
        ("attention.head_count", "num_attention_heads"),
        ("attention.head_count_kv", "num_key_value_heads"),
        ("attention.layer_norm_rms_epsilon", "rms_norm_eps"),
        ("attention.layer_norm_epsilon", "layer_norm_eps"),
        ("rope.freq_base", "rope_theta"),
        ("expert_count", "num_local_experts"),
        ("expert_used_count", "num_experts_per_tok"),
    ]

    /// The architecture of a GGUF file: `zoo.architecture` when zoo wrote the file from a
    /// checkpoint of another origin; else `general.architecture` as the type, every
    /// `<arch>.*` key (prefix dropped) plus Hugging Face aliases as the config, and a family
    /// inferred from the architecture name.
    static func architecture(of file: GGUFFile) -> Architecture {
        if let restored = zooArchitecture(file.value(forKey: GGUF.Key.zooArchitecture)) { return restored }
        var type = file.value(forKey: GGUF.Key.architecture)?.stringValue ?? ""
        if type.isEmpty { type = "unknown" }
        var config: [String: JSONValue] = [:]
        let prefix = type + "."
        for pair in file.metadata where pair.key.hasPrefix(prefix) && pair.key.count > prefix.count {
            config[String(pair.key.dropFirst(prefix.count))] = pair.value.plainJSON
        }
        for (gguf, huggingFace) in huggingFaceAliases where config[huggingFace] == nil {
            if let value = config[gguf] { config[huggingFace] = value }
        }
        if config["vocab_size"] == nil, case let .array(_, tokens)? = file.value(forKey: "tokenizer.ggml.tokens") {
            config["vocab_size"] = .integer(Int64(tokens.count))
        }
        if config["model_type"] == nil { config["model_type"] = .string(type) }
        let causal = file.value(forKey: prefix + "attention.causal")
        return Architecture(family: family(of: type, causal: causal), type: type, config: config)
    }

    /// llama.cpp architecture names by family (`LLM_ARCH_NAMES`); others go through the Hugging
    /// Face table, then `<arch>.attention.causal`.
    private static let familyByName: [String: ModelFamily] = {
        var table: [String: ModelFamily] = [:]
        let groups: [(ModelFamily, [String])] = [
            (.autoencoding, [
                "bert", "nomic-bert", "nomic-bert-moe", "neo-bert", "jina-bert-v2", "jina-bert-v3", "modern-bert",
                "eurobert", "t5encoder", "roberta", "xlm-roberta",
            ]),
            (.seq2seq, ["t5", "whisper"]),
            (.multimodal, ["clip", "llava", "mllama", "siglip"]),
            (.autoregressive, [
                "llama", "llama4", "deci", "falcon", "falcon-h1", "grok", "gpt2", "gptj", "gptneox", "mpt", "baichuan",
                "starcoder", "starcoder2", "refact", "bloom", "stablelm", "qwen", "qwen2", "qwen2moe", "qwen2vl", "qwen3",
                "qwen3moe", "phi2", "phi3", "phimoe", "plamo", "plamo2", "codeshell", "orion", "internlm2", "minicpm",
                "minicpm3", "gemma", "gemma2", "gemma3", "gemma3n", "mamba", "mamba2", "xverse", "command-r", "cohere2",
                "dbrx", "olmo", "olmo2", "olmoe", "openelm", "arctic", "deepseek", "deepseek2", "chatglm", "glm4",
                "glm4moe", "bitnet", "nemotron", "exaone", "exaone4", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7", "granite",
                "granitemoe", "granitehybrid", "chameleon", "smollm3", "hunyuan-moe", "hunyuan-dense", "ernie4_5",
                "ernie4_5-moe", "mistral3", "jamba", "bailingmoe", "dots1", "arcee", "gpt-oss", "lfm2", "seed_oss",
            ]),
        ]
        for (family, names) in groups { for name in names { table[name] = family } }
        return table
    }()

    /// The family of GGUF architecture `name`.
    static func family(of name: String, causal: GGUFValue? = nil) -> ModelFamily {
        let key = name.lowercased()
        if let family = familyByName[key] { return family }
        let viaHuggingFace = HuggingFace.family(modelType: key, architectures: [])
        if viaHuggingFace != .other { return viaHuggingFace }
        if key.contains("bert") { return .autoencoding }
        if case .bool(false)? = causal { return .autoencoding }
        return .other
    }

    /// The lineage a GGUF file records: `zoo.lineage.parent` and `zoo.lineage.recipe` when zoo
    /// wrote them; else `general.base_model.*` as `{"kind": "gguf.base_model", "count": N,
    /// "base_models": [{"name": ..., "organization": ..., ...}]}` with no parent (the base
    /// model's zoo digest is unknown). Nil when the file records neither.
    static func lineage(of file: GGUFFile) -> Lineage? {
        let parent = file.value(forKey: GGUF.Key.zooParent)?.stringValue.flatMap(SHA256Digest.init(parsing:))
        var recipe: JSONValue?
        if let text = file.value(forKey: GGUF.Key.zooRecipe)?.stringValue,
            let json = try? JSONValue(parsing: Array(text.utf8)), case .object = json
        {
            recipe = json
        } else if let baseModels = baseModels(file.metadata) {
            recipe = baseModels
        }
        guard parent != nil || recipe != nil else { return nil }
        return Lineage(parent: parent, recipe: recipe)
    }

    /// `general.base_model.count` and `general.base_model.<i>.<field>` as a recipe, or nil.
    private static func baseModels(_ metadata: [GGUFKeyValue]) -> JSONValue? {
        let prefix = "general.base_model."
        var count: JSONValue?
        var fields: [Int: [String: JSONValue]] = [:]
        for pair in metadata where pair.key.hasPrefix(prefix) {
            let rest = pair.key.dropFirst(prefix.count)
            if rest == "count" {
                count = pair.value.plainJSON
                continue
            }
            let parts = rest.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, let index = Int(parts[0]), index >= 0, String(index) == parts[0] else { continue }
            fields[index, default: [:]][String(parts[1])] = pair.value.plainJSON
        }
        guard count != nil || !fields.isEmpty else { return nil }
        var recipe: [String: JSONValue] = [
            "kind": "gguf.base_model",
            "base_models": .array(fields.keys.sorted().map { .object(fields[$0] ?? [:]) }),
        ]
        if let count { recipe["count"] = count }
        return .object(recipe)
    }

    /// The architecture zoo stored in `zoo.architecture`, if valid.
    private static func zooArchitecture(_ value: GGUFValue?) -> Architecture? {
        guard let text = value?.stringValue, let json = try? JSONValue(parsing: Array(text.utf8)),
            case let .string(familyName)? = json["family"], case let .string(type)? = json["type"],
            case let .object(config)? = json["config"]
        else { return nil }
        let family = ModelFamily(rawValue: familyName)
        return Architecture(family: family.isKnown ? family : .other, type: type, config: config)
    }

    // MARK: zoo -> GGUF

    /// Hugging Face `model_type`s whose llama.cpp architecture name differs.
    private static let ggufNameByType: [String: String] = [
        "gpt_neox": "gptneox", "gpt_bigcode": "starcoder", "qwen2_moe": "qwen2moe", "qwen3_moe": "qwen3moe",
        "phi": "phi2", "cohere": "command-r", "deepseek_v2": "deepseek2", "deepseek_v3": "deepseek2",
        "gemma3_text": "gemma3", "modernbert": "modern-bert", "nomic_bert": "nomic-bert", "xlm_roberta": "xlm-roberta",
    ]

    /// The `general.architecture` for a zoo architecture type.
    static func ggufName(forType type: String) -> String {
        let key = type.lowercased()
        if key.isEmpty { return "unknown" }
        return ggufNameByType[key] ?? key
    }

    /// Hugging Face config names written as `<arch>.<key>`, with their GGUF value type.
    private static let exportedHyperparameters: [(huggingFace: String, gguf: String, float: Bool)] = [
        ("max_position_embeddings", "context_length", false),
        ("hidden_size", "embedding_length", false),
        ("num_hidden_layers", "block_count", false),
        ("intermediate_size", "feed_forward_length", false),
        ("num_attention_heads", "attention.head_count", false),
        ("num_key_value_heads", "attention.head_count_kv", false),
        ("rms_norm_eps", "attention.layer_norm_rms_epsilon", true),
        ("layer_norm_eps", "attention.layer_norm_epsilon", true),
        ("layer_norm_epsilon", "attention.layer_norm_epsilon", true),
        ("rope_theta", "rope.freq_base", true),
        ("num_local_experts", "expert_count", false),
        ("num_experts_per_tok", "expert_used_count", false),
        ("vocab_size", "vocab_size", false),
    ]

    /// Metadata for a checkpoint that did not come from GGUF: `general.architecture`,
    /// `general.name`, the standard `<arch>.*` hyperparameters found in its config, and
    /// `zoo.architecture` (the whole architecture, so that importing the file back restores it).
    static func synthesizedMetadata(for manifest: Manifest) -> [GGUFKeyValue] {
        let arch = ggufName(forType: manifest.architecture.type)
        var pairs = [
            GGUFKeyValue(key: GGUF.Key.architecture, value: .text(arch)),
            GGUFKeyValue(key: GGUF.Key.name, value: .text(manifest.name)),
        ]
        var written = Set<String>()
        for (huggingFace, gguf, isFloat) in exportedHyperparameters where !written.contains(gguf) {
            guard let json = manifest.architecture.config[huggingFace] else { continue }
            let value: GGUFValue?
            if isFloat {
                value = json.doubleValue.map { .f32(Float($0)) }
            } else if let integer = json.integerValue {
                value = integer >= 0 && integer <= Int64(UInt32.max) ? .u32(UInt32(integer))
                    : integer >= 0 ? .u64(UInt64(integer)) : .i64(integer)
            } else {
                value = nil
            }
            guard let value else { continue }
            pairs.append(GGUFKeyValue(key: arch + "." + gguf, value: value))
            written.insert(gguf)
        }
        let architecture: JSONValue = [
            "family": .string(manifest.architecture.family.rawValue),
            "type": .string(manifest.architecture.type),
            "config": .object(manifest.architecture.config),
        ]
        pairs.append(GGUFKeyValue(
            key: GGUF.Key.zooArchitecture, value: .string(architecture.canonicalBytes)))
        return pairs
    }

    /// Writes the checkpoint's lineage into `pairs` when zoo made it (a parent digest the file
    /// does not already carry): `general.base_model.count` = 1, `general.base_model.0.name` (the
    /// recipe's `parentName`, when given), `zoo.lineage.parent` and `zoo.lineage.recipe`; earlier
    /// `general.base_model.*` and `zoo.lineage.*` pairs are replaced. `always` also writes a
    /// parent-less recipe (for checkpoints that did not come from GGUF).
    static func applyLineage(_ lineage: Lineage?, to pairs: inout [GGUFKeyValue], always: Bool) {
        guard let lineage else { return }
        let recipe = lineage.recipe.flatMap { $0 == .null ? nil : $0 }
        if let parent = lineage.parent {
            let stored = pairs.first { $0.key == GGUF.Key.zooParent }?.value.stringValue
            guard stored != parent.description else { return }
        } else {
            guard always, recipe != nil else { return }
        }
        pairs.removeAll { $0.key.hasPrefix("general.base_model.") || $0.key.hasPrefix("zoo.lineage.") }
        if let parent = lineage.parent {
            pairs.append(GGUFKeyValue(key: GGUF.Key.baseModelCount, value: .u32(1)))
            if case let .string(name)? = recipe?["parentName"] {
                pairs.append(GGUFKeyValue(key: GGUF.Key.baseModel(0, "name"), value: .text(name)))
            }
            pairs.append(GGUFKeyValue(key: GGUF.Key.zooParent, value: .text(parent.description)))
        }
        if let recipe {
            pairs.append(GGUFKeyValue(key: GGUF.Key.zooRecipe, value: .string(recipe.canonicalBytes)))
        }
    }

    /// `general.file_type` (llama.cpp's `llama_ftype`) for a set of tensors: `MOSTLY_Q8_0` (7)
    /// when any is Q8_0, else the float type holding most elements among matrices: `ALL_F32`
    /// (0), `MOSTLY_F16` (1) or `MOSTLY_BF16` (32). Nil when there is no such tensor.
    static func fileType(of tensors: [TensorEntry]) -> UInt32? {
        if tensors.contains(where: { $0.dtype == .q8_0 }) { return 7 }
        var counts: [DType: Int] = [:]
        for tensor in tensors where tensor.shape.count >= 2 && [.f32, .f16, .bf16].contains(tensor.dtype) {
            counts[tensor.dtype, default: 0] += tensor.elementCount
        }
        guard let top = counts.max(by: { ($0.value, $0.key.rawValue) < ($1.value, $1.key.rawValue) })?.key else { return nil }
        switch top {
        case .f32: return 0
        case .f16: return 1
        default: return 32
        }
    }
}
