/// How a ``CheckpointWriter`` lays tensors into shards.
public struct WriterOptions: Sendable {
    /// When a new shard starts, besides the size limit.
    public enum Sharding: Sendable, Equatable {
        /// Only ``maxShardByteCount`` closes a shard.
        case bySize
        /// A shard also closes where the tensor's layer changes (see ``WriterOptions/layerGroup(of:)``),
        /// so every transformer block has shards of its own. A fine-tune that changes only its top
        /// layers and head then shares every lower shard, byte for byte, with its parent: the
        /// store, the archive and registries keep those blobs once.
        case byLayer
    }

    /// A shard is closed before a tensor that would take it past this size; a tensor larger than
    /// this gets a shard of its own. Smaller shards hash in parallel and deduplicate better;
    /// 256 MiB keeps a 1 GiB model on several shards without making thousands of files.
    public var maxShardByteCount: Int
    public var sharding: Sharding

    public init(maxShardByteCount: Int = 256 << 20, sharding: Sharding = .byLayer) {
        self.maxShardByteCount = maxShardByteCount
        self.sharding = sharding
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
