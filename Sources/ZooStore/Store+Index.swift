import ZooFormat

extension Store {
    /// `<root>/index/refs`: the ``RefIndex``.
    var refIndexPath: String { indexDirectory + "/refs" }

    /// The ref index: `index/refs` when it is present and readable; otherwise built by walking
    /// `refs/` (under the store lock, and written back, when the store is writable).
    ///
    /// Do not call with the lock held (use ``refIndexLocked()``): the lock is not re-entrant.
    func refIndex() throws(StoreError) -> RefIndex {
        if let index = loadRefIndex() { return index }
        guard FileSystem.kind(of: refDirectory) == .directory else { return RefIndex(entries: []) }
        if let lock = try? StoreLock(path: lockPath) {
            return try withExtendedLifetime(lock) { () throws(StoreError) -> RefIndex in try refIndexLocked() }
        }
        return try buildRefIndex(from: try refs(), reusing: nil, cacheSummaries: false)
    }

    /// ``refIndex()`` with the lock held: the file, or a walk of `refs/` written back.
    func refIndexLocked() throws(StoreError) -> RefIndex {
        if let index = loadRefIndex() { return index }
        guard FileSystem.kind(of: refDirectory) == .directory else { return RefIndex(entries: []) }
        let index = try buildRefIndex(from: try refs(), reusing: nil, cacheSummaries: true)
        try? writeRefIndex(index)
        return index
    }

    /// The index of `walked` (what ``refs()`` found, with the lock held): the file when it lists
    /// exactly these refs, else one rebuilt from them (reusing the file's listings).
    func refIndexMatching(_ walked: [StoreRef]) throws(StoreError) -> RefIndex {
        let loaded = loadRefIndex()
        if let loaded, loaded.refs == walked { return loaded }
        return try buildRefIndex(from: walked, reusing: loaded, cacheSummaries: true)
    }

    /// The index file, `nil` when missing or unreadable.
    func loadRefIndex() -> RefIndex? {
        guard let bytes = try? FileSystem.readFile(refIndexPath, limit: RefIndex.maxByteCount) else { return nil }
        return RefIndex(bytes: bytes)
    }

    /// An index of `refs`, taking each model's listing from `reusing` when it has one, else from
    /// the model's summary (built from its manifest if need be, and written when `cacheSummaries`,
    /// which needs the lock). A model whose manifest is unreadable gets no listing.
    func buildRefIndex(from refs: [StoreRef], reusing old: RefIndex?, cacheSummaries: Bool) throws(StoreError) -> RefIndex {
        var listings: [SHA256Digest: ModelListing?] = [:]
        var entries: [RefIndex.Entry] = []
        entries.reserveCapacity(refs.count)
        var oldCreated: [StoreRef: Int] = [:]
        for entry in old?.entries ?? [] { oldCreated[entry.ref] = entry.created }
        for ref in refs {
            if listings[ref.digest] == nil {
                if let reused = old?.listing(of: ref.digest) {
                    listings[ref.digest] = .some(reused)
                } else if let stored = storedSummary(ref.digest) {
                    listings[ref.digest] = .some(stored.listing)
                } else if let built = try? buildSummary(ref.digest) {
                    if cacheSummaries { try writeSummary(built) }
                    listings[ref.digest] = .some(built.listing)
                } else {
                    listings[ref.digest] = .some(nil)
                }
            }
            // The ref file's mtime is when it was written; the reused index knows it too.
            let created = oldCreated[ref] ?? Self.fileStatus(refPath(ref))?.modified ?? 0
            entries.append(RefIndex.Entry(ref: ref, created: created, listing: listings[ref.digest] ?? nil))
        }
        return RefIndex(entries: entries)
    }

    /// Writes `index/refs` atomically. Call with the lock held.
    func writeRefIndex(_ index: RefIndex) throws(StoreError) {
        try ensureIndexDirectory(indexDirectory)
        try writeIndexFile(index.canonicalBytes, to: refIndexPath)
    }

    /// Changes refs under the lock (the caller holds it) keeping `index/refs` true at every
    /// moment: the index is removed (and the removal made durable) before `body` touches
    /// `refs/`, and written again, changed by `update`, after. A process killed in between
    /// leaves no index, never a wrong one.
    ///
    /// - Parameter base: the index as it is before the change (read or rebuilt under the lock).
    func changingRefs<T>(base: RefIndex, _ body: () throws(StoreError) -> T, update: (inout RefIndex) -> Void)
        throws(StoreError) -> T
    {
        do throws(IOError) {
            try Syscalls.unlinkIfPresent(refIndexPath)
            if FileSystem.kind(of: indexDirectory) == .directory { try FileSystem.syncDirectory(indexDirectory) }
        } catch {
            throw StoreError(.io(error))
        }
        let result: T
        do {
            result = try body()
        } catch {
            // The refs may or may not have changed: write what they say now (or leave no index).
            if let walked = try? refs(), let index = try? buildRefIndex(from: walked, reusing: base, cacheSummaries: false) {
                try? writeRefIndex(index)
            }
            throw error
        }
        var index = base
        update(&index)
        // The refs are changed and durable; an index that cannot be written is rebuilt by the
        // next reader, so this failure does not undo or fail the change.
        try? writeRefIndex(index)
        return result
    }
}
