import ZooFormat

/// Where a store's bytes go, as `hf cache scan` and `docker system df` report it: per model,
/// what it holds and what only it holds (what removing it would free), then what models share
/// and what a garbage collection would free.
public struct DiskUsage: Sendable, Equatable {
    /// One stored model (all its refs together).
    public struct Model: Sendable, Equatable {
        public var digest: SHA256Digest
        /// Its refs, `NAME:TAG`, sorted.
        public var refs: [String]
        /// Bytes of every blob it needs (manifest, shards, assets).
        public var byteCount: Int
        /// Bytes of the blobs no other model needs: what `zoo rm` of every ref would free.
        public var uniqueByteCount: Int
    }

    /// The models, largest first.
    public var models: [Model]
    /// Blob files in `blobs/` and their bytes.
    public var blobCount: Int
    public var blobByteCount: Int
    /// Bytes of blobs that two or more models need (stored once).
    public var sharedByteCount: Int
    /// Bytes of blobs no ref reaches: what `zoo gc` would free.
    public var unreachableByteCount: Int
    /// Bytes under `tmp/`: staging, partial downloads, upload state.
    public var temporaryByteCount: Int
}

extension Store {
    /// Measures the store (reads every model's manifest and stats every blob; hashes nothing).
    public func diskUsage() throws(StoreError) -> DiskUsage {
        var sizes: [SHA256Digest: Int] = [:]
        for blob in try storedBlobs() { sizes[blob] = (try? FileSystem.fileSize(blobPath(blob))) ?? 0 }
        var refsByModel: [SHA256Digest: [String]] = [:]
        for ref in try refs() { refsByModel[ref.digest, default: []].append(ref.description) }
        var blobsByModel: [SHA256Digest: Set<SHA256Digest>] = [:]
        var users: [SHA256Digest: Int] = [:]
        for model in refsByModel.keys {
            let blobs = try blobs(ofModel: model)
            blobsByModel[model] = blobs
            for blob in blobs { users[blob, default: 0] += 1 }
        }
        let models = refsByModel.map { digest, refs in
            let blobs = blobsByModel[digest] ?? []
            return DiskUsage.Model(
                digest: digest, refs: refs.sorted(),
                byteCount: blobs.reduce(0) { $0 + (sizes[$1] ?? 0) },
                uniqueByteCount: blobs.filter { users[$0] == 1 }.reduce(0) { $0 + (sizes[$1] ?? 0) })
        }.sorted { ($0.byteCount, $1.refs.first ?? "") > ($1.byteCount, $0.refs.first ?? "") }
        return DiskUsage(
            models: models, blobCount: sizes.count, blobByteCount: sizes.values.reduce(0, +),
            sharedByteCount: users.filter { $0.value > 1 }.keys.reduce(0) { $0 + (sizes[$1] ?? 0) },
            unreachableByteCount: sizes.filter { users[$0.key] == nil }.values.reduce(0, +),
            temporaryByteCount: Self.treeByteCount(tmpDirectory))
    }

    /// Bytes of the regular files under `path` (links not followed).
    static func treeByteCount(_ path: String) -> Int {
        switch FileSystem.kind(of: path) {
        case .regular: return (try? FileSystem.fileSize(path)) ?? 0
        case .directory:
            return ((try? FileSystem.listDirectory(path)) ?? []).reduce(0) { $0 + treeByteCount(path + "/" + $1) }
        default: return 0
        }
    }
}
