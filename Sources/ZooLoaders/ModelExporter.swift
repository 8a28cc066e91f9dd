import TrainingCore
import ZooFormat

/// Saves a module as a new checkpoint folder whose lineage records its parent and recipe.
///
/// Tensors are written as F32 in the parent's storage order where names match (new tensors
/// follow in model order), sharded by layer as the parent was. So every layer the fine-tune
/// did not change produces a shard byte-identical to the parent's: once both are in a store,
/// those shards are one blob.
///
/// ```swift
/// let manifest = try ModelExporter.export(model, parent: parent, to: "out/topics", recipe: plan.json,
///                                         options: ExportOptions(name: "bert-topics", labels: ["a", "b", "c"]))
/// try store.importCheckpoint(try Checkpoint(directory: "out/topics"))
/// ```
public enum ModelExporter {
    /// The asset rewritten when the config changes.
    public static let configAssetPath = "assets/config.json"

    /// Writes `module`'s state dict to a new checkpoint folder at `destination` (which must not
    /// exist) with `lineage = {parent: parent's digest, recipe: recipe}`. Returns its manifest.
    ///
    /// - Throws: ``ZooFormat/FormatError`` when writing fails (nothing is left at
    ///   `destination`) or the parent's `config.json` asset is not a JSON object.
    @discardableResult
    public static func export(
        _ module: Module, parent: Checkpoint?, to destination: String, recipe: JSONValue? = nil,
        options: ExportOptions = .init()
    ) throws(FormatError) -> Manifest {
        let updates = configUpdates(for: module, parentConfig: parent?.manifest.architecture.config ?? [:], options: options)
        var architecture =
            options.architecture ?? parent?.manifest.architecture ?? Architecture(family: .other, type: "unknown")
        architecture.config.merge(updates) { _, new in new }
        architecture.extraMembers = [:]
        let writer = try CheckpointWriter(
            destination: destination, name: options.name ?? parent?.manifest.name ?? "model",
            architecture: architecture, options: options.writerOptions)
        do throws(FormatError) {
            let state = module.stateDict()
            let buffers = module.ignoredStateDictKeys
            for name in tensorOrder(modelKeys: module.stateDictKeys, buffers: buffers, parent: parent?.manifest) {
                guard let tensor = state[name] else {
                    // A buffer the model does not keep (e.g. position_ids): pass the parent's bytes on
                    // unchanged, so its shard stays byte-identical and is shared with the parent.
                    if let parent, buffers.contains(name) {
                        let view = try parent.tensor(named: name)
                        try writer.addTensor(name: name, dtype: view.dtype, shape: view.shape) { sink in
                            try view.withUnsafeBytes { try sink.write($0) }
                        }
                    }
                    continue
                }
                // Written from the model's own storage during finish(): no second copy of the model.
                try writer.addTensor(name: name, dtype: .f32, shape: tensor.shape) { sink in
                    try tensor.withUnsafeBufferPointer { try sink.write(UnsafeRawBufferPointer($0)) }
                }
            }
            if let parent, options.copyAssets { try copyAssets(of: parent, into: writer, configUpdates: updates) }
            writer.metadata = options.metadata
            if parent != nil || recipe != nil { writer.lineage = Lineage(parent: parent?.digest, recipe: recipe) }
            return try writer.finish()
        } catch {
            writer.abort()
            throw error
        }
    }

    /// The parent's names that the model has (or keeps as `buffers` it ignores), in the parent's
    /// storage order, then the model's other keys in model order.
    static func tensorOrder(modelKeys: [String], buffers: Set<String> = [], parent: Manifest?) -> [String] {
        var seen = Set<String>()
        let keys = modelKeys.filter { seen.insert($0).inserted }
        guard let parent else { return keys }
        let known = Set(keys).union(buffers)
        let inherited = parent.tensorsInSourceOrder.map(\.name).filter { known.contains($0) }
        let inheritedSet = Set(inherited)
        return inherited + keys.filter { !inheritedSet.contains($0) }
    }

    /// The config members to change: the caller's, plus labels (given, or implied by a BERT
    /// classifier whose class count differs from the parent's config).
    static func configUpdates(for module: Module, parentConfig: [String: JSONValue], options: ExportOptions)
        -> [String: JSONValue]
    {
        var updates = options.configUpdates
        var labels = options.labels
        let classifier = (module as? BertForSequenceClassification)?.classifier
            ?? (module as? GPT2ForSequenceClassification)?.score
        if labels == nil, let classifier {
            let classes = classifier.outFeatures
            let current = parentConfig["num_labels"]?.integerValue.map(Int.init)
                ?? parentConfig["id2label"]?.objectValue?.count
            if current != classes { labels = (0..<classes).map { "LABEL_\($0)" } }
        }
        if let labels {
            updates["num_labels"] = .integer(Int64(labels.count))
            var id2label: [String: JSONValue] = [:]
            var label2id: [String: JSONValue] = [:]
            for (index, label) in labels.enumerated() {
                id2label[String(index)] = .string(label)
                label2id[label] = .integer(Int64(index))
            }
            updates["id2label"] = .object(id2label)
            updates["label2id"] = .object(label2id)
        }
        return updates
    }

    /// Copies every asset of `parent`; `config.json` gets `configUpdates` merged in (when there
    /// are any), so that tools reading it build the model that the tensors fit.
    static func copyAssets(of parent: Checkpoint, into writer: CheckpointWriter, configUpdates: [String: JSONValue])
        throws(FormatError)
    {
        for (index, entry) in parent.manifest.assets.enumerated() {
            let relative = String(entry.path.dropFirst("assets/".count))
            let (bytes, owner) = try parent.assetBytes(index)
            var content = withExtendedLifetime(owner) { Array(bytes) }
            if entry.path == configAssetPath, !configUpdates.isEmpty {
                let file = parent.location + "/" + entry.path
                guard case var .object(config)? = try? JSONValue(parsing: content) else {
                    throw FormatError(file: file, reason: .invalidMember(entry.path, expected: "a JSON object"))
                }
                config.merge(configUpdates) { _, new in new }
                content = JSONValue.object(config).canonicalBytes + [0x0a]
            }
            try writer.addAsset(path: relative, bytes: content)
        }
    }
}
