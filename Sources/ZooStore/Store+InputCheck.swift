import ZooFormat

extension Store {
    /// Checks a checkpoint from outside the store exactly as an import does (shard, asset and
    /// tensor digests, zero padding; one pass per shard) without storing anything: for callers
    /// that read its tensors to store something derived from them (an import converted with
    /// `--dtype`), so an inconsistent input fails the same way whichever path it takes.
    ///
    /// - Throws: the first disagreement, as ``importCheckpoint(_:name:names:progress:)`` does.
    public static func checkInput(_ checkpoint: Checkpoint, progress: (@Sendable (Int) -> Void)? = nil) throws(StoreError) {
        let blobs = PlannedBlob.plan(manifest: checkpoint.manifest, manifestBytes: checkpoint.manifest.canonicalBytes) {
            isShard, index in isShard ? .shard(checkpoint, index: index) : .asset(checkpoint, index: index)
        }
        for blob in blobs where blob.needsInputCheck { try blob.checkInput(progress: progress) }
    }
}
