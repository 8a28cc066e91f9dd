import ZooFormat

extension Store {
    /// Re-hashes an opened stored model before its bytes are handed out (see
    /// ``checkpoint(for:verifying:)``) and throws on the first damage.
    func checkStoredBytes(of checkpoint: Checkpoint, _ checks: VerificationOptions) throws(StoreError) {
        guard !checks.isEmpty else { return }
        let failures = checkpoint.verify(checks).failures
        guard let first = failures.first else { return }
        var culprit = first
        if first.kind != .tensor, first.kind != .asset {
            // A shard differs: re-hash its tensors (only on this failure path) to name the one.
            culprit = checkpoint.verify(.tensors).failures.first { $0.kind == .tensor && $0.file == first.file } ?? first
        }
        // The blob the bytes were read from: a shard's (or an asset's) digest names it.
        let blob = zip(checkpoint.manifest.shards + checkpoint.manifest.assets,
                       checkpoint.shardRegions + checkpoint.assetRegions)
            .first { $0.1.path == culprit.file }?.0.digest ?? culprit.expected
        throw StoreError(.damagedBlob(
            item: culprit.kind == .tensor ? "tensor '\(culprit.name)'" : culprit.name, digest: blob,
            file: culprit.file, offset: culprit.offset, expected: culprit.expected, actual: culprit.actual))
    }
}
