extension Manifest {
    /// The longest tensor name or path accepted, in UTF-8 bytes.
    public static let maxNameByteCount = 1024

    /// Checks every rule a reader enforces before it trusts the manifest: dtype x shape = length
    /// (overflow-checked), unique names and paths, safe relative paths, and the layout rule
    /// (each tensor at the 64-byte aligned end of the previous one, shards exactly covered).
    /// `file` names the manifest in errors.
    public func validate(file: String) throws(FormatError) {
        func fail(_ reason: FormatError.Reason) -> FormatError { FormatError(file: file, reason: reason) }

        guard !name.isEmpty else { throw fail(.invalidMember("manifest.name", expected: "a non-empty string")) }
        // Values built in code (config, metadata, recipe) must be writable as canonical JSON.
        try Self.checkNumbers(.object(architecture.config), path: "architecture.config", file: file)
        try Self.checkNumbers(.object(metadata), path: "metadata", file: file)
        if let recipe = lineage?.recipe { try Self.checkNumbers(recipe, path: "lineage.recipe", file: file) }

        var paths = Set<String>()
        for (prefix, entries) in [("shards/", shards), ("assets/", assets)] {
            for entry in entries {
                try Self.validatePath(entry.path, under: prefix, file: file)
                guard paths.insert(entry.path).inserted else { throw fail(.duplicatePath(entry.path)) }
            }
        }
        // Shard i lives at shards/%05d.bin, so a path can never smuggle in another file's name.
        for (i, shard) in shards.enumerated() where shard.path != Self.shardPath(i) {
            throw fail(.invalidPath(shard.path, why: "shard \(i) must be \(Self.shardPath(i))"))
        }

        for entry in shards + assets where entry.length < 0 || entry.length > Int(maxExactInteger) {
            throw fail(.integerOutOfRange("length of \(entry.path)"))
        }
        var names = Set<String>(minimumCapacity: tensors.count)
        var shardEnds = [Int](repeating: 0, count: shards.count)
        var shardUsed = [Bool](repeating: false, count: shards.count)
        var lastShard = -1
        var parameters = 0
        for tensor in tensors {
            let name = tensor.name
            guard !name.isEmpty, name.utf8.count <= Self.maxNameByteCount else { throw fail(.invalidTensorName(name)) }
            guard names.insert(name).inserted else { throw fail(.duplicateTensor(name)) }
            guard tensor.shape.count <= Shape.maxRank, tensor.shape.allSatisfy({ $0 >= 0 }) else {
                throw fail(.invalidShape(tensor: name, shape: tensor.shape))
            }
            guard tensor.dtype.minimumFormatVersion <= formatVersion else {
                throw fail(.dtypeNeedsNewerVersion(tensor: name, dtype: tensor.dtype, declared: formatVersion))
            }
            guard tensor.dtype.fits(shape: tensor.shape) else {
                throw fail(.blockMisfit(tensor: name, dtype: tensor.dtype, shape: tensor.shape))
            }
            guard let count = Shape.elementCount(tensor.shape), let bytes = tensor.dtype.byteCount(elementCount: count)
            else { throw fail(.sizeOverflow(tensor: name)) }
            guard bytes == tensor.length else {
                throw fail(.lengthMismatch(tensor: name, expected: bytes, declared: tensor.length))
            }
            guard tensor.shard >= 0, tensor.shard < shards.count else {
                throw fail(.shardOutOfRange(tensor: name, shard: tensor.shard, shardCount: shards.count))
            }
            // Tensors come in storage order: a tensor of an earlier shard after a later one is misplaced.
            guard tensor.shard >= lastShard else { throw fail(.outOfStorageOrder(tensor: name)) }
            lastShard = tensor.shard
            let expected = shardUsed[tensor.shard] ? Self.alignUp(shardEnds[tensor.shard]) : 0
            guard tensor.offset == expected else {
                throw fail(.misplacedTensor(tensor: name, offset: tensor.offset, expected: expected))
            }
            guard tensor.offset >= 0, tensor.length >= 0 else {
                throw fail(.misplacedTensor(tensor: name, offset: tensor.offset, expected: expected))
            }
            let (end, overflow) = tensor.offset.addingReportingOverflow(tensor.length)
            guard !overflow, end <= shards[tensor.shard].length else {
                throw fail(.tensorPastShardEnd(tensor: name, end: overflow ? Int.max : end,
                                               shardLength: shards[tensor.shard].length))
            }
            shardEnds[tensor.shard] = end
            shardUsed[tensor.shard] = true
            let (sum, sumOverflow) = parameters.addingReportingOverflow(count)
            guard !sumOverflow else { throw fail(.sizeOverflow(tensor: name)) }
            parameters = sum
        }
        for (i, shard) in shards.enumerated() {
            guard shardUsed[i] else { throw fail(.emptyShard(shard.path)) }
            guard shardEnds[i] == shard.length else {
                throw fail(.shardLengthMismatch(shard: shard.path, declared: shard.length, tensorsEnd: shardEnds[i]))
            }
        }
        if let sourceOrder {
            guard formatVersion >= Self.sourceOrderVersion else {
                throw fail(.invalidMember("manifest.sourceOrder", expected: "formatVersion \(Self.sourceOrderVersion) or later"))
            }
            guard sourceOrder.count == tensors.count else {
                throw fail(.invalidMember("manifest.sourceOrder", expected: "\(tensors.count) indices, one per tensor"))
            }
            var seen = [Bool](repeating: false, count: tensors.count)
            for (k, i) in sourceOrder.enumerated() {
                guard i >= 0, i < tensors.count, !seen[i] else {
                    throw fail(.invalidMember("manifest.sourceOrder[\(k)]",
                                              expected: "a permutation of the tensor indices 0..<\(tensors.count)"))
                }
                seen[i] = true
            }
        }
        guard architecture.parameterCount == parameters else {
            throw fail(.invalidMember("architecture.parameterCount", expected: "\(parameters), the tensors' element count"))
        }
    }

    /// The path of shard `index`: `shards/00000.bin`, `shards/00001.bin`, ...
    public static func shardPath(_ index: Int) -> String {
        let digits = String(index)
        return "shards/" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + ".bin"
    }

    /// Rounds `offset` up to the next multiple of ``alignment``.
    public static func alignUp(_ offset: Int) -> Int { (offset + alignment - 1) & ~(alignment - 1) }

    /// Checks that `path` is a safe relative path under `prefix` (`shards/` or `assets/`).
    static func validatePath(_ path: String, under prefix: String, file: String) throws(FormatError) {
        func fail(_ why: String) -> FormatError { FormatError(file: file, reason: .invalidPath(path, why: why)) }
        // Bytes, not Characters: a combining mark after "/.." would hide ".." from a
        // grapheme-based check while the file system still sees it.
        let bytes = Array(path.utf8)
        guard bytes.count <= maxNameByteCount else { throw fail("longer than \(maxNameByteCount) bytes") }
        guard bytes.starts(with: prefix.utf8) else { throw fail("must start with \(prefix)") }
        guard !bytes.contains(0), !bytes.contains(UInt8(ascii: "\\")) else { throw fail("contains NUL or a backslash") }
        guard bytes.last != UInt8(ascii: "/") else { throw fail("empty, \".\" or \"..\" component") }
        guard PathComponents.areSafe(bytes), bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).count >= 2
        else { throw fail("empty, \".\" or \"..\" component") }
    }
}
