import TrainingCore
import ZooFormat

/// Feeds checkpoint tensors into TrainingCore modules by name.
///
/// Tensors are selected (``LoadOptions/prefix``, ``LoadOptions/exclude``), renamed
/// (``LoadOptions/keyMapping``), decoded to Float32 (F16, BF16, F64, F8, integers, Q8_0; F32 is
/// read in place from the memory map) and handed to ``TrainingCore/Module/load(stateDict:verify:)``,
/// so the report of missing, unexpected and shape-mismatched keys comes from one place.
///
/// ```swift
/// let checkpoint = try store.checkpoint(for: try ModelReference(parsing: "bert-tiny"))
/// let config = try BertConfig(jsonData: Data(checkpoint.asset(path: "config.json")))
/// let model = BertForSequenceClassification(config: config, seed: 0)
/// let report = try CheckpointLoader.load(checkpoint, into: model)   // strict, like PyTorch
/// ```
public enum CheckpointLoader {
    /// Loads a checkpoint's tensors (cast to Float32 from F16/BF16/F64/Q8_0...) into `module`.
    ///
    /// - Throws: ``TrainingCore/LoadError`` (with the full report; nothing loaded) when a check of
    ///   ``LoadOptions/verify`` fails; ``CheckpointLoadError`` when a tensor cannot be read, holds
    ///   NaN or infinity, or two tensors map to one key.
    @discardableResult
    public static func load(_ checkpoint: Checkpoint, into module: Module, options: LoadOptions = .init()) throws
        -> LoadReport
    {
        try loadDetailed(checkpoint, into: module, options: options).report
    }

    /// ``load(_:into:options:)`` with what happened on the checkpoint side as well: skipped,
    /// converted, zero-copy and non-finite tensors.
    public static func loadDetailed(_ checkpoint: Checkpoint, into module: Module, options: LoadOptions = .init())
        throws -> LoadSummary
    {
        let selection = try TensorSelection(checkpoint: checkpoint, options: options)
        // Every state-dict name, a shared parameter under each of its names.
        let parameterShapes = module.stateDict().mapValues(\.shape)
        var stateDict: [String: Tensor] = [:]
        var converted: [String: DType] = [:]
        var borrowed = Set<String>()
        for (key, entry) in selection.entries {
            guard parameterShapes[key] != nil else {
                // The model has no such parameter: only the key matters to the report (unexpected
                // or ignorable), so its data is not decoded.
                stateDict[key] = Tensor(shape: [0], scalars: [])
                continue
            }
            // A tensor of another shape is decoded too: the report names its shape.
            let tensor = try decode(entry, from: checkpoint, zeroCopy: options.zeroCopy)
            stateDict[key] = tensor
            if tensor.isBorrowed { borrowed.insert(key) }
            if entry.dtype != .f32 { converted[key] = entry.dtype }
        }

        let preview = module.matchReport(for: stateDict)
        var verify = options.verify
        if verify.contains(.noMissingKeys), !options.allowMissing.isEmpty,
            preview.missingKeys.allSatisfy({ key in options.allowMissing.contains { $0.matches(key) } })
        {
            verify.remove(.noMissingKeys)
        }
        var nonFinite: [String] = []
        if preview.failures(of: verify).isEmpty {
            let names = Dictionary(selection.entries.map { ($0.key, $0.entry.name) }, uniquingKeysWith: { a, _ in a })
            for key in preview.loadedKeys {
                guard let tensor = stateDict[key] else { continue }
                guard let found = tensor.withUnsafeBufferPointer(NonFiniteScan.find) else { continue }
                if options.rejectNonFinite {
                    throw CheckpointLoadError(
                        location: checkpoint.location,
                        reason: .nonFinite(tensor: names[key] ?? key, key: key, index: found.firstIndex, count: found.count))
                }
                nonFinite.append(key)
            }
        }
        let report = try module.load(stateDict: stateDict, verify: verify)
        let loaded = Set(report.loadedKeys)
        return LoadSummary(
            report: report, skippedTensors: selection.skipped, convertedKeys: converted.filter { loaded.contains($0.key) },
            borrowedKeys: report.loadedKeys.filter { borrowed.contains($0) }, nonFiniteKeys: nonFinite)
    }

    /// The checkpoint's tensors as a Float32 state dict under their mapped names, selected and
    /// renamed as `options` says (``LoadOptions/verify`` and ``LoadOptions/allowMissing`` do not
    /// apply: there is no model).
    ///
    /// - Throws: ``CheckpointLoadError``: an unreadable tensor, a NaN or infinity (with
    ///   ``LoadOptions/rejectNonFinite``), two tensors mapping to one key, a bad pattern.
    public static func stateDict(from checkpoint: Checkpoint, options: LoadOptions = .init()) throws
        -> [String: Tensor]
    {
        let selection = try TensorSelection(checkpoint: checkpoint, options: options)
        var stateDict: [String: Tensor] = [:]
        for (key, entry) in selection.entries {
            let tensor = try decode(entry, from: checkpoint, zeroCopy: options.zeroCopy)
            if options.rejectNonFinite, let found = tensor.withUnsafeBufferPointer(NonFiniteScan.find) {
                throw CheckpointLoadError(
                    location: checkpoint.location,
                    reason: .nonFinite(tensor: entry.name, key: key, index: found.firstIndex, count: found.count))
            }
            stateDict[key] = tensor
        }
        return stateDict
    }

    /// One tensor as Float32: borrowed from the memory map when it is aligned F32 and
    /// `zeroCopy` is on, else decoded into a new array.
    static func decode(_ entry: TensorEntry, from checkpoint: Checkpoint, zeroCopy: Bool) throws(CheckpointLoadError)
        -> Tensor
    {
        guard Float32Conversion.decodes(entry.dtype) else {
            throw CheckpointLoadError(location: checkpoint.location, reason: .undecodableDType(tensor: entry.name, dtype: entry.dtype))
        }
        let shard: (bytes: UnsafeRawBufferPointer, owner: MappedFile)
        do {
            shard = try checkpoint.shardBytes(entry.shard)
        } catch {
            throw CheckpointLoadError(location: checkpoint.location, reason: .checkpoint(error))
        }
        // The manifest was validated when the checkpoint was opened and the mapping checked
        // against the shard's length: the tensor lies inside the shard.
        let bytes = UnsafeRawBufferPointer(rebasing: shard.bytes[entry.offset..<(entry.offset + entry.length)])
        let count = entry.elementCount
        let tensor: Tensor
        do {
            if zeroCopy, entry.dtype == .f32, count > 0, let base = bytes.baseAddress,
                Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0
            {
                let floats = UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: count)
                tensor = try Tensor(shape: entry.shape, borrowing: floats, owner: shard.owner)
            } else {
                let scalars = withExtendedLifetime(shard.owner) {
                    Float32Conversion.floats(from: bytes, dtype: entry.dtype, count: count)
                }
                tensor = try Tensor(validatingShape: entry.shape, scalars: scalars)
            }
        } catch {
            // Unreachable for a validated manifest; reported rather than trapped all the same.
            throw CheckpointLoadError(
                location: checkpoint.location,
                reason: .checkpoint(FormatError(file: checkpoint.location, reason: .invalidShape(tensor: entry.name, shape: entry.shape))))
        }
        return tensor
    }
}
