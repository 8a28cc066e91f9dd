/// The architecture manifest of a checkpoint: what the model is, and where every tensor,
/// shard and asset is with its SHA-256.
///
/// The model's identity is ``digest``: the SHA-256 of ``canonicalBytes``, which cover every
/// tensor, shard and asset digest. Members a newer minor version adds are kept in
/// `extraMembers` so that re-encoding a parsed manifest gives the same digest.
///
/// ```swift
/// let manifest = try Manifest(parsing: bytes, file: "manifest.json")
/// print(manifest.digest, manifest.architecture.parameterCount)
/// ```
public struct Manifest: Sendable, Equatable {
    /// The value of the `format` member.
    public static let formatName = "zoo.checkpoint"
    /// The newest version this library knows; it reads every `1.x`.
    public static let currentVersion = FormatVersion(major: 1, minor: 1)
    /// The version a manifest that uses no 1.1 feature is written as (spec §10: writers write
    /// the oldest version whose features they use).
    public static let baseVersion = FormatVersion(major: 1, minor: 0)
    /// The version that added ``sourceOrder``.
    public static let sourceOrderVersion = FormatVersion(major: 1, minor: 1)
    /// A manifest larger than this is refused before it is parsed (64 MiB fits ~300k tensors).
    public static let maxByteCount = 64 << 20
    /// Every tensor starts at a multiple of this many bytes in its shard, so typed views of a
    /// memory map are aligned for any dtype and for SIMD loads.
    public static let alignment = 64

    public var formatVersion: FormatVersion
    /// A human-readable model name (not its identity: that is ``digest``).
    public var name: String
    public var architecture: Architecture
    /// Tensors in storage order: by shard, then by offset.
    public var tensors: [TensorEntry]
    /// The order the tensors had in the source (format 1.1, spec §3.6): `sourceOrder[k]` is the
    /// index in ``tensors`` of the k-th tensor of the source. `nil` when the source order is the
    /// storage order. Exporters write tensors in this order (``tensorsInSourceOrder``), so that a
    /// file imported and exported again is byte-identical although its shards are packed by name.
    public var sourceOrder: [Int]?
    public var shards: [FileEntry]
    public var assets: [FileEntry]
    /// Free-form typed metadata. Converters use namespaced keys such as `safetensors.metadata`.
    public var metadata: [String: JSONValue]
    public var lineage: Lineage?
    /// Top-level members this version does not know, kept for the digest.
    public var extraMembers: [String: JSONValue]

    public init(
        name: String, architecture: Architecture, tensors: [TensorEntry] = [], shards: [FileEntry] = [],
        assets: [FileEntry] = [], metadata: [String: JSONValue] = [:], lineage: Lineage? = nil
    ) {
        self.formatVersion = Self.baseVersion
        self.name = name
        self.architecture = architecture
        self.tensors = tensors
        self.shards = shards
        self.assets = assets
        self.metadata = metadata
        self.lineage = lineage
        self.extraMembers = [:]
    }

    /// The tensors in the order the source had them (``sourceOrder``), else in storage order.
    public var tensorsInSourceOrder: [TensorEntry] {
        guard let sourceOrder, sourceOrder.count == tensors.count else { return tensors }
        return sourceOrder.map { tensors[$0] }
    }

    /// The canonical (RFC 8785) bytes that are stored as `manifest.json` and hashed for ``digest``.
    public var canonicalBytes: [UInt8] { jsonValue.canonicalBytes }

    /// The model digest: SHA-256 of ``canonicalBytes``.
    public var digest: SHA256Digest { SHA256.digest(canonicalBytes) }

    /// Total bytes of shards and assets.
    public var totalByteCount: Int { shards.reduce(0) { $0 + $1.length } + assets.reduce(0) { $0 + $1.length } }

    /// The dtypes the tensors use, sorted by name.
    public var dtypes: [DType] { Set(tensors.map(\.dtype)).sorted { $0.rawValue < $1.rawValue } }
}

/// Broad model families, for listing and for picking a loader.
///
/// A struct rather than an enum: a newer minor format version may add families, and a reader
/// must keep their names intact (the model digest covers them) while treating them as `other`.
public struct ModelFamily: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let autoregressive = ModelFamily(rawValue: "autoregressive")
    public static let autoencoding = ModelFamily(rawValue: "autoencoding")
    public static let seq2seq = ModelFamily(rawValue: "seq2seq")
    public static let multimodal = ModelFamily(rawValue: "multimodal")
    public static let retrieval = ModelFamily(rawValue: "retrieval")
    public static let other = ModelFamily(rawValue: "other")

    /// The families of format 1.0.
    public static let allCases: [ModelFamily] = [.autoregressive, .autoencoding, .seq2seq, .multimodal, .retrieval, .other]

    /// Whether this version of the format defines the family (else a reader treats it as `other`).
    public var isKnown: Bool { Self.allCases.contains(self) }

    public var description: String { rawValue }
}

/// What the model is: family, type (e.g. Hugging Face `model_type`), its configuration and size.
public struct Architecture: Sendable, Equatable {
    public var family: ModelFamily
    /// The model type, e.g. `bert`, `gpt2`, `t5`.
    public var type: String
    /// The model configuration, e.g. Hugging Face's `config.json`.
    public var config: [String: JSONValue]
    /// The number of elements over all tensors; the writer fills it in.
    public var parameterCount: Int
    public var extraMembers: [String: JSONValue] = [:]

    public init(family: ModelFamily, type: String, config: [String: JSONValue] = [:], parameterCount: Int = 0) {
        self.family = family
        self.type = type
        self.config = config
        self.parameterCount = parameterCount
    }
}

/// Where a tensor is and what it holds.
public struct TensorEntry: Sendable, Equatable {
    /// Its dotted name, e.g. `encoder.layer.0.attention.self.query.weight`.
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Index into ``Manifest/shards``.
    public var shard: Int
    /// Byte offset in the shard, a multiple of ``Manifest/alignment``.
    public var offset: Int
    /// Byte length: element count x dtype width.
    public var length: Int
    /// SHA-256 of the tensor's bytes.
    public var digest: SHA256Digest
    public var extraMembers: [String: JSONValue] = [:]

    public init(name: String, dtype: DType, shape: [Int], shard: Int, offset: Int, length: Int, digest: SHA256Digest) {
        self.name = name
        self.dtype = dtype
        self.shard = shard
        self.shape = shape
        self.offset = offset
        self.length = length
        self.digest = digest
    }

    /// The number of elements (1 for a 0-dim scalar); valid once the manifest is validated.
    public var elementCount: Int { Shape.elementCount(shape) ?? 0 }
}

/// A shard or an asset: a path in the checkpoint, its length and SHA-256.
public struct FileEntry: Sendable, Equatable {
    /// Relative path, `shards/00000.bin` or `assets/config.json`.
    public var path: String
    public var length: Int
    public var digest: SHA256Digest
    public var extraMembers: [String: JSONValue] = [:]

    public init(path: String, length: Int, digest: SHA256Digest) {
        self.path = path
        self.length = length
        self.digest = digest
    }
}

/// Where a model came from: its parent's model digest and the recipe that made it.
public struct Lineage: Sendable, Equatable {
    /// The parent's model digest; `nil` leaves the member out.
    public var parent: SHA256Digest?
    /// How the model was derived (e.g. a transfer-learning recipe or a conversion); `nil`
    /// leaves the member out, `.null` writes an explicit null.
    public var recipe: JSONValue?
    public var extraMembers: [String: JSONValue] = [:]

    public init(parent: SHA256Digest?, recipe: JSONValue? = nil) {
        self.parent = parent
        self.recipe = recipe
    }
}
