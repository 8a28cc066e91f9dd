/// How a ``CheckpointWriter`` lays tensors into shards.
public struct WriterOptions: Sendable {
    /// A shard is closed before a tensor that would take it past this size; a tensor larger than
    /// this gets a shard of its own. Smaller shards hash in parallel and deduplicate better;
    /// 256 MiB keeps a 1 GiB model on several shards without making thousands of files.
    public var maxShardByteCount: Int

    public init(maxShardByteCount: Int = 256 << 20) {
        self.maxShardByteCount = maxShardByteCount
    }
}
