import Foundation

/// An open checkpoint: its validated manifest plus memory-mapped access to its tensors.
///
/// Opening reads and validates only the manifest and checks each shard's size, so it costs
/// O(manifest) whatever the model size. Shards are mapped on first use; tensor views point
/// straight into the mappings (zero-copy).
///
/// ```swift
/// let checkpoint = try Checkpoint(contentsOf: "models/bert")       // folder or .zoo archive
/// let query = try checkpoint.tensor(named: "encoder.layer.0.attention.self.query.weight")
/// try query.withScalars(as: Float.self) { print($0.prefix(4)) }
/// ```
public final class Checkpoint: @unchecked Sendable {
    public let manifest: Manifest
    /// The model digest (SHA-256 of the canonical manifest), computed on first use so that
    /// opening stays as cheap as parsing.
    public var digest: SHA256Digest {
        lock.lock()
        defer { lock.unlock() }
        if let cachedDigest { return cachedDigest }
        let digest = manifest.digest
        cachedDigest = digest
        return digest
    }
    private var cachedDigest: SHA256Digest?
    /// Where the checkpoint was opened from, for messages.
    public let location: String
    /// Where each shard's bytes are, in manifest order.
    public let shardRegions: [FileRegion]
    /// Where each asset's bytes are, in manifest order.
    public let assetRegions: [FileRegion]

    /// Name -> index into `manifest.tensors`, built on the first lookup by name (under `lock`):
    /// opening a 100,000-tensor model should not pay for a dictionary it may never use.
    private var tensorIndex: [String: Int]?
    private let lock = NSLock()
    private var mappings: [String: MappedFile] = [:]

    /// Opens a checkpoint from a manifest and the regions holding its shard and asset bytes
    /// (one per shard and per asset, in manifest order). Validates the manifest and checks that
    /// every file exists and is large enough.
    public convenience init(manifest: Manifest, location: String, shards: [FileRegion], assets: [FileRegion])
        throws(FormatError)
    {
        try manifest.validate(file: location)
        try self.init(validated: manifest, location: location, shards: shards, assets: assets)
    }

    /// For a manifest already validated (parsing validates): checks that every region matches
    /// its entry's length and lies within its file.
    package convenience init(validated manifest: Manifest, location: String, shards: [FileRegion], assets: [FileRegion])
        throws(FormatError)
    {
        guard shards.count == manifest.shards.count, assets.count == manifest.assets.count else {
            throw FormatError(file: location, reason: .invalidMember(
                "regions", expected: "one per shard (\(manifest.shards.count)) and per asset (\(manifest.assets.count))"))
        }
        for (entry, region) in zip(manifest.shards + manifest.assets, shards + assets) {
            guard region.length == entry.length else {
                throw FormatError(file: region.path, reason: .fileSizeMismatch(
                    path: entry.path, declared: entry.length, actual: region.length))
            }
            let size: Int
            do { size = try FileSystem.fileSize(region.path) } catch {
                throw FormatError(file: region.path, reason: error.errno == ENOENT ? .missingFile(entry.path) : .io(error))
            }
            let (end, overflow) = region.offset.addingReportingOverflow(region.length)
            guard !overflow, end <= size else {
                throw FormatError(file: region.path, reason: .fileSizeMismatch(
                    path: entry.path, declared: entry.length, actual: max(0, size - region.offset)))
            }
        }
        self.init(checked: manifest, location: location, shards: shards, assets: assets)
    }

    /// The designated initialiser: manifest validated, regions checked against their files.
    private init(checked manifest: Manifest, location: String, shards: [FileRegion], assets: [FileRegion]) {
        self.manifest = manifest
        self.location = location
        self.shardRegions = shards
        self.assetRegions = assets
    }

    /// Opens a checkpoint folder (`manifest.json`, `shards/`, `assets/`). Shards must be exactly
    /// as long as the manifest says: a longer file would hide bytes no digest covers.
    public convenience init(directory: String) throws(FormatError) {
        try Folder.checkLayout(of: directory)
        let manifestPath = directory + "/manifest.json"
        let bytes: [UInt8]?
        do {
            bytes = try FileSystem.readFile(manifestPath, limit: Manifest.maxByteCount)
        } catch {
            throw FormatError(file: manifestPath, reason: error.errno == ENOENT ? .missingFile("manifest.json") : .io(error))
        }
        guard let bytes else {
            let size = (try? FileSystem.fileSize(manifestPath)) ?? 0
            throw FormatError(file: manifestPath, reason: .manifestTooLarge(size: size, limit: Manifest.maxByteCount))
        }
        let manifest = try Manifest(parsing: bytes, file: manifestPath)
        // One lstat per file gives both its kind (links are refused) and its size.
        func region(_ entry: FileEntry) throws(FormatError) -> FileRegion {
            let path = directory + "/" + entry.path
            try Folder.checkFolders(of: entry.path, in: directory)
            let status: FileSystem.Status
            do { status = try FileSystem.status(of: path) } catch { throw FormatError(file: path, reason: .io(error)) }
            switch status.kind {
            case .regular: break
            case .missing: throw FormatError(file: path, reason: .missingFile(entry.path))
            case .symbolicLink: throw FormatError(file: path, reason: .symbolicLink(entry.path))
            default: throw FormatError(file: path, reason: .invalidPath(entry.path, why: "not a regular file"))
            }
            guard status.size == entry.length else {
                throw FormatError(file: path, reason: .fileSizeMismatch(path: entry.path, declared: entry.length, actual: status.size))
            }
            return FileRegion(path: path, offset: 0, length: status.size)
        }
        var shards: [FileRegion] = []
        shards.reserveCapacity(manifest.shards.count)
        for entry in manifest.shards { shards.append(try region(entry)) }
        var assets: [FileRegion] = []
        assets.reserveCapacity(manifest.assets.count)
        for entry in manifest.assets { assets.append(try region(entry)) }
        self.init(checked: manifest, location: directory, shards: shards, assets: assets)
    }

    /// The names of all tensors, in the source's order (``Manifest/tensorsInSourceOrder``).
    public var tensorNames: [String] { manifest.tensorsInSourceOrder.map(\.name) }

    /// A zero-copy view of the tensor `name`.
    public func tensor(named name: String) throws(FormatError) -> TensorView {
        guard let i = index(of: name) else { throw FormatError(file: location, reason: .noSuchTensor(name)) }
        return try view(manifest.tensors[i])
    }

    private func index(of name: String) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        if let tensorIndex { return tensorIndex[name] }
        var index = [String: Int](minimumCapacity: manifest.tensors.count)
        for (i, tensor) in manifest.tensors.enumerated() { index[tensor.name] = i }
        tensorIndex = index
        return index[name]
    }

    /// Views of every tensor whose name starts with `prefix`, in storage order
    /// (e.g. `"encoder."` to take a backbone without its head).
    public func tensors(withPrefix prefix: String) throws(FormatError) -> [TensorView] {
        var views: [TensorView] = []
        for entry in manifest.tensors where entry.name.hasPrefix(prefix) { views.append(try view(entry)) }
        return views
    }

    /// The bytes of shard `index`, mapped (the mapping lives while `owner` does).
    public func shardBytes(_ index: Int) throws(FormatError) -> (bytes: UnsafeRawBufferPointer, owner: MappedFile) {
        try bytes(of: shardRegions[index])
    }

    /// The bytes of asset `index`, mapped.
    public func assetBytes(_ index: Int) throws(FormatError) -> (bytes: UnsafeRawBufferPointer, owner: MappedFile) {
        try bytes(of: assetRegions[index])
    }

    /// The bytes of the asset at `path` (e.g. `assets/config.json`), copied.
    public func asset(path: String) throws(FormatError) -> [UInt8] {
        guard let i = manifest.assets.firstIndex(where: { $0.path == path || $0.path == "assets/" + path }) else {
            throw FormatError(file: location, reason: .missingFile(path))
        }
        return Array(try assetBytes(i).bytes)
    }

    private func view(_ entry: TensorEntry) throws(FormatError) -> TensorView {
        let (shard, owner) = try shardBytes(entry.shard)
        let slice = UnsafeRawBufferPointer(rebasing: shard[entry.offset..<(entry.offset + entry.length)])
        return TensorView(entry: entry, bytes: slice, owner: owner)
    }

    private func bytes(of region: FileRegion) throws(FormatError) -> (bytes: UnsafeRawBufferPointer, owner: MappedFile) {
        let file = try mapping(region.path)
        // Re-checked against the mapping: the file may have shrunk since open.
        guard region.offset + region.length <= file.bytes.count else {
            throw FormatError(file: region.path, reason: .fileSizeMismatch(
                path: region.path, declared: region.offset + region.length, actual: file.bytes.count))
        }
        if region.length == 0 { return (UnsafeRawBufferPointer(start: nil, count: 0), file) }
        return (UnsafeRawBufferPointer(rebasing: file.bytes[region.offset..<(region.offset + region.length)]), file)
    }

    private func mapping(_ path: String) throws(FormatError) -> MappedFile {
        lock.lock()
        defer { lock.unlock() }
        if let file = mappings[path] { return file }
        do {
            let file = try MappedFile(path: path)
            mappings[path] = file
            return file
        } catch {
            throw FormatError(file: path, reason: .io(error))
        }
    }
}
