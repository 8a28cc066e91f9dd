import ZooFormat

/// A list of referrers: the image index the referrers API answers (OCI distribution spec 1.1,
/// `GET /v2/<name>/referrers/<digest>`), or the one a client keeps at the referrers tag
/// `sha256-<hex>` for registries and layouts without the API.
///
/// Entries zoo does not understand are kept as they are when it adds one (other tools' referrers
/// share the tag); reading keeps only well-formed manifest descriptors.
public struct ReferrersIndex: Sendable, Equatable {
    /// Larger lists are refused before they are parsed.
    public static let maxByteCount = 4 << 20
    /// Signature artifacts looked at per pull: a hostile list cannot make a pull fetch without end.
    public static let maxSignatureCount = 32

    /// The `manifests` entries as they came (JSON), in order.
    public private(set) var entries: [JSONValue]
    /// Other members of the index (annotations, a subject ...), kept when it is rewritten.
    private var otherMembers: [String: JSONValue]

    /// An empty list.
    public init() {
        entries = []
        otherMembers = [:]
    }

    /// The referrers tag of `digest` (distribution spec 1.1, "Referrers Tag Schema"):
    /// `sha256-<64 hex>`.
    public static func tag(for digest: SHA256Digest) -> String { "sha256-" + digest.hex }

    /// Parses an image index; `source` names where it came from in errors.
    ///
    /// - Throws: ``RemoteError/Reason/invalidSignature(source:why:)`` when it is too large, not
    ///   JSON, or not an image index.
    public init(parsing bytes: [UInt8], source: String) throws(RemoteError) {
        func fail(_ why: String) -> RemoteError { RemoteError(.invalidSignature(source: source, why: "referrers list: \(why)")) }
        guard bytes.count <= Self.maxByteCount else {
            throw fail("\(bytes.count) bytes, over the \(Self.maxByteCount)-byte limit")
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw fail("not JSON: \(error)") }
        guard var object = json.objectValue else { throw fail("not a JSON object") }
        guard object["schemaVersion"]?.integerValue == 2 else { throw fail("schemaVersion is not 2") }
        if let mediaType = object["mediaType"], mediaType.stringValue != OCIMediaType.imageIndex {
            throw fail("mediaType is not \(OCIMediaType.imageIndex)")
        }
        guard let manifests = object.removeValue(forKey: "manifests")?.arrayValue else {
            throw fail("manifests is missing or not an array")
        }
        entries = manifests
        otherMembers = object
    }

    /// The well-formed image-manifest entries of `artifactType`, at most `limit`, duplicates
    /// dropped, in list order. Registries need not filter (`OCI-Filters-Applied`), so this does.
    public func manifests(ofType artifactType: String, limit: Int = ReferrersIndex.maxSignatureCount) -> [OCIDescriptor] {
        var out: [OCIDescriptor] = []
        var seen = Set<SHA256Digest>()
        for (i, entry) in entries.enumerated() where out.count < limit {
            guard let descriptor = try? OCIDescriptor(json: entry, path: "manifests[\(i)]", source: ""),
                descriptor.mediaType == OCIMediaType.imageManifest, descriptor.artifactType == artifactType,
                seen.insert(descriptor.digest).inserted
            else { continue }
            out.append(descriptor)
        }
        return out
    }

    /// Adds `descriptor` unless an entry has its digest already; `false` when it was there.
    @discardableResult
    public mutating func add(_ descriptor: OCIDescriptor) -> Bool {
        let digest = descriptor.digest.description
        guard !entries.contains(where: { $0["digest"]?.stringValue == digest }) else { return false }
        entries.append(descriptor.json)
        return true
    }

    /// The index as JSON.
    public var json: JSONValue {
        var members = otherMembers
        members["schemaVersion"] = 2
        members["mediaType"] = .string(OCIMediaType.imageIndex)
        members["manifests"] = .array(entries)
        return .object(members)
    }

    /// The bytes written: canonical JSON (RFC 8785).
    public var bytes: [UInt8] { json.canonicalBytes }
}
