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
        return try model(folder, names: names, files: nil)
    }

    /// A folder whose files live elsewhere (a hub cache snapshot, whose entries are links into
    /// `blobs/`): `files` maps each relative path to the regular file holding it, and nothing
    /// outside `files` is read. Routed by its weights exactly as a plain folder is.
    static func model(_ folder: String, files: [String: String]) throws -> ForeignModel {
        let names = files.keys.filter { !$0.contains("/") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return try model(folder, names: names, files: files)
    }

    private static func model(_ folder: String, names: [String], files: [String: String]?) throws -> ForeignModel {
        switch weights(in: names) {
        case .pytorch(let index)?:
            return try PyTorchFolder.model(folder, names: names, sharded: index, files: files)
        case .gguf?:
            let ggufs = names.filter { $0.hasSuffix(".gguf") && $0.count > ".gguf".count }.sorted()
            guard ggufs.count == 1 else { throw SafetensorsError(file: folder, reason: .ambiguousModelFiles(ggufs)) }
            let path = files?[ggufs[0]] ?? folder + "/" + ggufs[0]
            try SafetensorsImporter.requireRegularFile(path)
            var model = try GGUFImporter().model(of: try GGUFFile(path: path))
            let extras = try SafetensorsImporter.folderExtras(folder, names: names, files: files)
            model.assets = extras.assets
            model.leftOut = extras.weights.filter { $0 != ggufs[0] }
            return model
        case .safetensors?, nil:
            if let files { return try SafetensorsImporter().folderModel(folder, files: files) }
            return try SafetensorsImporter().model(from: folder)
        }
    }
}
