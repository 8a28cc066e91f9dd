import ZooFormat

extension Store {
    /// The blobs a model needs: its manifest blob, then every shard and asset blob.
    public func blobs(ofModel digest: SHA256Digest) throws(StoreError) -> Set<SHA256Digest> {
        let manifest = try manifest(for: digest)
        var blobs: Set<SHA256Digest> = [digest]
        for entry in manifest.shards + manifest.assets { blobs.insert(entry.digest) }
        return blobs
    }

    /// Every blob reachable from the refs (all of them, or all but `excluded`): the walk a
    /// removal and a garbage collection share. Call with the lock held when deleting what it
    /// does not return.
    ///
    /// - Throws: ``StoreError/Reason/corruptManifestBlob(digest:why:)`` or
    ///   ``StoreError/Reason/missingBlob(name:digest:)`` when a referenced manifest cannot be
    ///   read: then what it references is unknown, and nothing may be deleted.
    public func reachableBlobs(excluding excluded: Set<StoreRef> = []) throws(StoreError) -> Set<SHA256Digest> {
        try reachableBlobs(from: try refs().filter { !excluded.contains($0) })
    }

    /// The blobs the models of `refs` need.
    func reachableBlobs(from refs: [StoreRef]) throws(StoreError) -> Set<SHA256Digest> {
        let models = Set(refs.map(\.digest))
        var reachable = Set<SHA256Digest>()
        for model in models { reachable.formUnion(try blobs(ofModel: model)) }
        return reachable
    }

    /// The digests of every blob file in `blobs/sha256` (files not named by 64 lowercase hex
    /// digits are not blobs and are left out).
    public func storedBlobs() throws(StoreError) -> [SHA256Digest] {
        guard FileSystem.kind(of: blobDirectory) == .directory else { return [] }
        do {
            return try FileSystem.listDirectory(blobDirectory).compactMap { SHA256Digest(hex: $0) }
        } catch {
            throw StoreError(.io(error))
        }
    }

    /// Stored blobs no ref reaches (what a garbage collection would delete).
    public func unreachableBlobs() throws(StoreError) -> [SHA256Digest] {
        let reachable = try reachableBlobs()
        return try storedBlobs().filter { !reachable.contains($0) }
    }
}
