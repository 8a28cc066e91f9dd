import ZooFormat

/// How ``ModelExporter`` names and describes a new checkpoint.
public struct ExportOptions: Sendable {
    /// The manifest name; `nil` takes the parent's (else `model`).
    public var name: String?
    /// The architecture; `nil` copies the parent's (else family `other`, type `unknown`).
    public var architecture: Architecture?
    /// Members set in the architecture's config (and in a `config.json` asset), e.g.
    /// `["finetuning_task": "topics"]`.
    public var configUpdates: [String: JSONValue]
    /// Class names of a classification head: sets `num_labels`, `id2label` and `label2id`.
    /// `nil` keeps the parent's, except that a BertForSequenceClassification whose class count
    /// differs from the config gets `LABEL_0`, `LABEL_1`, ... (as Hugging Face names them).
    public var labels: [String]?
    /// Copy the parent's assets (vocabulary, tokenizer, config...) byte for byte, except
    /// `config.json`, which is rewritten when the config changes.
    public var copyAssets: Bool
    /// The manifest's metadata.
    public var metadata: [String: JSONValue]
    /// Shard layout; the default (by layer) lets unchanged layers share blobs with the parent.
    public var writerOptions: WriterOptions

    public init(
        name: String? = nil, architecture: Architecture? = nil, configUpdates: [String: JSONValue] = [:],
        labels: [String]? = nil, copyAssets: Bool = true, metadata: [String: JSONValue] = [:],
        writerOptions: WriterOptions = .init()
    ) {
        self.name = name
        self.architecture = architecture
        self.configUpdates = configUpdates
        self.labels = labels
        self.copyAssets = copyAssets
        self.metadata = metadata
        self.writerOptions = writerOptions
    }
}
