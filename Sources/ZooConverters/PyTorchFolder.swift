import ZooFormat

/// A Hugging Face model folder whose weights are `torch.save` zips: `pytorch_model.bin`, or
/// shards `pytorch_model-0000N-of-0000M.bin` named by `pytorch_model.bin.index.json` (the same
/// `{"metadata", "weight_map"}` schema as the safetensors index, checked the same way: every
/// shard validated, each tensor in exactly the shard the index names, no unnamed shard of the
/// series). Each file is read as ``PyTorchImporter`` reads one (`.automatic` selection).
/// Problems with the weights, the index or a shard are ``PyTorchError``s naming the file;
/// `config.json` and the assets are checked as for every Hugging Face folder.
enum PyTorchFolder {
    /// The weights file of an unsharded folder.
    static let singleFileName = "pytorch_model.bin"
    /// The index of a sharded folder.
    static let indexFileName = "pytorch_model.bin.index.json"
    /// Metadata key for the index's own `metadata` object.
    static let indexMetadataKey = "pytorch.index.metadata"

    /// The model of `folder`, whose entries are `names`. `files`, when given, maps each relative
    /// path to the regular file holding it (a hub cache snapshot's blobs); nothing else is read.
    static func model(_ folder: String, names: [String], sharded: Bool, files: [String: String]? = nil) throws -> ForeignModel {
        func resolve(_ name: String) -> String { files?[name] ?? folder + "/" + name }
        let extras = try SafetensorsImporter.folderExtras(folder, names: names, files: files)
        guard sharded else {
            let path = resolve(singleFileName)
            try requireRegularFile(path)
            var model = PyTorchImporter(name: extras.name, architecture: extras.architecture)
                .model(of: try PyTorchCheckpoint(path: path, selection: .automatic))
            model.assets = extras.assets
            model.leftOut = extras.weights.filter { $0 != singleFileName }
            return model
        }
        let index: ShardIndex
        do throws(SafetensorsError) {
            index = try ShardIndex(path: resolve(indexFileName))
            try index.checkSeries(folderNames: names, suffix: ".bin")
        } catch {
            throw PyTorchError(indexError: error)
        }
        var tensors = ForeignTensors()
        var holder: [String: String] = [:]  // tensor -> the shard holding it
        var shared: [JSONValue] = []
        for shard in index.shards {
            // Shards sit in the folder itself: a path with folders could lead through a link.
            guard !shard.contains("/") else {
                throw PyTorchError(file: index.path, reason: .shardOutsideFolder(shard))
            }
            let path = resolve(shard)
            try requireRegularFile(path)
            let checkpoint = try PyTorchCheckpoint(path: path, selection: .automatic)
            tensors.retain(checkpoint)
            for tensor in checkpoint.tensors {
                if let first = holder[tensor.name] {
                    throw PyTorchError(file: path, reason: .tensorInTwoShards(tensor: tensor.name, first: first, second: shard))
                }
                guard index.weightMap[tensor.name] == shard else {
                    throw PyTorchError(file: path, reason: .tensorNotInIndex(tensor: tensor.name, shard: shard))
                }
                holder[tensor.name] = shard
                PyTorchImporter.append(tensor, of: checkpoint, to: &tensors)
            }
            shared += checkpoint.sharedStorages.map { .array($0.map { .string($0) }) }
        }
        if holder.count != index.weightMap.count,
            let missing = index.weightMap.keys.filter({ holder[$0] == nil }).min(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }),
            let shard = index.weightMap[missing]
        {
            throw PyTorchError(file: index.path, reason: .indexedTensorMissing(tensor: missing, shard: shard))
        }
        var metadata: [String: JSONValue] = [PyTorchImporter.MetadataKey.sourceFormat: "pytorch"]
        if let indexMetadata = index.metadata { metadata[indexMetadataKey] = .object(indexMetadata) }
        if !shared.isEmpty { metadata[PyTorchImporter.MetadataKey.sharedStorages] = .array(shared) }
        var model = ForeignModel(format: .huggingFaceFolder, name: extras.name, architecture: extras.architecture,
                                 metadata: metadata, assets: extras.assets, tensors: tensors)
        let read = Set(index.shards + [indexFileName])
        model.leftOut = extras.weights.filter { !read.contains($0) }
        return model
    }

    static func requireRegularFile(_ path: String) throws(PyTorchError) {
        switch FileSystem.kind(of: path) {
        case .regular: return
        case .missing: throw PyTorchError(file: path, reason: .missingFile(path))
        default: throw PyTorchError(file: path, reason: .notRegularFile(path))
        }
    }
}

extension PyTorchError {
    /// The error the shared index reader (``ShardIndex``, written for safetensors folders) gave
    /// for `pytorch_model.bin.index.json`, as a PyTorch folder error with the same file and offset.
    init(indexError error: SafetensorsError) {
        let reason: Reason
        switch error.reason {
        case let .invalidIndex(why): reason = .invalidIndex(why: why)
        case let .invalidJSON(json): reason = .invalidIndex(why: "not JSON: \(json)")
        case let .shardPathOutsideFolder(path): reason = .shardOutsideFolder(path)
        case let .missingFile(path): reason = .missingFile(path)
        case let .notRegularFile(path): reason = .notRegularFile(path)
        case let .unindexedShard(shard): reason = .unindexedShard(shard)
        case let .io(io): reason = .io(io)
        case let other: reason = .invalidIndex(why: other.description)
        }
        self.init(file: error.file, offset: error.offset, reason: reason)
    }
}
