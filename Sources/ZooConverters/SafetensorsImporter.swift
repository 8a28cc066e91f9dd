import ZooFormat

/// Imports safetensors models into zoo checkpoint folders: a single `.safetensors` file, or a
/// Hugging Face model folder (`model.safetensors.index.json` with its shards, or one
/// `model.safetensors`, plus `config.json`, tokenizer files and model card).
///
/// Every input file is validated completely before the first byte is written. Tensors are
/// streamed from the memory-mapped files into a ``ZooFormat/CheckpointWriter`` (which hashes
/// them) in data-offset order, shard after shard, so the model is never held twice in memory.
///
/// The manifest's metadata records the source: `"source.format": "safetensors"`,
/// `"safetensors.metadata"` (the files' `__metadata__`, an object of strings; for shards,
/// their union) and `"safetensors.index.metadata"` (the index's own `metadata` object), so
/// that ``SafetensorsExporter`` restores them exactly.
///
/// ```swift
/// let manifest = try SafetensorsImporter(name: "bert-tiny").importModel(from: "hf/bert-tiny", to: "out/bert-tiny")
/// print(manifest.digest, manifest.tensors.count)
/// ```
public struct SafetensorsImporter: Sendable {
    /// The model name; nil takes the file's name without `.safetensors`; for a folder, the
    /// name its `config.json` records (never the folder's name, which is not content).
    public var name: String?
    /// The architecture to record; nil reads it from a folder's `config.json` (a lone file,
    /// or a folder without one, gets family `other`, type `unknown`).
    public var architecture: Architecture?
    /// How the checkpoint writer lays out shards.
    public var writerOptions: WriterOptions

    /// Metadata keys written into the manifest.
    public enum MetadataKey {
        /// `"safetensors"`, under ``sourceFormat``.
        public static let sourceFormat = "source.format"
        /// The `__metadata__` object of strings.
        public static let fileMetadata = "safetensors.metadata"
        /// The `metadata` object of `model.safetensors.index.json`.
        public static let indexMetadata = "safetensors.index.metadata"
    }

    /// The index file a sharded Hugging Face folder has.
    public static let indexFileName = "model.safetensors.index.json"
    /// The weights file of an unsharded Hugging Face folder.
    public static let singleFileName = "model.safetensors"
    /// The largest index file read (300k tensors fit in a few tens of MB).
    static let maxIndexBytes = 100_000_000

    public init(name: String? = nil, architecture: Architecture? = nil, writerOptions: WriterOptions = .init()) {
        self.name = name
        self.architecture = architecture
        self.writerOptions = writerOptions
    }

    /// Imports `source`, a `.safetensors` file or a Hugging Face model folder, into a new
    /// checkpoint folder at `destination` (which must not exist). Returns its manifest.
    @discardableResult
    public func importModel(from source: String, to destination: String) throws(SafetensorsError) -> Manifest {
        try write(try model(from: source), to: destination)
    }

    /// Reads and validates `source`, a `.safetensors` file or a Hugging Face model folder.
    public func model(from source: String) throws(SafetensorsError) -> ForeignModel {
        switch FileSystem.kind(of: source) {
        case .directory: return try folderModel(source)
        case .missing: throw SafetensorsError(file: source, reason: .missingFile(source))
        default: return try fileModel(source)
        }
    }

    /// Imports one `.safetensors` file into a new checkpoint folder at `destination`.
    @discardableResult
    public func importFile(_ path: String, to destination: String) throws(SafetensorsError) -> Manifest {
        try write(try fileModel(path), to: destination)
    }

    /// Imports a Hugging Face model folder into a new checkpoint folder at `destination`.
    ///
    /// Reads `model.safetensors.index.json` when present (every `weight_map` value must name a
    /// regular file inside the folder; every shard is validated; each tensor must be in exactly
    /// the shard the index names), else `model.safetensors` (else the folder's only
    /// `*.safetensors` file). `config.json` gives the architecture; the asset files
    /// (`config.json`, tokenizer and vocabulary files, `*.model`, `README.md`...) are kept
    /// byte for byte. Symbolic links are refused.
    @discardableResult
    public func importFolder(_ folder: String, to destination: String) throws(SafetensorsError) -> Manifest {
        try write(try folderModel(folder), to: destination)
    }

    private func fileModel(_ path: String) throws(SafetensorsError) -> ForeignModel {
        let file = try SafetensorsFile(path: path)
        var base = Self.baseName(path)
        if base.hasSuffix(".safetensors"), base.count > ".safetensors".count { base.removeLast(".safetensors".count) }
        var metadata: [String: JSONValue] = [MetadataKey.sourceFormat: "safetensors"]
        if let fileMetadata = file.metadata { metadata[MetadataKey.fileMetadata] = Self.json(fileMetadata) }
        return ForeignModel(
            format: .safetensors, name: name ?? base,
            architecture: architecture ?? Architecture(family: .other, type: "unknown"), metadata: metadata,
            tensors: Self.tensors(of: [file]))
    }

    private func folderModel(_ folder: String) throws(SafetensorsError) -> ForeignModel {
        let names: [String]
        do { names = try FileSystem.listDirectory(folder) } catch { throw SafetensorsError(file: folder, reason: .io(error)) }
        return try folderModel(folder, names: names, files: nil)
    }

    /// A Hugging Face folder whose files live elsewhere (a hub cache snapshot, whose entries are
    /// links into `blobs/`): `files` maps each relative path to the regular file holding it, and
    /// nothing outside `files` is read.
    package func folderModel(_ folder: String, files: [String: String]) throws(SafetensorsError) -> ForeignModel {
        let names = files.keys.filter { !$0.contains("/") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return try folderModel(folder, names: names, files: files)
    }

    /// `names` are the folder's entries; `files`, when given, maps relative paths to the files to read.
    private func folderModel(_ folder: String, names: [String], files mapped: [String: String]?)
        throws(SafetensorsError) -> ForeignModel
    {
        func resolve(_ name: String) -> String { mapped?[name] ?? folder + "/" + name }
        var metadata: [String: JSONValue] = [MetadataKey.sourceFormat: "safetensors"]

        let files: [SafetensorsFile]
        var read: Set<String> = []
        if let indexName = try Self.indexName(in: names, folder: folder) {
            let index = try ShardIndex(path: resolve(indexName))
            read = Set(index.shards + [indexName])
            try index.checkSeries(folderNames: names)
            if let indexMetadata = index.metadata { metadata[MetadataKey.indexMetadata] = .object(indexMetadata) }
            files = try index.openShards(in: folder, files: mapped)
        } else {
            let weights = try Self.weightsName(in: names, folder: folder)
            read = [weights]
            try Self.requireRegularFile(resolve(weights))
            files = [try SafetensorsFile(path: resolve(weights))]
        }
        if let merged = try Self.mergedMetadata(files) { metadata[MetadataKey.fileMetadata] = Self.json(merged) }

        let extras = try Self.folderExtras(folder, names: names, files: mapped)
        var model = ForeignModel(
            format: .huggingFaceFolder, name: name ?? extras.name,
            architecture: architecture ?? extras.architecture, metadata: metadata,
            assets: extras.assets, tensors: Self.tensors(of: files))
        model.leftOut = extras.weights.filter { !read.contains($0) }
        return model
    }

    /// What a Hugging Face folder holds besides its weights, whatever their format: the asset
    /// files (each a regular file), the architecture from `config.json`, and the manifest
    /// name, taken from the content (``HuggingFace/modelName(config:)``) so that a
    /// byte-identical copy of the folder under another name has the same model digest.
    /// `files`, when given, maps relative paths to the files to read (a hub cache snapshot).
    static func folderExtras(_ folder: String, names: [String], files: [String: String]? = nil) throws(SafetensorsError)
        -> (assets: [(name: String, path: String)], architecture: Architecture, name: String, weights: [String])
    {
        let paths: [String]
        if let files { paths = Array(files.keys) } else { paths = try listTree(folder) }
        var assets: [(name: String, path: String)] = []
        var weights: [String] = []
        for relative in paths.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            if HuggingFace.isAsset(relative) {
                let path = files?[relative] ?? folder + "/" + relative
                try requireRegularFile(path)
                assets.append((relative, path))
            } else if !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                weights.append(relative)
            }
        }
        guard names.contains("config.json") else {
            return (assets, Architecture(family: .other, type: "unknown"), HuggingFace.modelName(config: nil), weights)
        }
        let config = try readConfig(files?["config.json"] ?? folder + "/config.json")
        return (assets, HuggingFace.architecture(config: config), HuggingFace.modelName(config: config), weights)
    }

    /// The regular files under `folder`, as relative paths (links are listed, and refused as
    /// assets by the caller; hidden folders are not entered). Bounded in files and depth.
    static func listTree(_ folder: String) throws(SafetensorsError) -> [String] {
        var out: [String] = []
        func walk(_ relative: String, depth: Int) throws(SafetensorsError) {
            let directory = relative.isEmpty ? folder : folder + "/" + relative
            let entries: [String]
            do { entries = try FileSystem.listDirectory(directory) } catch { throw SafetensorsError(file: directory, reason: .io(error)) }
            for entry in entries {
                let path = relative.isEmpty ? entry : relative + "/" + entry
                if FileSystem.kind(of: folder + "/" + path) == .directory {
                    guard !entry.hasPrefix(".") else { continue }
                    guard depth < HuggingFace.maxFolderDepth else {
                        throw SafetensorsError(file: folder + "/" + path, reason: .invalidIndex(why: "folders nested deeper than \(HuggingFace.maxFolderDepth) levels"))
                    }
                    try walk(path, depth: depth + 1)
                } else {
                    out.append(path)
                    guard out.count <= HuggingFace.maxFolderFiles else {
                        throw SafetensorsError(file: folder, reason: .invalidIndex(why: "more than \(HuggingFace.maxFolderFiles) files"))
                    }
                }
            }
        }
        try walk("", depth: 0)
        return out
    }

    /// The tensors of `files`, file after file, each in data-offset order.
    static func tensors(of files: [SafetensorsFile]) -> ForeignTensors {
        var tensors = ForeignTensors()
        for file in files {
            tensors.retain(file)
            for tensor in file.tensors {
                tensors.append(TensorDescriptor(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape),
                               .mapped(tensor.bytes, willNeed: { file.willNeed(tensor) }))
            }
        }
        return tensors
    }

    // MARK: Writing

    private func write(_ model: ForeignModel, to destination: String) throws(SafetensorsError) -> Manifest {
        do { return try model.write(to: destination, options: writerOptions) } catch {
            throw SafetensorsError(file: destination, reason: .checkpoint(error))
        }
    }

    // MARK: Folder rules

    /// The index to read: `model.safetensors.index.json`, else the folder's only
    /// `*.safetensors.index.json`; nil when there is none.
    private static func indexName(in names: [String], folder: String) throws(SafetensorsError) -> String? {
        if names.contains(indexFileName) { return indexFileName }
        let indexes = names.filter { $0.hasSuffix(".safetensors.index.json") }
        guard indexes.count <= 1 else { throw SafetensorsError(file: folder, reason: .ambiguousModelFiles(indexes)) }
        return indexes.first
    }

    /// The weights file of an unsharded folder: `model.safetensors`, else the only `*.safetensors`.
    private static func weightsName(in names: [String], folder: String) throws(SafetensorsError) -> String {
        if names.contains(singleFileName) { return singleFileName }
        let candidates = names.filter { $0.hasSuffix(".safetensors") }
        guard let only = candidates.first else { throw SafetensorsError(file: folder, reason: .noModelFile) }
        guard candidates.count == 1 else { throw SafetensorsError(file: folder, reason: .ambiguousModelFiles(candidates)) }
        return only
    }

    static func requireRegularFile(_ path: String) throws(SafetensorsError) {
        switch FileSystem.kind(of: path) {
        case .regular: return
        case .missing: throw SafetensorsError(file: path, reason: .missingFile(path))
        default: throw SafetensorsError(file: path, reason: .notRegularFile(path))
        }
    }

    /// `config.json` as a JSON object.
    static func readConfig(_ path: String) throws(SafetensorsError) -> [String: JSONValue] {
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path, limit: HuggingFace.maxConfigBytes) } catch {
            throw SafetensorsError(file: path, reason: .io(error))
        }
        guard let bytes else {
            throw SafetensorsError(file: path, reason: .invalidConfig(why: "larger than \(HuggingFace.maxConfigBytes) bytes"))
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch {
            throw SafetensorsError(file: path, offset: error.offset, reason: .invalidConfig(why: error.description))
        }
        guard case let .object(config) = json else {
            throw SafetensorsError(file: path, reason: .invalidConfig(why: "not a JSON object"))
        }
        return config
    }

    /// The union of the files' `__metadata__` (nil when none has any); a key with two values is an error.
    private static func mergedMetadata(_ files: [SafetensorsFile]) throws(SafetensorsError) -> [String: String]? {
        var merged: [String: String]?
        for file in files {
            guard let metadata = file.metadata else { continue }
            var union = merged ?? [:]
            for (key, value) in metadata {
                if let existing = union[key], existing != value {
                    throw SafetensorsError(file: file.path, reason: .metadataConflict(key: key, shard: baseName(file.path)))
                }
                union[key] = value
            }
            merged = union
        }
        return merged
    }

    static func json(_ strings: [String: String]) -> JSONValue {
        .object(strings.mapValues { .string($0) })
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}

/// A validated `model.safetensors.index.json`: `{"metadata": {...}, "weight_map": {tensor: shard file}}`.
struct ShardIndex {
    let path: String
    /// The index's own `metadata` object (e.g. `{"total_size": N}`), if it has one.
    let metadata: [String: JSONValue]?
    /// Tensor name -> shard file name.
    let weightMap: [String: String]
    /// The shard file names, sorted.
    let shards: [String]

    init(path: String) throws(SafetensorsError) {
        self.path = path
        try SafetensorsImporter.requireRegularFile(path)
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path, limit: SafetensorsImporter.maxIndexBytes) } catch {
            throw SafetensorsError(file: path, reason: .io(error))
        }
        guard let bytes else {
            throw SafetensorsError(file: path, reason: .invalidIndex(
                why: "larger than \(SafetensorsImporter.maxIndexBytes) bytes"))
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch {
            throw SafetensorsError(file: path, offset: error.offset, reason: .invalidJSON(error))
        }
        guard case let .object(top) = json else {
            throw SafetensorsError(file: path, reason: .invalidIndex(why: "not a JSON object"))
        }
        guard case let .object(map)? = top["weight_map"] else {
            throw SafetensorsError(file: path, reason: .invalidIndex(why: "no \"weight_map\" object"))
        }
        switch top["metadata"] {
        case nil, .null?: metadata = nil
        case let .object(members)?: metadata = members
        default: throw SafetensorsError(file: path, reason: .invalidIndex(why: "\"metadata\" is not an object"))
        }
        var weightMap: [String: String] = [:]
        var shards = Set<String>()
        // In name order, so that an index with several problems always reports the same one.
        for tensor in map.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard case let .string(shard)? = map[tensor] else {
                throw SafetensorsError(file: path, reason: .invalidIndex(why: "weight_map[\"\(tensor)\"] is not a file name"))
            }
            guard HuggingFace.isSafeRelativePath(shard) else {
                throw SafetensorsError(file: path, reason: .shardPathOutsideFolder(shard))
            }
            weightMap[tensor] = shard
            shards.insert(shard)
        }
        // A model has tensors: an empty map would import as an empty model.
        guard !weightMap.isEmpty else {
            throw SafetensorsError(file: path, reason: .invalidIndex(why: "\"weight_map\" is empty: it maps no tensor to a shard"))
        }
        self.weightMap = weightMap
        self.shards = shards.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// `model-00002-of-00005.safetensors` -> (`model`, 2, 5); nil for other names.
    static func seriesPosition(_ name: String, suffix: String = ".safetensors") -> (prefix: Substring, index: Int, count: Int)? {
        guard name.hasSuffix(suffix) else { return nil }
        let stem = name.dropLast(suffix.count)
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[parts.count - 2] == "of" else { return nil }
        let number = parts[parts.count - 3], total = parts[parts.count - 1]
        guard number.count == 5, total.count == 5, number.allSatisfy(\.isASCII), total.allSatisfy(\.isASCII),
            let index = Int(number), let count = Int(total)
        else { return nil }
        let prefix = stem.dropLast(number.count + total.count + 5)  // "-NNNNN-of-MMMMM"
        return (prefix, index, count)
    }

    /// Refuses a folder holding a shard of the indexed series (same prefix and count) that the
    /// index never names: `from_pretrained` would not load it either, and its tensors would be
    /// left out without a word.
    func checkSeries(folderNames: [String], suffix: String = ".safetensors") throws(SafetensorsError) {
        let named = Set(shards)
        let series = Set(shards.compactMap { Self.seriesPosition($0, suffix: suffix).map { "\($0.prefix)/\($0.count)" } })
        guard !series.isEmpty else { return }
        for name in folderNames.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where !named.contains(name) {
            guard let position = Self.seriesPosition(name, suffix: suffix), series.contains("\(position.prefix)/\(position.count)") else { continue }
            throw SafetensorsError(file: path, reason: .unindexedShard(name))
        }
    }

    /// Opens and validates every shard, and checks that each tensor is in exactly the shard
    /// the index names. Returns the shards in name order.
    /// `mapped`, when given, maps a shard's relative path to the (already checked) file to read.
    func openShards(in folder: String, files mapped: [String: String]? = nil) throws(SafetensorsError) -> [SafetensorsFile] {
        var files: [SafetensorsFile] = []
        var holder: [String: String] = [:]  // tensor -> shard that holds it
        for shard in shards {
            let shardPath = mapped?[shard] ?? folder + "/" + shard
            // Every folder on the way must be a real folder: a linked one could lead outside.
            var prefix = folder
            for component in shard.split(separator: "/").dropLast() where mapped == nil {
                prefix += "/" + component
                guard FileSystem.kind(of: prefix) == .directory else {
                    throw SafetensorsError(file: path, reason: .shardPathOutsideFolder(shard))
                }
            }
            try SafetensorsImporter.requireRegularFile(shardPath)
            let file = try SafetensorsFile(path: shardPath)
            for tensor in file.tensors {
                if let first = holder[tensor.name] {
                    throw SafetensorsError(file: shardPath, reason: .duplicateTensor(
                        tensor: tensor.name, first: first, second: shard))
                }
                guard weightMap[tensor.name] == shard else {
                    throw SafetensorsError(file: shardPath, reason: .tensorNotInIndex(tensor: tensor.name, shard: shard))
                }
                holder[tensor.name] = shard
            }
            files.append(file)
        }
        if holder.count != weightMap.count,
            let missing = weightMap.keys.filter({ holder[$0] == nil }).min(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }),
            let shard = weightMap[missing]
        {
            throw SafetensorsError(file: path, reason: .indexedTensorMissing(tensor: missing, shard: shard))
        }
        return files
    }
}
