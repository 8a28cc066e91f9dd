import ZooFormat
import ZooStore

/// A remote model's OCI manifest and config as read before anything is fetched (by `pull` and
/// `inspect`): the manifest checked to be a zoo checkpoint, the config's bytes bounded and
/// hashing to their descriptor.
struct ResolvedRemoteModel {
    var modelName: String
    var version: RemoteVersion
    var endpoint: PullEndpoint
    /// The first thread's reader, already connected.
    var reader: EndpointReader
    var oci: OCIImageManifest
    /// The OCI manifest's bytes and digest.
    var ociBytes: [UInt8]
    var ociDigest: SHA256Digest
    /// The zoo manifest's bytes, as the OCI config.
    var config: [UInt8]
    /// The location as written, for messages.
    var source: String

    /// The config parsed as a zoo manifest, in canonical form and agreeing with every layer.
    func checkedManifest() throws(RemoteError) -> Manifest {
        let manifest: Manifest
        do { manifest = try Manifest(parsing: config, file: "\(source) config \(oci.config.digest)") } catch {
            throw RemoteError(.invalidManifest(source: source, why: "its config is not a valid zoo manifest: \(error.description)"))
        }
        guard manifest.canonicalBytes == config else {
            throw RemoteError(.invalidManifest(source: source, why: "its config is not in canonical JSON form"))
        }
        try oci.check(against: manifest, source: source)
        return manifest
    }
}

extension RemoteClient {
    /// Step 1 of a pull: reads `target`'s OCI manifest (by tag, default `latest`, or digest),
    /// checks it describes a checkpoint, and reads its config (up to ``Manifest/maxByteCount``).
    func resolve(_ target: RemoteTarget, bytesPerSecond: Int?) throws(RemoteError) -> ResolvedRemoteModel {
        guard let modelName = target.name else {
            throw RemoteError(.invalidLocation(target.description, why: "say which model: LOCATION:NAME[:TAG]"))
        }
        let version = target.version ?? .tag(ModelReference.defaultTag)
        let endpoint: PullEndpoint
        switch target.base {
        case let .registry(address, _):
            endpoint = .registry(registry(address), repository: target.base.repository(for: modelName))
        case let .folder(path):
            endpoint = .layout(try ImageLayout(path: path), bytesPerSecond: bytesPerSecond)
        }
        let reader = try endpoint.reader()
        let (ociBytes, ociDigest) = try manifest(of: endpoint, reader: reader, name: modelName, version: version, target: target)
        let source = target.description
        let oci = try OCIImageManifest(parsing: ociBytes, source: source)
        try oci.requireCheckpoint(source: source)
        let config = try reader.smallBlob(oci.config.digest, limit: Manifest.maxByteCount)
        return ResolvedRemoteModel(modelName: modelName, version: version, endpoint: endpoint, reader: reader, oci: oci,
                                   ociBytes: ociBytes, ociDigest: ociDigest, config: config, source: source)
    }
}
