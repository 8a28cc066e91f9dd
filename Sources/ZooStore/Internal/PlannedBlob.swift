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
    /// Set once the bytes are in a verified, fsynced file that may be linked into place.
    var ready: String?

    /// The blobs of `manifest`, one per distinct digest, manifest last. `source` maps a shard
    /// (`true`) or asset (`false`) index to where its bytes are.
    static func plan(manifest: Manifest, manifestBytes: [UInt8], source: (Bool, Int) -> Source) -> [PlannedBlob] {
        var seen = Set<SHA256Digest>()
        var blobs: [PlannedBlob] = []
        for (isShard, entries) in [(true, manifest.shards), (false, manifest.assets)] {
            for (index, entry) in entries.enumerated() where seen.insert(entry.digest).inserted {
                blobs.append(PlannedBlob(name: entry.path, digest: entry.digest, length: entry.length,
                                         source: source(isShard, index)))
            }
        }
        let digest = SHA256.digest(manifestBytes)
        if seen.insert(digest).inserted {
            blobs.append(PlannedBlob(name: "manifest.json", digest: digest, length: manifestBytes.count,
                                     source: .bytes(manifestBytes)))
        }
        return blobs
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
            try check(actual, file: target, offset: 0)
            ready = target
        case let .shard(checkpoint, index), let .asset(checkpoint, index):
            let isShard: Bool = if case .shard = source { true } else { false }
            let region = isShard ? checkpoint.shardRegions[index] : checkpoint.assetRegions[index]
            let mapped: (bytes: UnsafeRawBufferPointer, owner: MappedFile)
            do {
                mapped = isShard ? try checkpoint.shardBytes(index) : try checkpoint.assetBytes(index)
            } catch {
                throw StoreError(.format(error))
            }
            let actual: SHA256Digest
            do {
                actual = try withExtendedLifetime(mapped.owner) { () throws(IOError) -> SHA256Digest in
                    try BlobCopier.copy(mapped.bytes, to: target, progress: progress)
                }
            } catch {
                throw StoreError(.io(error))
            }
            do {
                try check(actual, file: region.path, offset: region.offset)
            } catch {
                try? Syscalls.unlinkIfPresent(target)
                throw error
            }
            ready = target
        case let .stagedFile(path, verified):
            let size: Int
            do { size = try FileSystem.fileSize(path) } catch { throw StoreError(.io(error)) }
            guard size == length else {
                throw StoreError(.blobSizeMismatch(name: name, digest: digest, expected: length, actual: size))
            }
            if verified {
                progress?(length)
            } else {
                let actual: SHA256Digest
                do { actual = try BlobCopier.hash(fileAt: path, progress: progress) } catch { throw StoreError(.io(error)) }
                try check(actual, file: path, offset: 0)
            }
            do { try BlobCopier.seal(fileAt: path) } catch { throw StoreError(.io(error)) }
            ready = path
        }
    }

    private func check(_ actual: SHA256Digest, file: String, offset: Int) throws(StoreError) {
        guard actual == digest else {
            throw StoreError(.blobDigestMismatch(name: name, file: file, offset: offset, expected: digest, actual: actual))
        }
    }
}
