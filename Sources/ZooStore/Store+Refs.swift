import ZooFormat

/// One tag in the store: `name:tag` pointing at a model digest.
public struct StoreRef: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var tag: String
    public var digest: SHA256Digest

    public init(name: String, tag: String, digest: SHA256Digest) {
        self.name = name
        self.tag = tag
        self.digest = digest
    }

    /// `name:tag`.
    public var description: String { "\(name):\(tag)" }
}

extension Store {
    /// Every ref in the store, sorted by name then tag, read from the ref files (what removal
    /// and garbage collection trust; ``indexedRefs(confirming:)`` reads one file instead).
    ///
    /// Files whose names start with `.` are skipped (none are written there, but an editor or
    /// a foreign tool may leave some).
    public func refs() throws(StoreError) -> [StoreRef] {
        guard FileSystem.kind(of: refDirectory) == .directory else { return [] }
        var found: [StoreRef] = []
        try collectRefs(in: refDirectory, name: "", into: &found)
        return found.sorted { ($0.name, $0.tag) < ($1.name, $1.tag) }
    }

    private func collectRefs(in directory: String, name: String, into found: inout [StoreRef]) throws(StoreError) {
        let entries: [String]
        do { entries = try FileSystem.listDirectory(directory) } catch { throw StoreError(.io(error)) }
        for entry in entries where !entry.hasPrefix(".") {
            let path = directory + "/" + entry
            switch FileSystem.kind(of: path) {
            case .directory:
                try collectRefs(in: path, name: name.isEmpty ? entry : name + "/" + entry, into: &found)
            case .regular where !name.isEmpty:
                guard let digest = try readRef(at: path) else { continue }  // removed meanwhile
                found.append(StoreRef(name: name, tag: entry, digest: digest))
            default:
                continue
            }
        }
    }

    /// The refs that point at `digest`, from the ref index (`index/refs`): no ref file is read.
    ///
    /// - Parameter reference: the reference `digest` was resolved from, if any. When it is a
    ///   `NAME:TAG` the index does not list as pointing at `digest`, the index is stale (a ref
    ///   was changed by something other than zoo) and is rebuilt from `refs/` first.
    public func refs(pointingTo digest: SHA256Digest, confirming reference: ModelReference? = nil)
        throws(StoreError) -> [StoreRef]
    {
        try indexedRefs(confirming: reference.map { ($0, digest) }).filter { $0.digest == digest }
    }

    /// Every ref, sorted by name then tag, from the ref index (see ``refs(pointingTo:confirming:)``);
    /// ``refs()`` walks `refs/` instead.
    ///
    /// - Parameter confirming: a reference and the digest its ref file holds: when the index
    ///   disagrees, it is rebuilt from `refs/` first.
    public func indexedRefs(confirming: (reference: ModelReference, digest: SHA256Digest)? = nil)
        throws(StoreError) -> [StoreRef]
    {
        let index = try refIndex()
        if let (reference, digest) = confirming, let (name, tag) = reference.nameAndTag,
            !index.contains(StoreRef(name: name, tag: tag, digest: digest)),
            (try? readRef(at: refPath(name: name, tag: tag))) == digest
        {
            return try rebuildRefIndex().refs
        }
        return index.refs
    }

    /// Rebuilds `index/refs` from `refs/`, under the lock when the store is writable.
    func rebuildRefIndex() throws(StoreError) -> RefIndex {
        guard let lock = try? StoreLock(path: lockPath) else {
            return try buildRefIndex(from: try refs(), reusing: loadRefIndex(), cacheSummaries: false)
        }
        return try withExtendedLifetime(lock) { () throws(StoreError) -> RefIndex in
            let index = try buildRefIndex(from: try refs(), reusing: loadRefIndex(), cacheSummaries: true)
            try? writeRefIndex(index)
            return index
        }
    }

    /// The model digest a reference names.
    ///
    /// A bare hex word that is also a valid name is first tried as `NAME:latest`, then as a
    /// digest prefix. Digests and prefixes only match models some ref points at.
    ///
    /// `NAME:TAG` reads that one ref file; a digest or a prefix reads the ref index.
    ///
    /// - Throws: ``StoreError/Reason/noSuchModel(_:)``, or
    ///   ``StoreError/Reason/ambiguousDigest(prefix:candidates:)`` listing every match.
    public func resolve(_ reference: ModelReference) throws(StoreError) -> SHA256Digest {
        try resolve(reference, index: refIndex())
    }

    /// ``resolve(_:)`` with the ref index given (``refIndexLocked()`` when the lock is held);
    /// it is only evaluated for a digest or a prefix.
    func resolve(_ reference: ModelReference, index: @autoclosure () throws(StoreError) -> RefIndex)
        throws(StoreError) -> SHA256Digest
    {
        switch reference {
        case let .tagged(name, tag):
            guard let digest = try readRef(at: refPath(name: name, tag: tag)) else {
                throw StoreError(.noSuchModel(reference.description))
            }
            return digest
        case let .digest(digest):
            guard try index().entries.contains(where: { $0.ref.digest == digest }) else {
                throw StoreError(.noSuchModel(reference.description))
            }
            return digest
        case let .digestPrefix(prefix, mayBeName):
            if mayBeName, let digest = try readRef(at: refPath(name: prefix, tag: ModelReference.defaultTag)) {
                return digest
            }
            let candidates = Set(try index().entries.map(\.ref.digest)).filter { $0.hex.hasPrefix(prefix) }.sorted()
            guard let first = candidates.first else { throw StoreError(.noSuchModel(reference.description)) }
            guard candidates.count == 1 else {
                throw StoreError(.ambiguousDigest(prefix: prefix, candidates: candidates))
            }
            return first
        }
    }
}
