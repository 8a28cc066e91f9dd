/// The files of a checkpoint's folder form (spec §2) and their SHA-256 digests, computed from the
/// manifest alone: `manifest.json` holds the canonical bytes, whose digest is the model digest,
/// and every shard and asset digest is in the manifest. So a stored or pulled model's folder form
/// can be signed or checked against a signature without reading a shard.
public enum FolderForm {
    /// One file of the folder form: its `/`-separated path relative to the folder, and its digest.
    public struct File: Sendable, Hashable {
        public var path: String
        public var digest: SHA256Digest

        public init(path: String, digest: SHA256Digest) {
            self.path = path
            self.digest = digest
        }
    }

    /// The name of the manifest file in the folder form.
    public static let manifestPath = "manifest.json"

    /// `manifest.json`, then the shards, then the assets, exactly as a folder export writes them.
    /// `modelDigest` is the digest of the canonical manifest bytes when the caller knows it
    /// (the store names manifest blobs by it); otherwise it is computed.
    public static func files(of manifest: Manifest, modelDigest: SHA256Digest? = nil) -> [File] {
        var files = [File(path: manifestPath, digest: modelDigest ?? manifest.digest)]
        files.reserveCapacity(1 + manifest.shards.count + manifest.assets.count)
        for entry in manifest.shards { files.append(File(path: entry.path, digest: entry.digest)) }
        for entry in manifest.assets { files.append(File(path: entry.path, digest: entry.digest)) }
        return files
    }
}
