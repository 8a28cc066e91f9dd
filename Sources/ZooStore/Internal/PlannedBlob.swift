import ZooFormat

/// One blob an import needs: what it is, where its bytes come from, and (once prepared) the
/// verified, fsynced file in `tmp/` that will be linked into `blobs/`.
struct PlannedBlob {
    enum Source {
        /// Bytes in memory (the manifest's canonical bytes).
        case bytes([UInt8])
        /// Shard `index` of the checkpoint being imported.
        case shard(Checkpoint, index: Int)
        /// Asset `index` of the checkpoint being imported.
        case asset(Checkpoint, index: Int)
        /// A file already in `tmp/`, to be renamed into place. `verified` when its digest
        /// was computed while it was written.
        case stagedFile(path: String, verified: Bool)
    }

    /// The manifest path (`shards/00000.bin`, `assets/config.json`) or `manifest.json`.
    let name: String
    let digest: SHA256Digest
    let length: Int
    let source: Source
    /// The manifest and shard index whose tensor digests the bytes must match, for a shard.
    let shard: (manifest: Manifest, index: Int)?
    /// A later manifest entry with the digest of an earlier one: its bytes are checked, never
    /// copied (the earlier entry's blob is the stored one).
    let duplicate: Bool
    /// Set once the bytes are in a verified, fsynced file that may be linked into place.
    var ready: String?

    /// The blobs of `manifest`, one per shard and asset entry, manifest last. Entries repeating
    /// an earlier digest are ``duplicate``: their input is checked like any other. `source`
    /// maps a shard (`true`) or asset (`false`) index to where its bytes are.
    static func plan(manifest: Manifest, manifestBytes: [UInt8], source: (Bool, Int) -> Source) -> [PlannedBlob] {
        var seen = Set<SHA256Digest>()
        var blobs: [PlannedBlob] = []
        for (isShard, entries) in [(true, manifest.shards), (false, manifest.assets)] {
            for (index, entry) in entries.enumerated() {
                let duplicate = !seen.insert(entry.digest).inserted
                blobs.append(PlannedBlob(name: entry.path, digest: entry.digest, length: entry.length,
                                         source: source(isShard, index), shard: isShard ? (manifest, index) : nil,
                                         duplicate: duplicate))
            }
        }
        let digest = SHA256.digest(manifestBytes)
        if seen.insert(digest).inserted {
            blobs.append(PlannedBlob(name: "manifest.json", digest: digest, length: manifestBytes.count,
                                     source: .bytes(manifestBytes), shard: nil, duplicate: false))
        }
        return blobs
    }

    /// Whether the bytes need reading even when the store already holds the blob: input from
    /// outside is checked whatever the store holds; bytes hashed as they were written (and
    /// the manifest, whose digest is the model's) are not.
    var needsInputCheck: Bool {
        switch source {
        case .bytes: false
        case .shard, .asset: true
        case let .stagedFile(_, verified): !verified
        }
    }

    /// Checks the input against the manifest without copying it (the store holds the blob, or
    /// this is a ``duplicate``): shard digest, tensor digests and padding.
    func checkInput(progress: (@Sendable (Int) -> Void)?) throws(StoreError) {
        switch source {
        case .bytes:
            progress?(length)
        case .shard, .asset:
            let (region, mapped) = try mappedInput()
            let checks = contentChecks(file: region.path, offset: region.offset)
            let actual = withExtendedLifetime(mapped.owner) {
                BlobCopier.hash(mapped.bytes, checks: checks, progress: progress)
            }
            try judge(actual, checks: checks, file: region.path, offset: region.offset)
        case let .stagedFile(path, verified):
            try checkSize(of: path)
            if verified {
                progress?(length)
                return
            }
            let checks = contentChecks(file: path, offset: 0)
            let actual: SHA256Digest
            do { actual = try BlobCopier.hash(fileAt: path, checks: checks, progress: progress) } catch { throw StoreError(.io(error)) }
            try judge(actual, checks: checks, file: path, offset: 0)
        }
    }

    /// Puts the bytes into a verified, fsynced file (in `staging` unless already staged) and
    /// records it in ``ready``.
    mutating func prepare(in staging: String, progress: (@Sendable (Int) -> Void)?) throws(StoreError) {
        let target = staging + "/" + digest.hex
        switch source {
        case let .bytes(bytes):
            let actual: SHA256Digest
            do {
                actual = try bytes.withUnsafeBytes { raw in
                    Result { () throws(IOError) in try BlobCopier.copy(raw, to: target, progress: progress) }
                }.get()
            } catch {
                throw StoreError(.io(error))
            }
            try checkDigest(actual, file: target, offset: 0)
            ready = target
        case .shard, .asset:
            let (region, mapped) = try mappedInput()
            let checks = contentChecks(file: region.path, offset: region.offset)
            let actual: SHA256Digest
            do {
                actual = try withExtendedLifetime(mapped.owner) { () throws(IOError) -> SHA256Digest in
                    try BlobCopier.copy(mapped.bytes, to: target, checks: checks, progress: progress)
                }
            } catch {
                throw StoreError(.io(error))
            }
            do {
                try judge(actual, checks: checks, file: region.path, offset: region.offset)
            } catch {
                try? Syscalls.unlinkIfPresent(target)
                throw error
            }
            ready = target
        case let .stagedFile(path, verified):
            if verified {
                try checkSize(of: path)
                progress?(length)
            } else {
                try checkInput(progress: progress)
            }
            do { try BlobCopier.seal(fileAt: path) } catch { throw StoreError(.io(error)) }
            ready = path
        }
    }

    /// The mapped bytes of a `.shard` or `.asset` source and the region they come from.
    private func mappedInput() throws(StoreError) -> (FileRegion, (bytes: UnsafeRawBufferPointer, owner: MappedFile)) {
        switch source {
        case let .shard(checkpoint, index):
            do { return (checkpoint.shardRegions[index], try checkpoint.shardBytes(index)) } catch { throw StoreError(.format(error)) }
        case let .asset(checkpoint, index):
            do { return (checkpoint.assetRegions[index], try checkpoint.assetBytes(index)) } catch { throw StoreError(.format(error)) }
        case .bytes, .stagedFile:
            preconditionFailure("mappedInput() of a source that is not a checkpoint's shard or asset")
        }
    }

    private func contentChecks(file: String, offset: Int) -> [ShardContentCheck] {
        guard let shard else { return [] }
        let check = ShardContentCheck(manifest: shard.manifest, shard: shard.index, file: file, fileOffset: offset)
        return check.isEmpty ? [] : [check]
    }

    private func checkSize(of path: String) throws(StoreError) {
        let size: Int
        do { size = try FileSystem.fileSize(path) } catch { throw StoreError(.io(error)) }
        guard size == length else {
            throw StoreError(.blobSizeMismatch(name: name, digest: digest, expected: length, actual: size))
        }
    }

    /// Fails on the first tensor or padding disagreement (the most precise place), else on a
    /// shard or asset digest that differs from the manifest's.
    private func judge(_ actual: SHA256Digest, checks: [ShardContentCheck], file: String, offset: Int) throws(StoreError) {
        for check in checks {
            if let failure = check.finish() { throw ShardContentCheck.error(failure, shard: name, file: file) }
        }
        try checkDigest(actual, file: file, offset: offset)
    }

    private func checkDigest(_ actual: SHA256Digest, file: String, offset: Int) throws(StoreError) {
        guard actual == digest else {
            throw StoreError(.blobDigestMismatch(name: name, file: file, offset: offset, expected: digest, actual: actual))
        }
    }
}
