import ZooFormat

/// Hugging Face model-folder conventions shared by the converters: which files are assets, how
/// `config.json` becomes a zoo ``ZooFormat/Architecture``, and which relative paths are safe.
enum HuggingFace {
    /// Extensions of weight files: never assets. The folder's own weights are the tensors; weights
    /// in other formats (`tf_model.h5`, `flax_model.msgpack`, `onnx/model.onnx`, a second copy as
    /// `pytorch_model.bin`) are left out and named (``ForeignModel/leftOut``), not copied as bytes.
    static let weightExtensions: Set<String> = [
        "safetensors", "bin", "pt", "pth", "ckpt", "h5", "msgpack", "onnx", "gguf", "ggml", "npz", "npy", "ot",
        "tflite", "pb", "mlmodel", "pkl", "joblib", "engine", "plan",
    ]

    /// Whether the file at relative `path` of a model folder is kept as an asset: every file but
    /// weights, their index files and hidden entries (`.git/`, `.cache/`, `.gitattributes`), so a
    /// folder exports back complete (sentence-transformers' `1_Pooling/config.json`,
    /// `data_config.json`, a model card's images...).
    static func isAsset(_ path: String) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let name = components.last, !components.contains(where: { $0.isEmpty || $0.hasPrefix(".") }) else {
            return false
        }
        return !isWeights(String(name))
    }

    /// Whether a file name is weights (or a weights index), by extension.
    static func isWeights(_ name: String) -> Bool {
        if name.hasSuffix(".index.json") { return true }
        guard let dot = name.lastIndex(of: ".") else { return false }
        return weightExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Bounds on the folder walk, against hostile trees: files and depth.
    static let maxFolderFiles = 10_000
    static let maxFolderDepth = 8

    /// The largest `config.json` read (real ones are a few KB).
    static let maxConfigBytes = 16 << 20

    /// The architecture described by a parsed `config.json`: `type` is its `model_type` (else the
    /// first of `architectures`, else `unknown`), the family is inferred from both, and the
    /// whole object is kept as the configuration.
    static func architecture(config: [String: JSONValue]) -> Architecture {
        let modelType = config["model_type"]?.stringValue
        let architectures = config["architectures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return Architecture(
            family: family(modelType: modelType, architectures: architectures),
            type: modelType ?? architectures.first ?? "unknown", config: config)
    }

    /// Model types by family (Hugging Face `model_type`, with `-` written `_`).
    private static let familyByType: [String: ModelFamily] = {
        var table: [String: ModelFamily] = [:]
        let groups: [(ModelFamily, [String])] = [
            (.autoencoding, [
                "bert", "roberta", "distilbert", "electra", "albert", "deberta", "deberta_v2", "xlm_roberta",
                "camembert", "mpnet", "modernbert", "longformer", "big_bird", "mobilebert", "squeezebert", "convbert",
                "funnel", "ernie", "flaubert", "xlm", "megatron_bert", "nezha", "roformer", "esm",
            ]),
            (.autoregressive, [
                "gpt2", "gpt_neox", "gpt_neo", "gptj", "gpt_bigcode", "llama", "mistral", "mixtral", "gemma",
                "gemma2", "gemma3_text", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "phi", "phi3", "phimoe",
                "falcon", "opt", "bloom", "codegen", "ctrl", "mpt", "stablelm", "starcoder2", "olmo", "olmo2",
                "cohere", "deepseek_v2", "deepseek_v3", "xglm", "rwkv", "mamba", "mamba2", "jamba", "granite",
                "openai_gpt", "transfo_xl", "biogpt", "persimmon", "internlm", "baichuan", "chatglm",
            ]),
            (.seq2seq, [
                "t5", "mt5", "umt5", "longt5", "bart", "mbart", "pegasus", "pegasus_x", "marian", "m2m_100",
                "nllb_moe", "prophetnet", "led", "blenderbot", "blenderbot_small", "fsmt", "encoder_decoder",
                "switch_transformers", "plbart", "bigbird_pegasus",
            ]),
            (.multimodal, [
                "clip", "llava", "llava_next", "llava_onevision", "blip", "blip_2", "instructblip", "vit", "deit",
                "beit", "swin", "convnext", "siglip", "siglip2", "owlvit", "owlv2", "flava", "git", "idefics",
                "idefics2", "idefics3", "paligemma", "qwen2_vl", "qwen2_5_vl", "mllama", "pixtral", "kosmos_2",
                "vision_encoder_decoder", "vision_text_dual_encoder", "whisper", "wav2vec2", "layoutlmv3",
                "chinese_clip", "altclip", "gemma3", "pix2struct", "donut_swin", "dinov2",
            ]),
            (.retrieval, ["rag", "dpr", "realm", "colbert", "colpali"]),
        ]
        for (family, types) in groups { for type in types { table[type] = family } }
        return table
    }()

    /// The family of a model from its `model_type` and `architectures` (e.g. `BertForMaskedLM`).
    static func family(modelType: String?, architectures: [String]) -> ModelFamily {
        if let modelType {
            let key = modelType.lowercased().replacing("-", with: "_")
            if let family = familyByType[key] { return family }
            if ["clip", "llava", "blip", "vit", "vision", "_vl", "siglip"].contains(where: { key.contains($0) }) {
                return .multimodal
            }
        }
        for name in architectures {
            // Longest model type that prefixes the class name: "GPTNeoXForCausalLM" -> gpt_neox.
            let squashed = name.lowercased().replacing("_", with: "")
            let match = familyByType.keys
                .filter { squashed.hasPrefix($0.replacing("_", with: "")) }
                .max { $0.count < $1.count }
            if let match, let family = familyByType[match] { return family }
            if name.hasSuffix("ForCausalLM") || name.hasSuffix("LMHeadModel") { return .autoregressive }
            if name.hasSuffix("ForMaskedLM") { return .autoencoding }
            if name.hasSuffix("ForSeq2SeqLM") { return .seq2seq }
            if name.hasSuffix("ForImageClassification") || name.contains("Vision") { return .multimodal }
        }
        return .other
    }

    /// Whether `path` is a safe relative path inside a folder: not empty, not absolute, no
    /// empty, `.` or `..` component, no backslash or NUL.
    static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.utf8.contains(0), !path.contains("\\") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}
