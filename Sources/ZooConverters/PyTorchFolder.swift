import ZooFormat

/// A Hugging Face model folder whose weights are `torch.save` zips: `pytorch_model.bin`, or
/// shards `pytorch_model-0000N-of-0000M.bin` named by `pytorch_model.bin.index.json` (the same
/// `{"metadata", "weight_map"}` schema as the safetensors index, checked the same way: every
/// shard validated, each tensor in exactly the shard the index names, no unnamed shard of the
/// series). Each file is read as ``PyTorchImporter`` reads one (`.automatic` selection).
enum PyTorchFolder {
    /// The weights file of an unsharded folder.
    static let singleFileName = "pytorch_model.bin"
    /// The index of a sharded folder.
    static let indexFileName = "pytorch_model.bin.index.json"
    /// Metadata key for the index's own `metadata` object.
    static let indexMetadataKey = "pytorch.index.metadata"

    static func model(_ folder: String, names: [String], sharded: Bool) throws -> ForeignModel {
        let extras = try SafetensorsImporter.folderExtras(folder, names: names)
        guard sharded else {
            let path = folder + "/" + singleFileName
            try SafetensorsImporter.requireRegularFile(path)
            var model = PyTorchImporter(name: extras.name, architecture: extras.architecture)
                .model(of: try PyTorchCheckpoint(path: path, selection: .automatic))
            model.assets = extras.assets
            model.leftOut = extras.weights.filter { $0 != singleFileName }
            return model
        }
        let index = try ShardIndex(path: folder + "/" + indexFileName)
        try index.checkSeries(folderNames: names, suffix: ".bin")
        var tensors = ForeignTensors()
        var holder: [String: String] = [:]  // tensor -> the shard holding it
        var shared: [JSONValue] = []
        for shard in index.shards {
            // Shards sit in the folder itself: a path with folders could lead through a link.
            guard !shard.contains("/") else {
                throw SafetensorsError(file: index.path, reason: .shardPathOutsideFolder(shard))
            }
            let path = folder + "/" + shard
            try SafetensorsImporter.requireRegularFile(path)
            let checkpoint = try PyTorchCheckpoint(path: path, selection: .automatic)
            tensors.retain(checkpoint)
            for tensor in checkpoint.tensors {
                if let first = holder[tensor.name] {
                    throw SafetensorsError(file: path, reason: .duplicateTensor(tensor: tensor.name, first: first, second: shard))
                }
                guard index.weightMap[tensor.name] == shard else {
                    throw SafetensorsError(file: path, reason: .tensorNotInIndex(tensor: tensor.name, shard: shard))
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
            throw SafetensorsError(file: index.path, reason: .indexedTensorMissing(tensor: missing, shard: shard))
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
}
