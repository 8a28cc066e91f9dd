import ZooFormat

/// One line of ``Store/list()``: a ref and a summary of the model it points at.
public struct StoreEntry: Sendable, Equatable {
    /// The ref: `name:tag` or `name@sha256:<hex>`.
    public var ref: StoreRef { StoreRef(name: name, tag: tag, digest: digest) }

    public var name: String
    /// `nil` for a model kept under ``name`` without a tag (pulled by digest).
    public var tag: String?
    public var digest: SHA256Digest
    /// When the ref was written: import, pull or tag time (Unix seconds).
    public var created: Int
    /// When the model was last opened to be used (Unix seconds, to ``Store/usageResolution``),
    /// `nil` when never.
    public var lastUsed: Int?
    /// Bytes of the manifest, shards and assets (0 when the manifest is unreadable).
    public var byteCount: Int
    public var family: ModelFamily?
    /// The architecture type, e.g. `bert`.
    public var type: String?
    public var parameterCount: Int?
    /// Why the model's manifest could not be read, or `nil` when it was.
    public var problem: String?

    public init(name: String, tag: String?, digest: SHA256Digest, created: Int, lastUsed: Int?, byteCount: Int,
                family: ModelFamily?, type: String?, parameterCount: Int?, problem: String?)
    {
        self.name = name
        self.tag = tag
        self.digest = digest
        self.created = created
        self.lastUsed = lastUsed
        self.byteCount = byteCount
        self.family = family
        self.type = type
        self.parameterCount = parameterCount
        self.problem = problem
    }
}

extension Store {
    /// Every ref (tags, then untagged refs) with a summary of its model, its creation and last
    /// use time, sorted by name then tag. A
    /// model whose manifest blob is unreadable is still listed, with ``StoreEntry/problem`` set.
    ///
    /// Reads the ref index (`index/refs`, which caches what is listed) and checks each model's
    /// manifest blob size; only a model whose cached listing is missing or whose blob changed
    /// is read through ``summary(for:)``. No ref file and no manifest is read otherwise; use
    /// times cost one `stat` per model.
    public func list() throws(StoreError) -> [StoreEntry] {
        let index = try refIndex()
        var checked: [SHA256Digest: Result<ModelListing, StoreError>] = [:]
        var repaired: [SHA256Digest: ModelListing] = [:]
        var used: [SHA256Digest: Int?] = [:]
        var entries: [StoreEntry] = []
        entries.reserveCapacity(index.entries.count)
        for entry in index.entries {
            let digest = entry.ref.digest
            let result: Result<ModelListing, StoreError>
            if let known = checked[digest] {
                result = known
            } else if let listing = entry.listing,
                Self.fileStatus(blobPath(digest))?.size == listing.manifestByteCount
            {
                result = .success(listing)
            } else {
                result = Result { () throws(StoreError) in try summary(for: digest).listing }
                if case let .success(listing) = result, listing != entry.listing { repaired[digest] = listing }
            }
            checked[digest] = result
            if used[digest] == nil { used[digest] = .some(lastUsed(digest)) }
            let lastUsed = used[digest] ?? nil
            switch result {
            case let .success(listing):
                entries.append(StoreEntry(
                    name: entry.ref.name, tag: entry.ref.tag, digest: digest, created: entry.created, lastUsed: lastUsed,
                    byteCount: listing.byteCount, family: listing.family, type: listing.type,
                    parameterCount: listing.parameterCount, problem: nil))
            case let .failure(error):
                entries.append(StoreEntry(name: entry.ref.name, tag: entry.ref.tag, digest: digest, created: entry.created,
                                          lastUsed: lastUsed, byteCount: 0, family: nil, type: nil, parameterCount: nil,
                                          problem: error.description))
            }
        }
        if !repaired.isEmpty { cacheListings(repaired) }
        return entries
    }

    /// Writes fresh listings into `index/refs`, when it can be locked and is still there.
    private func cacheListings(_ listings: [SHA256Digest: ModelListing]) {
        withCacheLock { () throws(StoreError) in
            guard var index = loadRefIndex() else { return }
            for (digest, listing) in listings { index.setListing(listing, of: digest) }
            try writeRefIndex(index)
        }
    }
}
