import ZooFormat

/// One ref in the store: `name:tag`, or an untagged `name@digest` (what a pull by digest
/// stores), pointing at a model digest.
public struct StoreRef: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    /// `nil` for an untagged ref: the model is kept under `name` without a tag.
    public var tag: String?
    public var digest: SHA256Digest

    public init(name: String, tag: String?, digest: SHA256Digest) {
        self.name = name
        self.tag = tag
        self.digest = digest
    }

    /// `name:tag`, or `name@sha256:<hex>` when untagged.
    public var description: String { tag.map { "\(name):\($0)" } ?? "\(name)@\(digest)" }

    /// The reference that names exactly this ref.
    public var reference: ModelReference {
        tag.map { .tagged(name: name, tag: $0) } ?? .untagged(name: name, digest: digest)
    }

    /// The ref file's name in `refs/<name>/`: the tag, or `@sha256-<hex>` (no tag starts with `@`).
    var fileName: String { tag ?? StoreRef.untaggedFilePrefix + digest.hex }

    /// Untagged ref files are `@sha256-<hex>`.
    static let untaggedFilePrefix = "@sha256-"

    /// The ref order: by name, then the tags sorted, then the untagged refs by digest.
    static func inOrder(_ a: StoreRef, _ b: StoreRef) -> Bool {
        if a.name != b.name { return a.name < b.name }
        switch (a.tag, b.tag) {
        case let (x?, y?): return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a.digest.hex < b.digest.hex
        }
    }
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
        return found.sorted(by: StoreRef.inOrder)
    }

    private func collectRefs(in directory: String, name: String, into found: inout [StoreRef]) throws(StoreError) {
        let entries: [String]
        do { entries = try FileSystem.listDirectory(directory) } catch { throw StoreError(.io(error)) }
        for entry in entries where !entry.hasPrefix(".") {
            let path = directory + "/" + entry
            switch FileSystem.kind(of: path) {
            case .directory:
                try collectRefs(in: path, name: name.isEmpty ? entry : name + "/" + entry, into: &found)
            case .regular where !name.isEmpty && entry.hasPrefix(StoreRef.untaggedFilePrefix):
                guard let digest = try readRef(at: path) else { continue }  // removed meanwhile
                // The file is named by the digest it holds; one that disagrees was not written by zoo.
                guard entry == StoreRef.untaggedFilePrefix + digest.hex else { throw StoreError(.corruptRef(path: path)) }
                found.append(StoreRef(name: name, tag: nil, digest: digest))
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
        if let (reference, digest) = confirming, let ref = Self.namedRef(reference, digest: digest),
            !index.contains(ref), (try? readRef(at: refPath(ref))) == digest
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

    /// The one ref `reference` names when it resolved to `digest`: `NAME:TAG`, `NAME@digest`,
    /// or a bare word's `NAME:latest`.
    public static func namedRef(_ reference: ModelReference, digest: SHA256Digest) -> StoreRef? {
        if case let .untagged(name, _) = reference { return StoreRef(name: name, tag: nil, digest: digest) }
        return reference.nameAndTag.map { StoreRef(name: $0.name, tag: $0.tag, digest: digest) }
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
        case let .untagged(name, digest):
            // Its own ref file, else any tag of that name pointing at the model.
            if try readRef(at: refPath(StoreRef(name: name, tag: nil, digest: digest))) == digest { return digest }
            guard try index().entries.contains(where: { $0.ref.name == name && $0.ref.digest == digest }) else {
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
