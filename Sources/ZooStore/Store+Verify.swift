import ZooFormat

extension Store {
    /// Re-hashes a stored model: checks that its manifest blob hashes to the model digest and
    /// every blob is present with its declared size, then delegates to
    /// ``Checkpoint/verify(_:progress:)`` (`.files` re-hashes shards and assets; `.deep` also
    /// every tensor, so a failure names the tensor).
    ///
    /// It also checks the model's derived data against the manifest it just read: its summary
    /// (`index/models/<hex>`) and its entries in `index/refs`; any that is missing or differs is
    /// rewritten (under the store lock, when the store is writable).
    ///
    /// - Returns: the report; its failures name the shard, asset or tensor, the blob file and
    ///   the byte offset.
    /// - Throws: ``StoreError`` when the model cannot be opened at all (no such model, corrupt
    ///   manifest blob, missing or wrongly sized blob).
    public func verify(
        _ reference: ModelReference, options: VerificationOptions = .files, progress: (@Sendable (Int) -> Void)? = nil
    ) throws(StoreError) -> VerificationReport {
        let checkpoint = try checkpoint(for: reference, verifying: [])  // the report covers the bytes
        checkIndex(of: checkpoint.manifest, digest: checkpoint.digest)
        return checkpoint.verify(options, progress: progress)
    }

    /// Whether the summary and ref-index entries of model `digest` match `manifest` (its
    /// hash-checked manifest); rewrites what does not. Returns `true` when everything matched.
    @discardableResult
    public func checkIndex(of manifest: Manifest, digest: SHA256Digest) -> Bool {
        let summary = makeSummary(manifest, digest: digest)
        let summaryMatches = storedSummary(digest) == summary
        let index = loadRefIndex()
        let listingsMatch = index?.entries.allSatisfy { $0.ref.digest != digest || $0.listing == summary.listing } ?? true
        if summaryMatches && listingsMatch { return true }
        withCacheLock { () throws(StoreError) in
            if storedSummary(digest) != summary { try writeSummary(summary) }
            if var index = loadRefIndex(), index.listing(of: digest) != summary.listing
                || index.entries.contains(where: { $0.ref.digest == digest && $0.listing == nil })
            {
                index.setListing(summary.listing, of: digest)
                try writeRefIndex(index)
            }
        }
        return false
    }
}
