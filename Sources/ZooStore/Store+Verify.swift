import ZooFormat

extension Store {
    /// Re-hashes a stored model: checks that its manifest blob hashes to the model digest and
    /// every blob is present with its declared size, then delegates to
    /// ``Checkpoint/verify(_:progress:)`` (`.files` re-hashes shards and assets; `.deep` also
    /// every tensor, so a failure names the tensor).
    ///
    /// - Returns: the report; its failures name the shard, asset or tensor, the blob file and
    ///   the byte offset.
    /// - Throws: ``StoreError`` when the model cannot be opened at all (no such model, corrupt
    ///   manifest blob, missing or wrongly sized blob).
    public func verify(
        _ reference: ModelReference, options: VerificationOptions = .files, progress: (@Sendable (Int) -> Void)? = nil
    ) throws(StoreError) -> VerificationReport {
        try checkpoint(for: reference).verify(options, progress: progress)
    }
}
