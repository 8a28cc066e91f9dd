import ZooFormat

/// What `zoo list` and `zoo show` print about a stored model, kept in `index/models/<hex>` so
/// they need not parse a manifest (which for a mixture-of-experts checkpoint lists 100,000
/// tensors) on every run.
///
/// A summary is derived data: it is a function of the manifest blob it describes, so it never
/// goes stale while that blob exists. ``Store/summary(for:)`` rebuilds it from the manifest
/// whenever the file is missing, unreadable, of another version, or names another digest or
/// manifest size.
///
/// ```swift
/// let summary = try store.summary(for: try store.resolve(reference))
/// print(summary.tensorCount, summary.byteCount)
/// ```
public struct ModelSummary: Sendable, Equatable {
    /// The layout version of the summary file; another version is rebuilt.
    public static let version: Int64 = 2  // 2: architecture

    /// The model digest (the manifest blob's name): checked against the file's name on reading.
    public var digest: SHA256Digest
    /// Bytes of the canonical manifest blob: checked against the blob's size on reading.
    public var manifestByteCount: Int
    /// The manifest's `name`.
    public var name: String
    public var formatVersion: FormatVersion
    public var family: ModelFamily
    /// The architecture type, e.g. `bert`.
    public var type: String
    public var parameterCount: Int
    public var tensorCount: Int
    /// The distinct dtypes, sorted by name.
    public var dtypes: [DType]
    /// Bytes of the manifest, shards and assets: what the model takes in the store.
    public var byteCount: Int
    public var shards: [FileEntry]
    public var assets: [FileEntry]
    /// The metadata keys, sorted.
    public var metadataKeys: [String]
    /// The lineage parent and recipe (other lineage members are left out).
    public var lineage: Lineage?
    /// When the manifest blob was written into the store (Unix seconds, its modification time).
    public var storedAt: Int
    /// The architecture check's result (spec/architectures.md), for `zoo show`.
    public var architecture: ArchitectureSummary

    /// Summarises `manifest`, the manifest of model `digest` whose canonical bytes number
    /// `manifestByteCount`.
    public init(manifest: Manifest, digest: SHA256Digest, manifestByteCount: Int, storedAt: Int) {
        self.digest = digest
        self.manifestByteCount = manifestByteCount
        name = manifest.name
        formatVersion = manifest.formatVersion
        family = manifest.architecture.family
        type = manifest.architecture.type
        parameterCount = manifest.architecture.parameterCount
        tensorCount = manifest.tensors.count
        dtypes = manifest.dtypes
        byteCount = manifest.totalByteCount + manifestByteCount
        shards = manifest.shards.map { FileEntry(path: $0.path, length: $0.length, digest: $0.digest) }
        assets = manifest.assets.map { FileEntry(path: $0.path, length: $0.length, digest: $0.digest) }
        metadataKeys = manifest.metadata.keys.sorted()
        lineage = manifest.lineage.map { Lineage(parent: $0.parent, recipe: $0.recipe) }
        self.storedAt = storedAt
        architecture = ArchitectureSummary(ArchitectureCheck.run(on: manifest))
    }

    /// What `zoo list` needs of it.
    var listing: ModelListing {
        ModelListing(manifestByteCount: manifestByteCount, byteCount: byteCount, family: family, type: type,
                     parameterCount: parameterCount)
    }
}

// MARK: File form

extension ModelSummary {
    /// The summary as canonical JSON (what `index/models/<hex>` holds).
    var canonicalBytes: [UInt8] { jsonValue.canonicalBytes }

    var jsonValue: JSONValue {
        func file(_ entry: FileEntry) -> JSONValue {
            .object(["path": .string(entry.path), "length": .integer(Int64(entry.length)),
                     "digest": .string(entry.digest.description)])
        }
        var object: [String: JSONValue] = [
            "summaryVersion": .integer(Self.version),
            "digest": .string(digest.description),
            "manifestBytes": .integer(Int64(manifestByteCount)),
            "name": .string(name),
            "formatVersion": .string(formatVersion.description),
            "family": .string(family.rawValue),
            "type": .string(type),
            "parameterCount": .integer(Int64(parameterCount)),
            "tensorCount": .integer(Int64(tensorCount)),
            "dtypes": .array(dtypes.map { .string($0.rawValue) }),
            "size": .integer(Int64(byteCount)),
            "shards": .array(shards.map(file)),
            "assets": .array(assets.map(file)),
            "metadataKeys": .array(metadataKeys.map { .string($0) }),
            "storedAt": .integer(Int64(storedAt)),
            "architecture": architecture.jsonValue,
        ]
        if let lineage {
            object["lineage"] = .object(["parent": lineage.parent.map { .string($0.description) } ?? .null,
                                         "recipe": lineage.recipe ?? .null])
        } else {
            object["lineage"] = .null
        }
        return .object(object)
    }

    /// Reads a summary file's bytes; `nil` when they are not a summary of this version (the
    /// caller then rebuilds it: a summary is never trusted beyond its own checks).
    init?(bytes: [UInt8]) {
        guard let json = try? JSONValue(parsing: bytes), let object = json.objectValue,
            object["summaryVersion"]?.integerValue == Self.version,
            let digest = object["digest"]?.stringValue.flatMap(SHA256Digest.init(parsing:)),
            let manifestByteCount = IndexJSON.count(object["manifestBytes"]),
            let name = object["name"]?.stringValue,
            let formatVersion = object["formatVersion"]?.stringValue.flatMap(FormatVersion.init(parsing:)),
            let family = object["family"]?.stringValue, let type = object["type"]?.stringValue,
            let parameterCount = IndexJSON.count(object["parameterCount"]),
            let tensorCount = IndexJSON.count(object["tensorCount"]),
            let dtypeValues = object["dtypes"]?.arrayValue,
            let byteCount = IndexJSON.count(object["size"]),
            let shards = IndexJSON.files(object["shards"]), let assets = IndexJSON.files(object["assets"]),
            let keyValues = object["metadataKeys"]?.arrayValue,
            let storedAt = object["storedAt"]?.integerValue.flatMap({ Int(exactly: $0) }),
            let lineageValue = object["lineage"],
            let architecture = object["architecture"].flatMap(ArchitectureSummary.init(json:))
        else { return nil }
        var dtypes: [DType] = []
        for value in dtypeValues {
            guard let dtype = value.stringValue.flatMap(DType.init(rawValue:)) else { return nil }
            dtypes.append(dtype)
        }
        var keys: [String] = []
        for value in keyValues {
            guard let key = value.stringValue else { return nil }
            keys.append(key)
        }
        var lineage: Lineage?
        if lineageValue != .null {
            guard let members = lineageValue.objectValue, let parentValue = members["parent"] else { return nil }
            var parent: SHA256Digest?
            if parentValue != .null {
                guard let digest = parentValue.stringValue.flatMap(SHA256Digest.init(parsing:)) else { return nil }
                parent = digest
            }
            // (JSONValue is nil-literal-convertible: spell the Optional out.)
            let recipe: JSONValue? = members["recipe"] == .null ? Optional.none : members["recipe"]
            lineage = Lineage(parent: parent, recipe: recipe)
        }
        self.digest = digest
        self.manifestByteCount = manifestByteCount
        self.name = name
        self.formatVersion = formatVersion
        self.family = ModelFamily(rawValue: family)
        self.type = type
        self.parameterCount = parameterCount
        self.tensorCount = tensorCount
        self.dtypes = dtypes
        self.byteCount = byteCount
        self.shards = shards
        self.assets = assets
        metadataKeys = keys
        self.lineage = lineage
        self.storedAt = storedAt
        self.architecture = architecture
    }
}

/// Small, total decoders for the store's index files: any value of the wrong kind gives `nil`.
enum IndexJSON {
    /// A non-negative integer that fits `Int`.
    static func count(_ value: JSONValue?) -> Int? {
        guard let number = value?.integerValue, number >= 0 else { return nil }
        return Int(exactly: number)
    }

    /// An array of `{path, length, digest}`.
    static func files(_ value: JSONValue?) -> [FileEntry]? {
        guard let elements = value?.arrayValue else { return nil }
        var entries: [FileEntry] = []
        entries.reserveCapacity(elements.count)
        for element in elements {
            guard let path = element["path"]?.stringValue, let length = count(element["length"]),
                let digest = element["digest"]?.stringValue.flatMap(SHA256Digest.init(parsing:))
            else { return nil }
            entries.append(FileEntry(path: path, length: length, digest: digest))
        }
        return entries
    }
}
