import ZooFormat

/// A model signature as an OCI 1.1 artifact: an image manifest whose `artifactType` is the
/// Sigstore bundle type, whose config is the empty descriptor (`{}`), whose one layer is the
/// bundle, and whose `subject` is the model's OCI manifest. Registries with the referrers API
/// list it under the subject; the others through the referrers tag (``ReferrersIndex``).
///
/// ```swift
/// let artifact = SignatureArtifact(bundle: bundleBytes, subject: modelManifestDescriptor)
/// try connection.putManifest(repository: repo, reference: artifact.digest.description, bytes: artifact.bytes, ...)
/// ```
///
/// The manifest's bytes are canonical JSON of the bundle and subject only (no time stamp), so the
/// same signature of the same model is always the same artifact, and pushing it twice adds nothing.
public struct SignatureArtifact: Equatable, Sendable {
    /// Larger signature manifests are refused before they are parsed: one holds two descriptors.
    public static let maxManifestByteCount = 64 << 10
    /// Larger bundles are refused before they are read. A key-signed OMS bundle is a few KB;
    /// certificate chains and transparency-log entries stay well under this.
    public static let maxBundleByteCount = 1 << 20

    /// The model's OCI manifest (mediaType, digest, size).
    public var subject: OCIDescriptor
    /// The bundle layer's descriptor.
    public var bundle: OCIDescriptor
    public var annotations: [String: String]

    /// The artifact for `bundleBytes` (a Sigstore bundle), signing the manifest `subject`.
    public init(bundle bundleBytes: [UInt8], subject: OCIDescriptor) {
        self.subject = OCIDescriptor(mediaType: subject.mediaType, digest: subject.digest, size: subject.size)
        self.bundle = OCIDescriptor(mediaType: OCIMediaType.sigstoreBundle, digest: SHA256.digest(bundleBytes),
                                    size: bundleBytes.count)
        // What cosign writes for bundles, so its tools show the artifact for what it is.
        self.annotations = [
            OCIAnnotation.bundleContent: "dsse-envelope",
            OCIAnnotation.bundlePredicateType: SignatureArtifact.predicateType,
        ]
    }

    /// The OMS predicate type the bundles' statements carry.
    public static let predicateType = "https://model_signing/signature/v1.0"

    /// The manifest as JSON.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "schemaVersion": 2,
            "mediaType": .string(OCIMediaType.imageManifest),
            "artifactType": .string(OCIMediaType.sigstoreBundle),
            "config": OCIDescriptor.empty.json,
            "layers": .array([bundle.json]),
            "subject": subject.json,
        ]
        if !annotations.isEmpty { members["annotations"] = .object(annotations.mapValues { .string($0) }) }
        return .object(members)
    }

    /// The bytes pushed: canonical JSON (RFC 8785).
    public var bytes: [UInt8] { json.canonicalBytes }

    /// The digest of ``bytes``.
    public var digest: SHA256Digest { SHA256.digest(bytes) }

    /// This artifact's entry in a referrers list (OCI distribution spec 1.1, "Listing Referrers").
    public var referrerDescriptor: OCIDescriptor {
        OCIDescriptor(mediaType: OCIMediaType.imageManifest, digest: digest, size: bytes.count, annotations: annotations,
                      artifactType: OCIMediaType.sigstoreBundle)
    }

    /// Parses a signature artifact manifest; `source` names where it came from in errors.
    ///
    /// Everything is checked, whatever sent it: the size, the media and artifact types, the empty
    /// config, exactly one bundle layer within ``maxBundleByteCount``, and a subject. Whether the
    /// subject is the model being pulled is the caller's check (``requireSubject(_:source:)``).
    ///
    /// - Throws: ``RemoteError/Reason/invalidSignature(source:why:)``.
    public init(parsing bytes: [UInt8], source: String) throws(RemoteError) {
        func fail(_ why: String) -> RemoteError { RemoteError(.invalidSignature(source: source, why: why)) }
        guard bytes.count <= Self.maxManifestByteCount else {
            throw fail("its manifest is \(bytes.count) bytes, over the \(Self.maxManifestByteCount)-byte limit")
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw fail("its manifest is not JSON: \(error)") }
        guard let object = json.objectValue else { throw fail("its manifest is not a JSON object") }
        guard object["schemaVersion"]?.integerValue == 2 else { throw fail("schemaVersion is not 2") }
        if let mediaType = object["mediaType"], mediaType.stringValue != OCIMediaType.imageManifest {
            throw fail("mediaType is not \(OCIMediaType.imageManifest)")
        }
        guard object["artifactType"]?.stringValue == OCIMediaType.sigstoreBundle else {
            throw fail("artifactType is not \(OCIMediaType.sigstoreBundle)")
        }
        func descriptor(_ value: JSONValue?, _ path: String) throws(RemoteError) -> OCIDescriptor {
            guard let value else { throw fail("\(path) is missing") }
            do { return try OCIDescriptor(json: value, path: path, source: source) } catch {
                guard case let .invalidManifest(_, why) = error.reason else { throw error }
                throw fail(why)
            }
        }
        let config = try descriptor(object["config"], "config")
        guard config.mediaType == OCIMediaType.empty, config.digest == OCIDescriptor.empty.digest,
            config.size == OCIDescriptor.empty.size
        else { throw fail("config is not the empty descriptor (\(OCIMediaType.empty), {})") }
        guard let layers = object["layers"]?.arrayValue, layers.count == 1 else {
            throw fail("it does not have exactly one layer (the bundle)")
        }
        let bundle = try descriptor(layers[0], "layers[0]")
        guard bundle.mediaType == OCIMediaType.sigstoreBundle else {
            throw fail("layers[0] is \(bundle.mediaType), not \(OCIMediaType.sigstoreBundle)")
        }
        guard bundle.size <= Self.maxBundleByteCount else {
            throw fail("the bundle is \(bundle.size) bytes, over the \(Self.maxBundleByteCount)-byte limit")
        }
        let subject = try descriptor(object["subject"], "subject")
        var annotations: [String: String] = [:]
        if let value = object["annotations"] {
            guard let members = value.objectValue else { throw fail("annotations is not an object") }
            for (key, value) in members {
                guard let text = value.stringValue else { throw fail("annotation \(key) is not a string") }
                annotations[key] = text
            }
        }
        self.subject = subject
        self.bundle = bundle
        self.annotations = annotations
    }

    /// Checks that the artifact signs the manifest `digest` — a signature listed under one model
    /// may have been made for another (copied into its referrers list).
    public func requireSubject(_ digest: SHA256Digest, source: String) throws(RemoteError) {
        guard subject.digest == digest else {
            throw RemoteError(.invalidSignature(source: source, why:
                "its subject is \(subject.digest), not the pulled manifest \(digest)"))
        }
    }
}

extension OCIDescriptor {
    /// The empty descriptor of OCI image-spec 1.1: the two bytes `{}`, for artifacts without config.
    public static let empty = OCIDescriptor(
        mediaType: OCIMediaType.empty,
        digest: SHA256.digest(OCIDescriptor.emptyBytes),
        size: OCIDescriptor.emptyBytes.count)

    /// The empty blob's content.
    public static let emptyBytes: [UInt8] = Array("{}".utf8)
}
