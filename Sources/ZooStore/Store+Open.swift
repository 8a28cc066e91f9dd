import ZooFormat

extension Store {
    /// Opens a stored model. Reads its manifest blob, checks that it hashes to the model digest,
    /// and points every shard and asset at its blob, so tensors are memory-mapped straight from
    /// the store (zero-copy). Blob contents are not re-hashed: see ``verify(_:options:progress:)``.
    ///
    /// - Throws: ``StoreError`` (no such model, a corrupt manifest blob, a missing or
    ///   wrongly-sized blob).
    public func checkpoint(for reference: ModelReference) throws(StoreError) -> Checkpoint {
        try checkpoint(digest: try resolve(reference))
    }

    /// Opens the stored model with this digest (see ``checkpoint(for:)``).
    public func checkpoint(digest: SHA256Digest) throws(StoreError) -> Checkpoint {
        let manifest = try manifest(for: digest)
        func region(_ entry: FileEntry) throws(StoreError) -> FileRegion {
            let path = blobPath(entry.digest)
            guard FileSystem.kind(of: path) == .regular else {
                throw StoreError(.missingBlob(name: entry.path, digest: entry.digest))
            }
            let size: Int
            do { size = try FileSystem.fileSize(path) } catch { throw StoreError(.io(error)) }
            guard size == entry.length else {
                throw StoreError(.blobSizeMismatch(name: entry.path, digest: entry.digest, expected: entry.length, actual: size))
            }
            return FileRegion(path: path, offset: 0, length: size)
        }
        var shards: [FileRegion] = []
        for entry in manifest.shards { shards.append(try region(entry)) }
        var assets: [FileRegion] = []
        for entry in manifest.assets { assets.append(try region(entry)) }
        do {
            // manifest(for:) parsed, hence validated, the manifest: not again.
            return try Checkpoint(validated: manifest, location: blobPath(digest), shards: shards, assets: assets)
        } catch {
            throw StoreError(.format(error))
        }
    }
}
