import ZooFormat

/// How ``Store/importStaged(directory:name:options:names:progress:)`` treats the staged files.
public struct StagedImportOptions: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The manifest was computed from the files as they were written (by ``CheckpointWriter``),
    /// so its digests are trusted and the files are not read again. Without it every shard and
    /// asset is re-hashed and every tensor digest and padding byte checked, as for any input
    /// from outside (``CheckpointArchive/extract(_:to:)`` checks shard digests only: do not
    /// pass this for its output).
    public static let trustDigests = StagedImportOptions(rawValue: 1)
}

extension Store {
    /// Imports a checkpoint folder that was written inside ``tmpDirectory`` (see
    /// ``makeStagingDirectory(prefix:)``) by moving its files into `blobs/` instead of copying
    /// them: the fast path for converters and archive extraction, which would otherwise write
    /// every byte twice.
    ///
    /// The folder is consumed: it is gone afterwards, whether the import succeeded or not.
    /// Everything else is as in ``importCheckpoint(_:name:names:progress:)``.
    ///
    /// - Throws: ``StoreError``; ``StoreError/Reason/notInStagingArea(_:tmp:)`` when `directory`
    ///   is not inside ``tmpDirectory`` (then it is left alone).
    @discardableResult
    public func importStaged(
        directory: String, name: ModelReference? = nil, options: StagedImportOptions = [],
        names: NamePolicy = .replace, progress: (@Sendable (Int) -> Void)? = nil
    ) throws(StoreError) -> SHA256Digest {
        guard directory.hasPrefix(tmpDirectory + "/"), !directory.contains("/../") else {
            throw StoreError(.notInStagingArea(directory, tmp: tmpDirectory))
        }
        defer { try? FileSystem.removeTree(directory) }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(directory: directory) } catch { throw StoreError(.format(error)) }
        let target = try Self.refTarget(name, manifest: checkpoint.manifest, policy: names)
        try checkNameIsFree(target, for: checkpoint.digest)
        let manifest = checkpoint.manifest
        let stagingArea = try makeStagingDirectory(prefix: "import")
        defer { stagingArea.remove() }
        let staging = stagingArea.path
        let verified = options.contains(.trustDigests)
        var blobs = PlannedBlob.plan(manifest: manifest, manifestBytes: manifest.canonicalBytes) { isShard, index in
            let entry = isShard ? manifest.shards[index] : manifest.assets[index]
            return .stagedFile(path: directory + "/" + entry.path, verified: verified)
        }
        try prepare(&blobs, staging: staging, progress: progress)
        try commit(&blobs, manifest: manifest, digest: checkpoint.digest, target: target, staging: staging)
        return checkpoint.digest
    }
}
