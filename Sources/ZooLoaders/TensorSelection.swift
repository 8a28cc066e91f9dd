import TrainingCore
import ZooFormat

/// The checkpoint tensors a load takes, under their model keys: ``LoadOptions/prefix`` first,
/// then ``LoadOptions/keyMapping``, then ``LoadOptions/exclude``.
struct TensorSelection {
    /// Model key and manifest entry, in storage order.
    var entries: [(key: String, entry: TensorEntry)] = []
    /// Checkpoint names left out, in storage order.
    var skipped: [String] = []

    init(checkpoint: Checkpoint, options: LoadOptions) throws(CheckpointLoadError) {
        let mapping: CompiledKeyMapping
        do {
            mapping = try options.keyMapping.compiled()
        } catch {
            throw CheckpointLoadError(location: checkpoint.location, reason: error.reason)
        }
        var sources: [String: [String]] = [:]
        for entry in checkpoint.manifest.tensorsInSourceOrder {
            if let prefix = options.prefix, !entry.name.hasPrefix(prefix) {
                skipped.append(entry.name)
                continue
            }
            let key = mapping.map(entry.name)
            if options.exclude.contains(where: { $0.matches(key) }) {
                skipped.append(entry.name)
                continue
            }
            sources[key, default: []].append(entry.name)
            entries.append((key, entry))
        }
        if let (key, names) = sources.filter({ $0.value.count > 1 }).min(by: { $0.key < $1.key }) {
            throw CheckpointLoadError(location: checkpoint.location, reason: .duplicateKey(key, tensors: names))
        }
    }
}
