import ZooFormat

/// A Hugging Face model folder, whatever its weights: safetensors (preferred, as
/// `from_pretrained` does), PyTorch `torch.save` files (`pytorch_model.bin`, or shards named by
/// `pytorch_model.bin.index.json`), or one GGUF file. Assets, `config.json` and the manifest
/// name are handled the same way for each (``SafetensorsImporter/folderExtras(_:names:)``).
enum HuggingFaceFolder {
    /// The weights a folder holds, by file name.
    enum Weights: Equatable {
        case safetensors
        /// `pytorch_model.bin.index.json` (sharded) or `pytorch_model.bin`.
        case pytorch(index: Bool)
        /// The folder's only `.gguf` file.
        case gguf(String)
    }

    /// The weights `names` (a folder listing) show; nil when none is there. Several GGUF
    /// files are refused by ``model(from:)``, not skipped here.
    static func weights(in names: [String]) -> Weights? {
        if names.contains(SafetensorsImporter.singleFileName) || names.contains(SafetensorsImporter.indexFileName) {
            return .safetensors
        }
        if names.contains(PyTorchFolder.indexFileName) { return .pytorch(index: true) }
        if names.contains(PyTorchFolder.singleFileName) { return .pytorch(index: false) }
        let ggufs = names.filter { $0.hasSuffix(".gguf") && $0.count > ".gguf".count }
        if let first = ggufs.first { return .gguf(first) }
        return nil
    }

    /// Whether the folder at `path` holds Hugging Face weights (for ``ModelFormat/detect(_:)``).
    static func holdsWeights(_ path: String) -> Bool {
        guard let names = try? FileSystem.listDirectory(path) else { return false }
        return weights(in: names) != nil
    }

    /// Reads and validates the model in `folder`.
    static func model(from folder: String) throws -> ForeignModel {
        let names: [String]
        do { names = try FileSystem.listDirectory(folder) } catch { throw SafetensorsError(file: folder, reason: .io(error)) }
        switch weights(in: names) {
        case .pytorch(let index)?:
            return try PyTorchFolder.model(folder, names: names, sharded: index)
        case .gguf?:
            let ggufs = names.filter { $0.hasSuffix(".gguf") && $0.count > ".gguf".count }.sorted()
            guard ggufs.count == 1 else { throw SafetensorsError(file: folder, reason: .ambiguousModelFiles(ggufs)) }
            let path = folder + "/" + ggufs[0]
            try SafetensorsImporter.requireRegularFile(path)
            var model = try GGUFImporter().model(of: try GGUFFile(path: path))
            let extras = try SafetensorsImporter.folderExtras(folder, names: names)
            model.assets = extras.assets
            model.leftOut = extras.weights.filter { $0 != ggufs[0] }
            return model
        case .safetensors?, nil:
            return try SafetensorsImporter().model(from: folder)
        }
    }
}
