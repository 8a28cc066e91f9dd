#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// Exports a zoo checkpoint as safetensors: one `.safetensors` file, or a Hugging Face model
/// folder (shards of at most ``maxShardByteCount`` tensor bytes, their index, and the
/// checkpoint's assets).
///
/// Files are written the way safetensors 0.8.0's writer writes them: the JSON header holds
/// `__metadata__` first (when the checkpoint has `safetensors.metadata`; keys in code-point
/// order, since the official writer's order is a random hash order) and then every tensor as
/// `{"dtype":..,"shape":[..],"data_offsets":[b,e]}`, compact, with serde_json's string escapes,
/// padded with spaces to a multiple of 8. Tensors keep the manifest order, so a file imported
/// by ``SafetensorsImporter`` comes back byte for byte (whole-file identical when its metadata
/// has at most one key). Tensor bytes are streamed from the checkpoint's memory-mapped shards;
/// files go to a temporary name, are flushed and then renamed into place.
///
/// ```swift
/// let checkpoint = try Checkpoint(directory: "out/bert-tiny")
/// try SafetensorsExporter().exportFile(checkpoint, to: "bert-tiny.safetensors")
/// try SafetensorsExporter(maxShardByteCount: 2_000_000_000).exportFolder(checkpoint, to: "hf/bert-tiny")
/// ```
public struct SafetensorsExporter: Sendable {
    /// Hugging Face's default `max_shard_size` ("5GB").
    public static let defaultMaxShardByteCount = 5_000_000_000

    /// A folder export starts a new shard before a tensor that would take the current one past
    /// this many tensor bytes (like Hugging Face's `max_shard_size`, the header is not counted);
    /// a larger tensor gets a shard of its own.
    public var maxShardByteCount: Int

    public init(maxShardByteCount: Int = SafetensorsExporter.defaultMaxShardByteCount) {
        self.maxShardByteCount = maxShardByteCount
    }

    /// Writes every tensor of `checkpoint`, in the source's order (``ZooFormat/Manifest/tensorsInSourceOrder``), to a new `.safetensors` file at
    /// `path` (which must not exist).
    public func exportFile(_ checkpoint: Checkpoint, to path: String) throws(SafetensorsError) {
        let metadata = try Self.storedMetadata(checkpoint, file: path)
        let tensors = checkpoint.manifest.tensorsInSourceOrder
        let header = try Self.header(for: tensors, metadata: metadata, file: path)
        guard FileSystem.kind(of: path) == .missing else {
            throw SafetensorsError(file: path, reason: .io(IOError(call: "create", path: path, errno: EEXIST)))
        }
        let directory = FileSystem.parentDirectory(of: path)
        let temp = directory + "/" + FileSystem.uniqueName("." + SafetensorsImporter.baseName(path) + ".partial")
        do throws(SafetensorsError) {
            try Self.writeSafetensors(tensors, header: header, from: checkpoint, to: temp)
            do {
                try FileSystem.renameNoReplace(temp, to: path)
                try FileSystem.syncDirectory(directory)
            } catch { throw SafetensorsError(file: path, reason: .io(error)) }
        } catch {
            try? FileSystem.removeTree(temp)
            throw error
        }
    }

    /// Writes the same bytes as ``exportFile(_:to:)`` into `sink`, in order (standard output:
    /// the header comes from the manifest, so nothing is staged); flushes but does not sync it.
    package func exportFile(_ checkpoint: Checkpoint, to sink: inout ByteSink) throws(SafetensorsError) {
        let metadata = try Self.storedMetadata(checkpoint, file: sink.name)
        let tensors = checkpoint.manifest.tensorsInSourceOrder
        let header = try Self.header(for: tensors, metadata: metadata, file: sink.name)
        let views = try Self.tensorViews(tensors, of: checkpoint, file: sink.name)
        do {
            try Self.write(views, header: header, to: &sink)
            try sink.flush()
        } catch { throw SafetensorsError(file: sink.name, reason: .io(error)) }
    }

    /// Writes `checkpoint` as a Hugging Face model folder at `folder` (which must not exist):
    /// `model.safetensors` when every tensor fits one shard, else `model-00001-of-0000N.safetensors`...
    /// plus `model.safetensors.index.json` (`{"metadata": {"total_size": N, ...}, "weight_map": {...}}`,
    /// written as `json.dumps(index, indent=2, sort_keys=True)` + newline, like `save_pretrained`),
    /// plus every asset as a file (`assets/config.json` -> `config.json`). The folder is built
    /// under a temporary name and renamed into place. Returns the written files' relative paths.
    @discardableResult
    public func exportFolder(_ checkpoint: Checkpoint, to folder: String) throws(SafetensorsError) -> [String] {
        guard maxShardByteCount > 0 else {
            throw SafetensorsError(file: folder, reason: .invalidMaxShardSize(maxShardByteCount))
        }
        let manifest = checkpoint.manifest
        let metadata = try Self.storedMetadata(checkpoint, file: folder)
        let ordered = manifest.tensorsInSourceOrder
        let groups = Self.shardGroups(ordered, maxByteCount: maxShardByteCount)
        let shardNames = groups.count == 1
            ? [SafetensorsImporter.singleFileName]
            : (1...groups.count).map { "model-\(Self.fiveDigits($0))-of-\(Self.fiveDigits(groups.count)).safetensors" }
        var written = shardNames
        var index: [UInt8]?
        if groups.count > 1 {
            index = try Self.indexBytes(manifest: manifest, groups: groups, shardNames: shardNames, file: folder)
            written.append(SafetensorsImporter.indexFileName)
        }
        let assetNames = manifest.assets.map { String($0.path.dropFirst("assets/".count)) }
        for name in assetNames {
            let top = name.split(separator: "/").first.map(String.init) ?? name
            guard !written.contains(top) else { throw SafetensorsError(file: folder, reason: .assetNameClash(name)) }
        }
        guard FileSystem.kind(of: folder) == .missing else {
            throw SafetensorsError(file: folder, reason: .io(IOError(call: "create", path: folder, errno: EEXIST)))
        }

        let parent = FileSystem.parentDirectory(of: folder)
        let staging = parent + "/" + FileSystem.uniqueName("." + SafetensorsImporter.baseName(folder) + ".partial")
        do throws(SafetensorsError) {
            do { try FileSystem.makeDirectories(staging) } catch { throw SafetensorsError(file: staging, reason: .io(error)) }
            for (group, name) in zip(groups, shardNames) {
                let tensors = Array(ordered[group])
                let header = try Self.header(for: tensors, metadata: metadata, file: folder + "/" + name)
                try Self.writeSafetensors(tensors, header: header, from: checkpoint, to: staging + "/" + name)
            }
            if let index {
                try Self.writeFile(staging + "/" + SafetensorsImporter.indexFileName) { (out) throws(IOError) in
                    try out.write(index)
                }
            }
            var folders: Set<String> = [staging]
            for (i, name) in assetNames.enumerated() {
                let target = staging + "/" + name
                let directory = FileSystem.parentDirectory(of: target)
                let bytes: UnsafeRawBufferPointer
                let owner: MappedFile
                do { (bytes, owner) = try checkpoint.assetBytes(i) } catch {
                    throw SafetensorsError(file: folder, reason: .checkpoint(error))
                }
                do { try FileSystem.makeDirectories(directory) } catch {
                    throw SafetensorsError(file: directory, reason: .io(error))
                }
                var ancestor = directory  // every folder made on the way gets flushed too
                while ancestor.count > staging.count, folders.insert(ancestor).inserted {
                    ancestor = FileSystem.parentDirectory(of: ancestor)
                }
                try withExtendedLifetime(owner) { () throws(SafetensorsError) in
                    try Self.writeFile(target) { (out) throws(IOError) in try out.write(bytes) }
                }
            }
            do {
                for directory in folders.sorted(by: { $0.count > $1.count }) { try FileSystem.syncDirectory(directory) }
                try FileSystem.renameNoReplace(staging, to: folder)
                try FileSystem.syncDirectory(parent)
            } catch { throw SafetensorsError(file: folder, reason: .io(error)) }
        } catch {
            try? FileSystem.removeTree(staging)
            throw error
        }
        return written + assetNames
    }

    // MARK: Header

    /// The JSON header (without the 8-byte length) the official writer makes for `tensors` laid
    /// out contiguously in this order, padded with spaces to a multiple of 8.
    static func header(
        for tensors: [TensorEntry], metadata: [String: String]?, file: String
    ) throws(SafetensorsError) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(128 + tensors.count * 96)
        var first = true
        func separator() {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
        }
        if let metadata {
            separator()
            JSONValue.appendQuoted(Safetensors.metadataKey, to: &out)
            out.append(contentsOf: ":{".utf8)
            for (i, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.appendQuoted(key, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONValue.appendQuoted(metadata[key] ?? "", to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        var offset = 0
        for tensor in tensors {
            guard tensor.name != Safetensors.metadataKey else {
                throw SafetensorsError(file: file, reason: .reservedTensorName(tensor.name))
            }
            separator()
            let (end, overflow) = offset.addingReportingOverflow(tensor.length)
            guard !overflow else { throw SafetensorsError(file: file, reason: .sizeOverflow(tensor: tensor.name)) }
            JSONValue.appendQuoted(tensor.name, to: &out)
            out.append(contentsOf: ":{\"dtype\":\"".utf8)
            out.append(contentsOf: tensor.dtype.rawValue.utf8)
            out.append(contentsOf: "\",\"shape\":[".utf8)
            out.append(contentsOf: tensor.shape.map(String.init).joined(separator: ",").utf8)
            out.append(contentsOf: "],\"data_offsets\":[\(offset),\(end)]}".utf8)
            offset = end
        }
        out.append(UInt8(ascii: "}"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - out.count % 8) % 8))
        guard out.count <= Safetensors.maxHeaderBytes else {
            throw SafetensorsError(file: file, offset: 0, reason: .headerTooLarge(declared: UInt64(out.count)))
        }
        return out
    }

    // MARK: Layout

    /// Splits tensors, in order, into runs of at most `maxByteCount` bytes (a larger tensor
    /// alone). No tensors gives one empty run: an empty model is still one file.
    static func shardGroups(_ tensors: [TensorEntry], maxByteCount: Int) -> [Range<Int>] {
        var groups: [Range<Int>] = []
        var start = 0
        var size = 0
        for (i, tensor) in tensors.enumerated() {
            if i > start, tensor.length > maxByteCount - size {
                groups.append(start..<i)
                start = i
                size = 0
            }
            size += tensor.length
        }
        groups.append(start..<tensors.count)
        return groups
    }

    /// `model.safetensors.index.json`: the stored index metadata with `total_size` recomputed,
    /// and the weight map.
    private static func indexBytes(
        manifest: Manifest, groups: [Range<Int>], shardNames: [String], file: String
    ) throws(SafetensorsError) -> [UInt8] {
        var metadata: [String: JSONValue] = [:]
        switch manifest.metadata[SafetensorsImporter.MetadataKey.indexMetadata] {
        case nil, .null?: break
        case let .object(members)?: metadata = members
        default: throw SafetensorsError(file: file, reason: .invalidStoredMetadata)
        }
        var total = 0
        var weightMap: [String: JSONValue] = [:]
        let ordered = manifest.tensorsInSourceOrder
        for (group, name) in zip(groups, shardNames) {
            for tensor in ordered[group] {
                total += tensor.length  // the manifest was validated: no overflow
                weightMap[tensor.name] = .string(name)
            }
        }
        metadata["total_size"] = .integer(Int64(total))
        return PythonJSON.dumps(["metadata": .object(metadata), "weight_map": .object(weightMap)]) + [0x0a]
    }

    private static func fiveDigits(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// The checkpoint's `safetensors.metadata`, or nil when it has none.
    static func storedMetadata(_ checkpoint: Checkpoint, file: String) throws(SafetensorsError) -> [String: String]? {
        switch checkpoint.manifest.metadata[SafetensorsImporter.MetadataKey.fileMetadata] {
        case nil: return nil
        case let .object(members)?:
            var strings: [String: String] = [:]
            for (key, value) in members {
                guard case let .string(text) = value else { throw SafetensorsError(file: file, reason: .invalidStoredMetadata) }
                strings[key] = text
            }
            return strings
        default: throw SafetensorsError(file: file, reason: .invalidStoredMetadata)
        }
    }

    // MARK: Output

    /// Writes one safetensors file at `path` (new): length, header, then each tensor's bytes
    /// straight from the checkpoint's mapped shards.
    private static func writeSafetensors(
        _ tensors: [TensorEntry], header: [UInt8], from checkpoint: Checkpoint, to path: String
    ) throws(SafetensorsError) {
        let views = try tensorViews(tensors, of: checkpoint, file: path)
        try writeFile(path) { (out) throws(IOError) in try write(views, header: header, to: &out) }
    }

    /// The tensors' views in the checkpoint's mapped shards (errors name `file`).
    private static func tensorViews(_ tensors: [TensorEntry], of checkpoint: Checkpoint, file: String)
        throws(SafetensorsError) -> [TensorView]
    {
        var views: [TensorView] = []
        views.reserveCapacity(tensors.count)
        do {
            for tensor in tensors { views.append(try checkpoint.tensor(named: tensor.name)) }
        } catch {
            throw SafetensorsError(file: file, reason: .checkpoint(error))
        }
        return views
    }

    /// The file's bytes in order: the header's length, the header, the tensors' bytes.
    private static func write(_ views: [TensorView], header: [UInt8], to out: inout ByteSink) throws(IOError) {
        try out.write(withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init))
        try out.write(header)
        for view in views { try out.write(mapped: view.bytes) }
    }

    private static func writeFile(
        _ path: String, _ body: (inout ByteSink) throws(IOError) -> Void
    ) throws(SafetensorsError) {
        do { try ByteSink.writeFile(path, body) } catch { throw SafetensorsError(file: path, reason: .io(error)) }
    }
}
