/// How a ``CheckpointWriter`` packs tensors into shards (spec §7.1, ``ShardPlan``).
///
/// The defaults are part of the format's canonical packing: two writers with the same options
/// write the same shard files for the same tensors, so stores and registries keep them once.
/// Change them only for tests or special needs; a checkpoint written with other values is just
/// as valid, but shares fewer blobs with the rest of the zoo.
public struct WriterOptions: Sendable, Equatable {
    /// The canonical target: adjacent small groups (layers) share a shard up to this size.
    public static let canonicalTargetShardByteCount = 32 << 20
    /// The canonical maximum: a larger group (a big layer, the embedding matrix with its
    /// neighbours) is cut into pieces of at most this size; one larger tensor gets a shard alone.
    public static let canonicalMaxShardByteCount = 128 << 20

    /// Adjacent groups share a shard while it stays within this many bytes. 32 MiB keeps a
    /// BERT-base layer (27 MiB) in a shard of its own, so a fine-tune of the top layers re-sends
    /// only those, while thousands of tiny tensors still fill only a few shards.
    public var targetShardByteCount: Int
    /// No shard holding several tensors grows past this. Smaller shards hash in parallel and
    /// resume cheaply; 128 MiB keeps a 70B model at about a thousand of them.
    public var maxShardByteCount: Int

    public init(targetShardByteCount: Int = canonicalTargetShardByteCount,
                maxShardByteCount: Int = canonicalMaxShardByteCount)
    {
        self.targetShardByteCount = targetShardByteCount
        self.maxShardByteCount = maxShardByteCount
    }

    /// Options whose target and maximum are both `maxShardByteCount` (tests use tiny values to
    /// make many shards).
    public init(maxShardByteCount: Int) {
        self.init(targetShardByteCount: maxShardByteCount, maxShardByteCount: maxShardByteCount)
    }

    /// The layer a tensor belongs to: its name up to and including the first all-digit
    /// component (`encoder.layer.3.attention.self.query.weight` -> `encoder.layer.3`,
    /// `h.0.attn.c_attn.weight` -> `h.0`, `blk.11.ffn_up.weight` -> `blk.11`), or the empty
    /// string for tensors outside numbered layers (embeddings, pooler, heads).
    public static func layerGroup(of name: String) -> Substring {
        var end = name.startIndex
        for component in name.split(separator: ".", omittingEmptySubsequences: false) {
            end = component.endIndex
            if !component.isEmpty, component.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                return name[name.startIndex..<end]
            }
        }
        return ""
    }
}
