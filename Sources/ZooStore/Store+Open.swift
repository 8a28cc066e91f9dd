import ZooFormat

extension Store {
    /// Opens a stored model. Reads its manifest blob, checks that it hashes to the model digest,
    /// and points every shard and asset at its blob, so tensors are memory-mapped straight from
    /// the store (zero-copy).
    ///
    /// By default every blob is re-hashed first (`.files`; about 0.8 s per GiB on one core, the
    /// cores share the shards), so damaged store data is never handed out to an export, a
    /// conversion or a loader: the error names the damaged tensor and says to re-import or
    /// re-pull. `verifying: []` opens in O(manifest) without reading the blobs, for callers
    /// that check the bytes themselves (``verify(_:options:progress:)``) or read none.
    ///
    /// Opening by reference records the model's use time (``lastUsed(_:)``, at most one write
    /// per ``usageResolution``): loading, export, conversion, embedding, diffing.
    ///
    /// - Throws: ``StoreError`` (no such model, a corrupt manifest blob, a missing or
    ///   wrongly-sized blob, ``StoreError/Reason/damagedBlob(item:digest:file:offset:expected:actual:)``).
    ///
    /// - Parameter recordingUse: `false` for a caller that only inspects the model (`zoo verify`
    ///   changes nothing in the store).
    public func checkpoint(for reference: ModelReference, verifying checks: VerificationOptions = .files,
                           recordingUse: Bool = true) throws(StoreError) -> Checkpoint
    {
        let digest = try resolve(reference)
        let checkpoint = try checkpoint(digest: digest, verifying: checks)
        if recordingUse { recordUse(of: digest) }  // what `zoo list` shows as USED
        return checkpoint
    }

    /// Opens the stored model with this digest (see ``checkpoint(for:verifying:)``).
    public func checkpoint(digest: SHA256Digest, verifying checks: VerificationOptions = .files)
        throws(StoreError) -> Checkpoint
    {
        let checkpoint = try openUnverified(digest: digest)
        try checkStoredBytes(of: checkpoint, checks)
        return checkpoint
    }

    private func openUnverified(digest: SHA256Digest) throws(StoreError) -> Checkpoint {
        try openUnverified(try manifest(for: digest), digest: digest)
    }

    /// The model `manifest` (validated, with this digest) over the blobs in the store, each
    /// present with its size; nothing is read.
    func openUnverified(_ manifest: Manifest, digest: SHA256Digest) throws(StoreError) -> Checkpoint {
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
            // The caller parsed, hence validated, the manifest: not again.
            return try Checkpoint(validated: manifest, location: blobPath(digest), shards: shards, assets: assets)
        } catch {
            throw StoreError(.format(error))
        }
    }
}
