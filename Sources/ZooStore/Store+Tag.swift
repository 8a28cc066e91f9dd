import ZooFormat

extension Store {
    /// Gives a stored model another `NAME:TAG` (replacing what that tag pointed at), under the
    /// store lock. No blob is copied: the new ref points at the same model digest.
    ///
    /// ```swift
    /// try store.tag(try ModelReference(parsing: "bert-tiny"), as: try ModelReference(parsing: "bert:v1"))
    /// ```
    ///
    /// - Returns: the model digest.
    /// - Throws: ``StoreError/Reason/noSuchModel(_:)`` when `source` names nothing;
    ///   ``StoreError/Reason/invalidName(_:why:)`` when `target` is a digest;
    ///   ``StoreError/Reason/nameConflict(_:with:)``.
    @discardableResult
    public func tag(_ source: ModelReference, as target: ModelReference) throws(StoreError) -> SHA256Digest {
        guard let (name, tag) = target.nameAndTag else {
            throw StoreError(.invalidName(target.description, why: "a digest cannot name a model; give NAME[:TAG]"))
        }
        guard FileSystem.kind(of: refDirectory) == .directory else {
            throw StoreError(.noSuchModel(source.description))
        }
        return try withLock { () throws(StoreError) -> SHA256Digest in
            let digest = try resolve(source, index: refIndexLocked())
            let manifest = try manifest(for: digest)  // the model is readable: never tag a broken one
            let stagingArea = try makeStagingDirectory(prefix: "tag")
            defer { stagingArea.remove() }
            let staging = stagingArea.path
            try writeRef(StoreRefTarget(name: name, tag: tag), summary: makeSummary(manifest, digest: digest),
                         staging: staging)
            return digest
        }
    }
}
