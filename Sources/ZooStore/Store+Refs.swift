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
    /// Every ref in the store, sorted by name then tag.
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

    /// The refs that point at `digest`.
    public func refs(pointingTo digest: SHA256Digest) throws(StoreError) -> [StoreRef] {
        try refs().filter { $0.digest == digest }
    }

    /// The model digest a reference names.
    ///
    /// A bare hex word that is also a valid name is first tried as `NAME:latest`, then as a
    /// digest prefix. Digests and prefixes only match models some ref points at.
    ///
    /// - Throws: ``StoreError/Reason/noSuchModel(_:)``, or
    ///   ``StoreError/Reason/ambiguousDigest(prefix:candidates:)`` listing every match.
    public func resolve(_ reference: ModelReference) throws(StoreError) -> SHA256Digest {
        switch reference {
        case let .tagged(name, tag):
            guard let digest = try readRef(at: refPath(name: name, tag: tag)) else {
                throw StoreError(.noSuchModel(reference.description))
            }
            return digest
        case let .digest(digest):
            guard try refs().contains(where: { $0.digest == digest }) else {
                throw StoreError(.noSuchModel(reference.description))
            }
            return digest
        case let .digestPrefix(prefix, mayBeName):
            if mayBeName, let digest = try readRef(at: refPath(name: prefix, tag: ModelReference.defaultTag)) {
                return digest
            }
            let candidates = Set(try refs().map(\.digest)).filter { $0.hex.hasPrefix(prefix) }.sorted()
            guard let first = candidates.first else { throw StoreError(.noSuchModel(reference.description)) }
            guard candidates.count == 1 else {
                throw StoreError(.ambiguousDigest(prefix: prefix, candidates: candidates))
            }
            return first
        }
    }
}
