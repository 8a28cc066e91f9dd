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
        let resolved = try resolve(target, bytesPerSecond: nil)
        let manifest = try resolved.checkedManifest()
        return RemoteModel(source: resolved.source, manifestDigest: resolved.ociDigest, digest: resolved.oci.config.digest,
                           manifest: manifest, manifestByteCount: resolved.config.count)
    }
}
