/// The media types zoo reads and writes in OCI manifests, layouts and registries.
///
/// A checkpoint is an OCI image manifest whose config is the zoo manifest and whose layers are
/// the shards then the assets, uncompressed (see `spec/oci.md`).
public enum OCIMediaType {
    /// An OCI image manifest (what a checkpoint is stored as).
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    /// An OCI image index (`index.json` of a layout; multi-platform images).
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    /// The manifest's `artifactType`: "this is a zoo checkpoint".
    public static let checkpoint = "application/vnd.zoo.checkpoint.v1"
    /// The config blob: the zoo manifest's canonical JSON bytes.
    public static let checkpointConfig = "application/vnd.zoo.checkpoint.manifest.v1+json"
    /// A shard layer (raw bytes of `shards/NNNNN.bin`).
    public static let shard = "application/vnd.zoo.checkpoint.shard.v1"
    /// An asset layer (raw bytes of `assets/...`).
    public static let asset = "application/vnd.zoo.checkpoint.asset.v1"

    /// A Sigstore bundle (what an OpenSSF model signature is): the `artifactType` of a
    /// signature artifact and the media type of its one layer.
    public static let sigstoreBundle = "application/vnd.dev.sigstore.bundle.v0.3+json"
    /// The empty config of artifacts (`{}`, OCI image-spec 1.1).
    public static let empty = "application/vnd.oci.empty.v1+json"

    /// The `Accept` header of every manifest request. Registries such as the CNCF distribution
    /// registry answer 404 to a manifest GET without an OCI type here, even with `*/*`.
    static let manifestAccept = imageManifest + ", " + imageIndex
}

/// The annotation keys zoo writes.
public enum OCIAnnotation {
    /// On every layer: the checkpoint path (`shards/00000.bin`, `assets/config.json`).
    public static let title = "org.opencontainers.image.title"
    /// On `index.json` entries of a layout: `NAME:TAG`.
    public static let refName = "org.opencontainers.image.ref.name"
    /// The model digest (also the config's digest).
    public static let modelDigest = "dev.zoo.model.digest"
    /// The manifest's `name`.
    public static let modelName = "dev.zoo.model.name"
    /// `architecture.family`.
    public static let modelFamily = "dev.zoo.model.family"
    /// `architecture.type`.
    public static let modelType = "dev.zoo.model.type"
    /// `architecture.parameterCount`, in decimal.
    public static let parameterCount = "dev.zoo.model.parameters"
    /// `formatVersion` of the zoo manifest.
    public static let formatVersion = "dev.zoo.format.version"
    /// On signature artifacts, as cosign writes them: what the bundle holds (`dsse-envelope`).
    public static let bundleContent = "dev.sigstore.bundle.content"
    /// On signature artifacts: the predicate type of the signed statement.
    public static let bundlePredicateType = "dev.sigstore.bundle.predicateType"
}
