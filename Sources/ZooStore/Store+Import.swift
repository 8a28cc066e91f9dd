import ZooFormat

extension Store {
    /// Copies a checkpoint into the store and tags it, returning the model digest.
    ///
    /// Every shard and asset is read and hashed, and every tensor of a shard too, in one pass:
    /// a shard, asset or tensor digest that differs from the manifest (or a non-zero padding
    /// byte) fails the whole import, even when the store already holds the declared blob. Each
    /// blob missing from the store is streamed from the checkpoint's memory map into a file in
    /// `tmp/` during that pass. The files are fsynced, moved into `blobs/` under the store lock (a blob already
    /// there is kept), and the ref is written last. On any failure nothing this import staged
    /// is left behind: no ref, no new blob, nothing in `tmp/`.
    ///
    /// - Parameters:
    ///   - name: the `NAME:TAG` to store it under; `nil` takes the manifest's name, sanitised
    ///     (see ``defaultName(for:)``), with tag `latest`.
    ///   - names: what to do when `name` already names another model: move it (the default),
    ///     or refuse before anything is committed (``NamePolicy/keepExisting``).
    ///   - progress: called with the number of bytes just copied or found already stored.
    /// - Throws: ``StoreError``: an invalid name, a name taken by another model
    ///   (``StoreError/Reason/nameTaken(_:holding:wanted:)``), a digest mismatch naming the shard or asset
    ///   and the file it was read from, ``StoreError/Reason/inconsistentInput(file:tensor:offset:expected:actual:)``
    ///   or ``StoreError/Reason/nonZeroPadding(file:shard:offset:)`` naming the file, tensor and
    ///   byte offset, a name collision, or an I/O error.
    @discardableResult
    public func importCheckpoint(
        _ checkpoint: Checkpoint, name: ModelReference? = nil, names: NamePolicy = .replace,
        progress: (@Sendable (Int) -> Void)? = nil
    ) throws(StoreError) -> SHA256Digest {
        let target = try Self.refTarget(name, manifest: checkpoint.manifest, policy: names)
        try checkNameIsFree(target, for: checkpoint.digest)
        let stagingArea = try makeStagingDirectory(prefix: "import")
        defer { stagingArea.remove() }
        let staging = stagingArea.path
        var blobs = PlannedBlob.plan(manifest: checkpoint.manifest, manifestBytes: checkpoint.manifest.canonicalBytes) {
            isShard, index in isShard ? .shard(checkpoint, index: index) : .asset(checkpoint, index: index)
        }
        try prepare(&blobs, staging: staging, progress: progress)
        try commit(&blobs, manifest: checkpoint.manifest, digest: checkpoint.digest, target: target, staging: staging)
        return checkpoint.digest
    }

    /// The name a model is stored under when none is given: its manifest name sanitised
    /// (lowercase, other characters folded into `-`), or `model` when nothing is left.
    public static func defaultName(for manifest: Manifest) -> String {
        ModelReference.sanitizedName(manifest.name) ?? "model"
    }

    /// The `(name, tag)` a ref will be written at.
    static func refTarget(_ reference: ModelReference?, manifest: Manifest, policy: NamePolicy = .replace)
        throws(StoreError) -> StoreRefTarget
    {
        guard let reference else {
            return StoreRefTarget(name: defaultName(for: manifest), tag: ModelReference.defaultTag, policy: policy)
        }
        if case let .untagged(name, digest) = reference {
            return StoreRefTarget(name: name, tag: nil, untaggedDigest: digest, policy: policy)
        }
        guard let (name, tag) = reference.nameAndTag else {
            throw StoreError(.invalidName(reference.description, why: "a digest cannot name a model; give NAME[:TAG]"))
        }
        return StoreRefTarget(name: name, tag: tag, policy: policy)
    }

    /// Makes every blob that is not in the store yet ready to be linked (copied or sealed,
    /// and verified). Input whose blob the store already holds is still read and checked —
    /// shard digest, tensor digests, padding — so the store's copy never hides bad input; only
    /// bytes hashed as they were written skip that.
    func prepare(_ blobs: inout [PlannedBlob], staging: String, progress: (@Sendable (Int) -> Void)?) throws(StoreError) {
        try checkFreeSpace(for: blobs, staging: staging)
        for index in blobs.indices {
            if blobs[index].duplicate || FileSystem.kind(of: blobPath(blobs[index].digest)) == .regular {
                if blobs[index].needsInputCheck {
                    try blobs[index].checkInput(progress: progress)
                } else {
                    progress?(blobs[index].length)
                }
                continue
            }
            try blobs[index].prepare(in: staging, progress: progress)
        }
    }
}

/// What an import does when its `NAME:TAG` already names a different model.
public enum NamePolicy: Sendable, Equatable {
    /// Point the name at the new model (the old one stays stored while other refs name it).
    case replace
    /// Refuse with ``StoreError/Reason/nameTaken(_:holding:wanted:)``; a name that already
    /// names the same model is left as it is (a no-op success).
    case keepExisting
}

/// Where a ref goes: `refs/<name>/<tag>`, or `refs/<name>/@sha256-<hex>` for an untagged one.
struct StoreRefTarget {
    let name: String
    /// `nil`: an untagged ref of ``untaggedDigest``, which must be the model's digest.
    let tag: String?
    var untaggedDigest: SHA256Digest? = nil
    var policy: NamePolicy = .replace

    /// `name:tag` or `name@digest`, for messages.
    var description: String { tag.map { "\(name):\($0)" } ?? "\(name)@\(untaggedDigest?.description ?? "?")" }
}

extension Store {
    /// Refuses to start copying what the store's file system has no room for: the blobs to be
    /// copied into `tmp/` (not those the store holds, repeats, or files already staged there,
    /// which are renamed). A disk that fills anyway fails with the write's `ENOSPC`, and the
    /// staging is removed.
    func checkFreeSpace(for blobs: [PlannedBlob], staging: String) throws(StoreError) {
        var needed = 0
        for blob in blobs where !blob.duplicate {
            if case .stagedFile = blob.source { continue }
            if FileSystem.kind(of: blobPath(blob.digest)) == .regular { continue }
            needed = needed.addingReportingOverflow(blob.length).partialValue
        }
        guard needed > 0 else { return }
        let available: Int
        do { available = try FreeSpace.available(at: staging) } catch { throw StoreError(.io(error)) }
        guard needed <= available else {
            throw StoreError(.format(FormatError(file: root, reason: .insufficientSpace(needed: needed, available: available))))
        }
    }
}
