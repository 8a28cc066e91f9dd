import ZooFormat

/// An OCI image manifest (schema version 2), the form a checkpoint takes in a registry or an
/// OCI image layout.
///
/// ``init(checkpoint:)`` maps a zoo manifest deterministically: the config is the zoo manifest
/// itself (so the config digest *is* the model digest), the layers are the shards then the
/// assets in manifest order, each titled with its checkpoint path, and nothing time- or
/// machine-dependent goes in. The same checkpoint therefore always has the same OCI manifest
/// digest, and every blob keeps the digest the store files it under.
///
/// ```swift
/// let oci = OCIImageManifest(checkpoint: checkpoint.manifest)
/// print(oci.digest, oci.config.digest == checkpoint.digest)   // ..., true
/// ```
public struct OCIImageManifest: Equatable, Sendable {
    /// Larger manifests are refused before they are parsed (the CNCF registry's own limit).
    public static let maxByteCount = 4 << 20

    public var mediaType: String?
    public var artifactType: String?
    public var config: OCIDescriptor
    public var layers: [OCIDescriptor]
    public var annotations: [String: String]

    public init(mediaType: String? = OCIMediaType.imageManifest, artifactType: String?, config: OCIDescriptor,
                layers: [OCIDescriptor], annotations: [String: String])
    {
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    /// The OCI manifest of a zoo checkpoint.
    public init(checkpoint manifest: Manifest) {
        let bytes = manifest.canonicalBytes
        let digest = SHA256.digest(bytes)
        var layers: [OCIDescriptor] = []
        for shard in manifest.shards {
            layers.append(OCIDescriptor(mediaType: OCIMediaType.shard, digest: shard.digest, size: shard.length,
                                        annotations: [OCIAnnotation.title: shard.path]))
        }
        for asset in manifest.assets {
            layers.append(OCIDescriptor(mediaType: OCIMediaType.asset, digest: asset.digest, size: asset.length,
                                        annotations: [OCIAnnotation.title: asset.path]))
        }
        self.init(
            artifactType: OCIMediaType.checkpoint,
            config: OCIDescriptor(mediaType: OCIMediaType.checkpointConfig, digest: digest, size: bytes.count),
            layers: layers,
            annotations: [
                OCIAnnotation.modelDigest: digest.description,
                OCIAnnotation.modelName: manifest.name,
                OCIAnnotation.modelFamily: manifest.architecture.family.rawValue,
                OCIAnnotation.modelType: manifest.architecture.type,
                OCIAnnotation.parameterCount: String(manifest.architecture.parameterCount),
                OCIAnnotation.formatVersion: manifest.formatVersion.description,
            ])
    }

    /// The manifest as JSON.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "schemaVersion": 2, "config": config.json, "layers": .array(layers.map(\.json)),
        ]
        if let mediaType { members["mediaType"] = .string(mediaType) }
        if let artifactType { members["artifactType"] = .string(artifactType) }
        if !annotations.isEmpty { members["annotations"] = .object(annotations.mapValues { .string($0) }) }
        return .object(members)
    }

    /// The bytes zoo writes: canonical JSON (RFC 8785), so they depend on the content only.
    public var bytes: [UInt8] { json.canonicalBytes }

    /// The digest of ``bytes`` (the OCI manifest digest, not the model digest).
    public var digest: SHA256Digest { SHA256.digest(bytes) }

    /// The model digest: the digest of the config blob, which is the zoo manifest.
    public var modelDigest: SHA256Digest { config.digest }

    /// Bytes of the config and every layer.
    public var totalByteCount: Int { layers.reduce(config.size) { $0 + $1.size } }

    /// Parses an OCI image manifest; `source` names where it came from in errors.
    ///
    /// - Throws: ``RemoteError/Reason/notACheckpoint(source:why:)`` for an image index or a
    ///   Docker manifest, ``RemoteError/Reason/invalidManifest(source:why:)`` for bad JSON or members.
    public init(parsing bytes: [UInt8], source: String) throws(RemoteError) {
        func fail(_ why: String) -> RemoteError { RemoteError(.invalidManifest(source: source, why: why)) }
        guard bytes.count <= Self.maxByteCount else {
            throw fail("\(bytes.count) bytes, over the \(Self.maxByteCount)-byte limit")
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw fail(error.description) }
        guard let object = json.objectValue else { throw fail("not a JSON object") }
        let mediaType = object["mediaType"]?.stringValue
        if let mediaType, mediaType != OCIMediaType.imageManifest {
            let what = mediaType == OCIMediaType.imageIndex ? "an image index (several manifests)" : "media type \(mediaType)"
            throw RemoteError(.notACheckpoint(source: source, why: "it is \(what), not an OCI image manifest"))
        }
        guard object["schemaVersion"]?.integerValue == 2 else { throw fail("schemaVersion is not 2") }
        guard let configJSON = object["config"] else { throw fail("config is missing") }
        let config = try OCIDescriptor(json: configJSON, path: "config", source: source)
        guard let layersJSON = object["layers"]?.arrayValue else { throw fail("layers is missing or not an array") }
        var layers: [OCIDescriptor] = []
        for (i, layer) in layersJSON.enumerated() {
            layers.append(try OCIDescriptor(json: layer, path: "layers[\(i)]", source: source))
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
        self.init(mediaType: mediaType, artifactType: artifactType, config: config, layers: layers,
                  annotations: annotations)
    }

    /// Checks that this manifest is a zoo checkpoint: the config has the zoo manifest type and
    /// a size the format allows, and the annotated model digest (when present) is the config's.
    public func requireCheckpoint(source: String) throws(RemoteError) {
        guard config.mediaType == OCIMediaType.checkpointConfig else {
            throw RemoteError(.notACheckpoint(
                source: source, why: "its config is \(config.mediaType), not \(OCIMediaType.checkpointConfig)"))
        }
        if let artifactType, artifactType != OCIMediaType.checkpoint {
            throw RemoteError(.notACheckpoint(source: source, why: "its artifactType is \(artifactType)"))
        }
        guard config.size <= Manifest.maxByteCount else {
            throw RemoteError(.invalidManifest(
                source: source, why: "config is \(config.size) bytes, over the \(Manifest.maxByteCount)-byte manifest limit"))
        }
        if let annotated = annotations[OCIAnnotation.modelDigest], annotated != config.digest.description {
            throw RemoteError(.invalidManifest(
                source: source, why: "annotation \(OCIAnnotation.modelDigest) is \(annotated), the config is \(config.digest)"))
        }
    }

    /// Checks that the layers are exactly the zoo manifest's shards then assets: same order,
    /// media types, digests, sizes and (when present) titles.
    public func check(against manifest: Manifest, source: String) throws(RemoteError) {
        let entries = manifest.shards.map { ($0, OCIMediaType.shard) } + manifest.assets.map { ($0, OCIMediaType.asset) }
        guard layers.count == entries.count else {
            throw RemoteError(.invalidManifest(source: source, why:
                "\(layers.count) layers, the checkpoint has \(manifest.shards.count) shards and \(manifest.assets.count) assets"))
        }
        for (i, (layer, (entry, mediaType))) in zip(layers, entries).enumerated() {
            func fail(_ why: String) -> RemoteError {
                RemoteError(.invalidManifest(source: source, why: "layers[\(i)] (\(entry.path)): \(why)"))
            }
            guard layer.mediaType == mediaType else { throw fail("media type \(layer.mediaType), expected \(mediaType)") }
            guard layer.digest == entry.digest else { throw fail("digest \(layer.digest), the checkpoint says \(entry.digest)") }
            guard layer.size == entry.length else { throw fail("size \(layer.size), the checkpoint says \(entry.length)") }
            if let title = layer.annotations[OCIAnnotation.title], title != entry.path {
                throw fail("title \(title)")
            }
        }
    }
}
