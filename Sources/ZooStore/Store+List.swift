import ZooFormat

/// One line of ``Store/list()``: a ref and a summary of the model it points at.
public struct StoreEntry: Sendable, Equatable {
    public var name: String
    public var tag: String
    public var digest: SHA256Digest
    /// Bytes of the manifest, shards and assets (0 when the manifest is unreadable).
    public var byteCount: Int
    public var family: ModelFamily?
    /// The architecture type, e.g. `bert`.
    public var type: String?
    public var parameterCount: Int?
    /// Why the model's manifest could not be read, or `nil` when it was.
    public var problem: String?

    public init(name: String, tag: String, digest: SHA256Digest, byteCount: Int, family: ModelFamily?, type: String?,
                parameterCount: Int?, problem: String?)
    {
        self.name = name
        self.tag = tag
        self.digest = digest
        self.byteCount = byteCount
        self.family = family
        self.type = type
        self.parameterCount = parameterCount
        self.problem = problem
    }
}

extension Store {
    /// Every stored model tag with a summary of its manifest, sorted by name then tag. A
    /// model whose manifest blob is unreadable is still listed, with ``StoreEntry/problem`` set.
    public func list() throws(StoreError) -> [StoreEntry] {
        var manifests: [SHA256Digest: Result<Manifest, StoreError>] = [:]
        var entries: [StoreEntry] = []
        for ref in try refs() {
            let result = manifests[ref.digest] ?? Result { () throws(StoreError) in try manifest(for: ref.digest) }
            manifests[ref.digest] = result
            switch result {
            case let .success(manifest):
                entries.append(StoreEntry(
                    name: ref.name, tag: ref.tag, digest: ref.digest,
                    byteCount: manifest.totalByteCount + manifest.canonicalBytes.count,
                    family: manifest.architecture.family, type: manifest.architecture.type,
                    parameterCount: manifest.architecture.parameterCount, problem: nil))
            case let .failure(error):
                entries.append(StoreEntry(name: ref.name, tag: ref.tag, digest: ref.digest, byteCount: 0, family: nil,
                                          type: nil, parameterCount: nil, problem: error.description))
            }
        }
        return entries
    }
}
