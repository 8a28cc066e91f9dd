/// The messages for problems of a sharded Hugging Face folder (an index naming shards), which
/// the safetensors and PyTorch importers check alike: one wording for both error types.
enum ShardedFolderText {
    static func missingFile(_ path: String) -> String { "\(path) is missing" }

    static func notRegularFile(_ path: String) -> String { "\(path) is not a regular file (symbolic links are refused)" }

    static func tensorNotInIndex(tensor: String, shard: String) -> String {
        "\(shard) holds tensor '\(tensor)', which the index does not map to it"
    }

    static func indexedTensorMissing(tensor: String, shard: String) -> String {
        "the index maps tensor '\(tensor)' to \(shard), which does not hold it"
    }

    static func tensorInTwoShards(tensor: String, first: String, second: String) -> String {
        "tensor '\(tensor)' is in both \(first) and \(second)"
    }

    static func unindexedShard(_ shard: String) -> String {
        "\(shard) is a shard of this model, but the index maps no tensor to it"
    }
}
