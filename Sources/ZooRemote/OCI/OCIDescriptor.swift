import ZooFormat

/// An OCI content descriptor: what a blob is, its digest and size, and annotations.
///
/// zoo only handles `sha256` digests; a descriptor with another algorithm is refused.
public struct OCIDescriptor: Equatable, Sendable {
    public var mediaType: String
    public var digest: SHA256Digest
    public var size: Int
    public var annotations: [String: String]
    /// Set on manifest descriptors in an index (OCI 1.1).
    public var artifactType: String?

    public init(mediaType: String, digest: SHA256Digest, size: Int, annotations: [String: String] = [:],
                artifactType: String? = nil)
    {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.artifactType = artifactType
    }

    /// The descriptor as a JSON object (annotations and artifactType only when present).
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "mediaType": .string(mediaType), "digest": .string(digest.description), "size": .integer(Int64(size)),
        ]
        if !annotations.isEmpty { members["annotations"] = .object(annotations.mapValues { .string($0) }) }
        if let artifactType { members["artifactType"] = .string(artifactType) }
        return .object(members)
    }

    /// Parses a descriptor object; `path` names it in errors (`layers[3]`).
    init(json: JSONValue, path: String, source: String) throws(RemoteError) {
        func fail(_ why: String) -> RemoteError { RemoteError(.invalidManifest(source: source, why: "\(path): \(why)")) }
        guard let object = json.objectValue else { throw fail("not an object") }
        guard let mediaType = object["mediaType"]?.stringValue else { throw fail("mediaType is missing") }
        guard let digestText = object["digest"]?.stringValue else { throw fail("digest is missing") }
        guard let digest = SHA256Digest(parsing: digestText) else {
            throw fail("digest \"\(digestText)\" is not sha256:<64 lowercase hex> (the only algorithm zoo reads)")
        }
        guard let size = object["size"]?.integerValue, size >= 0, let exact = Int(exactly: size) else {
            throw fail("size is missing or negative")
        }
        var annotations: [String: String] = [:]
        if let value = object["annotations"] {
            guard let members = value.objectValue else { throw fail("annotations is not an object") }
            for (key, value) in members {
                guard let text = value.stringValue else { throw fail("annotation \(key) is not a string") }
                annotations[key] = text
            }
        }
        var artifactType: String?
        if let value = object["artifactType"] {
            guard let text = value.stringValue else { throw fail("artifactType is not a string") }
            artifactType = text
        }
        self.init(mediaType: mediaType, digest: digest, size: exact, annotations: annotations, artifactType: artifactType)
    }
}
