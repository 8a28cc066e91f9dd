import ZooFormat

/// What `zoo list` prints about a model, cached beside each ref in `index/refs` (a copy of
/// fields of its ``ModelSummary``, so listing reads one file however many models there are).
struct ModelListing: Sendable, Equatable {
    /// The manifest blob's size: `list` compares it with the blob, so a manifest blob that was
    /// removed or replaced is noticed.
    var manifestByteCount: Int
    var byteCount: Int
    var family: ModelFamily
    var type: String
    var parameterCount: Int
}

/// Every ref of the store and the model it points at: `index/refs`, derived from `refs/`.
///
/// The file is present only while it matches `refs/`: whoever changes a ref removes it first
/// (under the store lock) and writes the new one after, so a process killed in between leaves
/// no index, and the next reader rebuilds it by walking `refs/` (see ``Store/refIndex()``).
struct RefIndex: Sendable, Equatable {
    /// The layout version of the file; another version is rebuilt. 2 added untagged refs
    /// (`tag` null) and `created`.
    static let version: Int64 = 2
    /// The largest index file read (about 5 million refs): a bigger one is rebuilt instead.
    static let maxByteCount = 1 << 30

    struct Entry: Sendable, Equatable {
        var ref: StoreRef
        /// When the ref was written (Unix seconds): at import, pull or tag time; taken from the
        /// ref file's modification time when the index is rebuilt.
        var created: Int
        /// `nil` when the model's summary could not be made when the entry was written (an
        /// unreadable manifest): `list` then reads the model itself.
        var listing: ModelListing?
    }

    /// Sorted by name, then tag.
    private(set) var entries: [Entry]

    init(entries: [Entry]) {
        self.entries = entries.sorted { StoreRef.inOrder($0.ref, $1.ref) }
    }

    /// The refs, sorted by name then tag.
    var refs: [StoreRef] { entries.map(\.ref) }

    /// The refs pointing at `digest`.
    func refs(pointingTo digest: SHA256Digest) -> [StoreRef] {
        entries.lazy.filter { $0.ref.digest == digest }.map(\.ref)
    }

    /// Whether `ref` (name, tag and digest) is in the index.
    func contains(_ ref: StoreRef) -> Bool {
        entries.contains { $0.ref == ref }
    }

    /// The cached listing of `digest`, if any entry has one.
    func listing(of digest: SHA256Digest) -> ModelListing? {
        entries.first { $0.ref.digest == digest && $0.listing != nil }?.listing
    }

    /// Adds `ref`, or repoints the entry of its name and tag (an untagged ref is its own entry).
    mutating func set(_ ref: StoreRef, listing: ModelListing?, created: Int) {
        entries.removeAll { $0.ref.name == ref.name && $0.ref.fileName == ref.fileName }
        let entry = Entry(ref: ref, created: created, listing: listing)
        let index = entries.firstIndex { StoreRef.inOrder(ref, $0.ref) } ?? entries.endIndex
        entries.insert(entry, at: index)
    }

    /// Removes the entries of these refs' names and tags (or untagged digests).
    mutating func remove(_ refs: [StoreRef]) {
        let doomed = Set(refs.map { $0.name + "/" + $0.fileName })
        entries.removeAll { doomed.contains($0.ref.name + "/" + $0.ref.fileName) }
    }

    /// Sets the listing of every entry pointing at `digest`.
    mutating func setListing(_ listing: ModelListing, of digest: SHA256Digest) {
        for index in entries.indices where entries[index].ref.digest == digest { entries[index].listing = listing }
    }

    // MARK: File form

    /// The index as canonical JSON.
    var canonicalBytes: [UInt8] {
        JSONValue.object([
            "indexVersion": .integer(Self.version),
            "refs": .array(entries.map { entry in
                var object: [String: JSONValue] = [
                    "name": .string(entry.ref.name), "tag": entry.ref.tag.map { .string($0) } ?? .null,
                    "digest": .string(entry.ref.digest.description), "created": .integer(Int64(entry.created)),
                ]
                if let listing = entry.listing {
                    object["model"] = .object([
                        "manifestBytes": .integer(Int64(listing.manifestByteCount)),
                        "size": .integer(Int64(listing.byteCount)), "family": .string(listing.family.rawValue),
                        "type": .string(listing.type), "parameterCount": .integer(Int64(listing.parameterCount)),
                    ])
                } else {
                    object["model"] = .null
                }
                return .object(object)
            }),
        ]).canonicalBytes
    }

    /// Reads an index file's bytes; `nil` when they are not an index of this version, or name
    /// an invalid ref (the caller then rebuilds it from `refs/`).
    init?(bytes: [UInt8]) {
        guard let json = try? JSONValue(parsing: bytes), json["indexVersion"]?.integerValue == Self.version,
            let elements = json["refs"]?.arrayValue
        else { return nil }
        var entries: [Entry] = []
        entries.reserveCapacity(elements.count)
        for element in elements {
            guard let name = element["name"]?.stringValue, let tagValue = element["tag"],
                let digest = element["digest"]?.stringValue.flatMap(SHA256Digest.init(parsing:)),
                let created = element["created"]?.integerValue, let model = element["model"]
            else { return nil }
            let tag: String?
            if tagValue == .null {
                guard (try? ModelReference.validateName(name)) != nil else { return nil }
                tag = nil
            } else {
                guard let text = tagValue.stringValue, (try? ModelReference(name: name, tag: text)) != nil else { return nil }
                tag = text
            }
            var listing: ModelListing?
            if model != .null {
                guard let manifestBytes = IndexJSON.count(model["manifestBytes"]),
                    let size = IndexJSON.count(model["size"]), let family = model["family"]?.stringValue,
                    let type = model["type"]?.stringValue, let parameters = IndexJSON.count(model["parameterCount"])
                else { return nil }
                listing = ModelListing(manifestByteCount: manifestBytes, byteCount: size,
                                       family: ModelFamily(rawValue: family), type: type, parameterCount: parameters)
            }
            entries.append(Entry(ref: StoreRef(name: name, tag: tag, digest: digest),
                                 created: Int(clamping: created), listing: listing))
        }
        self.init(entries: entries)
    }
}
