/// Where the bytes of a shard or an asset are: a byte range of a file. A folder checkpoint has
/// one file per shard at offset 0; an uncompressed `.zoo` archive has every shard inside the one
/// archive file; the store keeps each shard as a blob named by its digest.
public struct FileRegion: Sendable, Equatable {
    public var path: String
    public var offset: Int
    public var length: Int

    public init(path: String, offset: Int = 0, length: Int) {
        self.path = path
        self.offset = offset
        self.length = length
    }
}
