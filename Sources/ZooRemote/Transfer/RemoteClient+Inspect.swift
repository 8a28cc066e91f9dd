import ZooFormat
import ZooStore

/// A model as a remote offers it, read without pulling: its OCI manifest and zoo manifest.
public struct RemoteModel: Sendable {
    /// The location as written, e.g. `oci://host/team/bert:v1`.
    public var source: String
    /// The OCI image manifest's digest (what a registry calls the model's digest).
    public var manifestDigest: SHA256Digest
    /// The model digest (the zoo manifest's, the OCI config's).
    public var digest: SHA256Digest
    /// The zoo manifest, checked against the OCI manifest's layers.
    public var manifest: Manifest
    /// Bytes of the zoo manifest's canonical form.
    public var manifestByteCount: Int
}

extension RemoteClient {
    /// Reads a remote model's OCI manifest and its config (the zoo manifest) and checks them as
    /// a pull does before it fetches anything (step 1 of ``pull(_:as:observer:)``): both replies
    /// bounded (``OCIImageManifest/maxByteCount``, ``Manifest/maxByteCount``), the config hashing
    /// to its descriptor, canonical, and agreeing with every layer. No shard is read and nothing
    /// is written to the store.
    ///
    /// - Throws: ``RemoteError``: no such model, not a checkpoint, an invalid or inconsistent
    ///   manifest, a digest mismatch, authentication, transport.
    public func inspect(_ target: RemoteTarget) throws(RemoteError) -> RemoteModel {
        guard let modelName = target.name else {
            throw RemoteError(.invalidLocation(target.description, why: "say which model: LOCATION:NAME[:TAG]"))
        }
        let version = target.version ?? .tag(ModelReference.defaultTag)
        let endpoint: PullEndpoint
        switch target.base {
        case let .registry(address, _):
            endpoint = .registry(registry(address), repository: target.base.repository(for: modelName))
        case let .folder(path):
            endpoint = .layout(try ImageLayout(path: path), bytesPerSecond: nil)
        }
        let reader = try endpoint.reader()
        let (ociBytes, ociDigest) = try manifest(of: endpoint, reader: reader, name: modelName, version: version, target: target)
        let source = target.description
        let oci = try OCIImageManifest(parsing: ociBytes, source: source)
        try oci.requireCheckpoint(source: source)
        let config = try reader.smallBlob(oci.config.digest, limit: Manifest.maxByteCount)
        let manifest: Manifest
        do {
            manifest = try Manifest(parsing: config, file: "\(source) config \(oci.config.digest)")
        } catch {
            throw RemoteError(.invalidManifest(source: source, why: "its config is not a valid zoo manifest: \(error.description)"))
        }
        guard manifest.canonicalBytes == config else {
            throw RemoteError(.invalidManifest(source: source, why: "its config is not in canonical JSON form"))
        }
        try oci.check(against: manifest, source: source)
        return RemoteModel(source: source, manifestDigest: ociDigest, digest: oci.config.digest, manifest: manifest,
                           manifestByteCount: config.count)
    }
}
