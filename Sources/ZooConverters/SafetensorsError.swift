import ZooFormat

/// Why a safetensors file, a Hugging Face model folder or a safetensors export was rejected, and where.
///
/// `file` names the file (a `.safetensors` file, an index, a folder) and `offset` the absolute
/// byte in it where the check failed, when one applies: the header length field (0), the
/// tensor's key in the JSON header, or the position in the data section. The ``Reason`` names
/// the tensor; tests match it exactly.
///
/// ```swift
/// do { _ = try SafetensorsFile(path: "model.safetensors") }
/// catch { print(error) }   // "model.safetensors: byte 8: tensor 'w': dtype \"Q4_K\" is not supported ..."
/// ```
public struct SafetensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        // MARK: The file

        /// The file is shorter than the 8-byte header length.
        case truncatedHeader(fileSize: Int)
        /// The header length is over ``Safetensors/maxHeaderBytes``.
        case headerTooLarge(declared: UInt64)
        /// The header length runs past the end of the file.
        case headerPastEndOfFile(declared: UInt64, fileSize: Int)
        /// The header is not valid JSON (strict: UTF-8, no duplicate keys, bounded depth). The
        /// wrapped error's offset is shifted to count from the start of the file.
        case invalidJSON(JSONError)
        /// The header is valid JSON but not an object.
        case headerNotObject
        /// `__metadata__` is not an object (`key` nil) or its member `key` is not a string.
        case metadataNotStringMap(key: String?)
        /// A tensor entry is not a JSON object.
        case tensorNotObject(tensor: String)
        /// A tensor entry lacks `dtype`, `shape` or `data_offsets`.
        case missingField(tensor: String, field: String)
        /// A tensor entry has a member other than `dtype`, `shape` and `data_offsets`.
        case unexpectedField(tensor: String, field: String)
        /// A tensor's `dtype` is not a string.
        case invalidDTypeValue(tensor: String)
        /// A dtype zoo does not know (e.g. `Q8_0`, which safetensors does not define, or a misspelling).
        case unknownDType(tensor: String, dtype: String)
        /// A sub-byte dtype (`F4`, `F6_*`) whose elements do not fill a whole number of bytes.
        case misalignedSubByte(tensor: String, dtype: DType, elementCount: Int)
        /// `shape` is not an array of at most ``ZooFormat/Shape/maxRank`` non-negative integers.
        case invalidShape(tensor: String)
        /// `data_offsets` is not `[begin, end]` with `0 <= begin <= end`.
        case invalidDataOffsets(tensor: String)
        /// Element count times dtype width overflows.
        case sizeOverflow(tensor: String)
        /// `end - begin` differs from element count x dtype width.
        case lengthMismatch(tensor: String, expected: Int, actual: Int)
        /// The tensor starts inside the previous one.
        case overlap(tensor: String, previous: String)
        /// Bytes no tensor covers before `tensor` (`previous` nil: before the first tensor).
        case gap(tensor: String, previous: String?, count: Int)
        /// The tensor ends past the end of the file.
        case tensorPastEndOfFile(tensor: String, end: Int, dataSize: Int)
        /// Bytes after the last tensor.
        case trailingBytes(count: Int)

        // MARK: Hugging Face folders

        /// The folder has no `model.safetensors.index.json` and no `.safetensors` file.
        case noModelFile
        /// The folder has several candidate model files and no rule picks one.
        case ambiguousModelFiles([String])
        /// The index is not `{"weight_map": {tensor: file, ...}, "metadata": {...}}`.
        case invalidIndex(why: String)
        /// A shard name in the index leaves the folder (absolute, `..`, backslash, ...).
        case shardPathOutsideFolder(String)
        /// A file the import needs is a symbolic link, a folder or a device.
        case notRegularFile(String)
        /// A file the import needs is missing.
        case missingFile(String)
        /// A shard holds a tensor the index does not map to that shard.
        case tensorNotInIndex(tensor: String, shard: String)
        /// The index maps a tensor to a shard that does not hold it.
        case indexedTensorMissing(tensor: String, shard: String)
        /// Two shards hold the same tensor.
        case duplicateTensor(tensor: String, first: String, second: String)
        /// A shard of the series the index names (`model-00002-of-00002.safetensors`) is in the
        /// folder, but the index maps no tensor to it: its tensors would be silently left out.
        case unindexedShard(String)
        /// Two shards' `__metadata__` give different values for `key`.
        case metadataConflict(key: String, shard: String)
        /// `config.json` is not a JSON object.
        case invalidConfig(why: String)

        // MARK: Export

        /// The checkpoint's `safetensors.metadata` is not an object of strings.
        case invalidStoredMetadata
        /// A tensor is called `__metadata__`, the header key reserved for the file's metadata.
        case reservedTensorName(String)
        /// An asset would overwrite a file the export writes (a shard or the index).
        case assetNameClash(String)
        /// The maximum shard size is not positive.
        case invalidMaxShardSize(Int)

        // MARK: Wrapped

        /// A system call failed.
        case io(IOError)
        /// The zoo checkpoint being written or read rejected something.
        case checkpoint(FormatError)
    }

    /// The file (or folder) the problem is in.
    public var file: String
    /// The absolute byte offset in `file` where the check failed, when one applies.
    public var offset: Int?
    /// What was wrong, naming the tensor or file involved.
    public var reason: Reason

    public init(file: String, offset: Int? = nil, reason: Reason) {
        self.file = file
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .io(error): return error.description
        case let .checkpoint(error): return error.description
        default: break
        }
        if let offset { return "\(file): byte \(offset): \(reason)" }
        return "\(file): \(reason)"
    }
}

extension SafetensorsError.Reason: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .truncatedHeader(size):
            "file is \(size) bytes, shorter than the 8-byte header length"
        case let .headerTooLarge(declared):
            "header declares \(declared) bytes, over the \(Safetensors.maxHeaderBytes)-byte limit"
        case let .headerPastEndOfFile(declared, size):
            "header declares \(declared) bytes, past the end of the \(size)-byte file"
        case let .invalidJSON(error): "invalid JSON header: \(error)"
        case .headerNotObject: "the JSON header is not an object"
        case let .metadataNotStringMap(key?): "__metadata__ member \"\(key)\" is not a string"
        case .metadataNotStringMap(nil): "__metadata__ is not an object of strings"
        case let .tensorNotObject(tensor): "tensor '\(tensor)': entry is not an object"
        case let .missingField(tensor, field): "tensor '\(tensor)': missing \"\(field)\""
        case let .unexpectedField(tensor, field):
            "tensor '\(tensor)': unexpected member \"\(field)\" (only dtype, shape, data_offsets)"
        case let .invalidDTypeValue(tensor): "tensor '\(tensor)': dtype is not a string"
        case let .unknownDType(tensor, dtype):
            "tensor '\(tensor)': dtype \"\(dtype)\" is not supported (zoo reads "
                + DType.scalarCases.map(\.rawValue).joined(separator: " ") + ")"
        case let .misalignedSubByte(tensor, dtype, count):
            "tensor '\(tensor)': \(count) elements of \(dtype.rawValue) (\(dtype.bitWidth) bits each) are not a whole "
                + "number of bytes"
        case let .invalidShape(tensor):
            "tensor '\(tensor)': shape must be an array of at most \(Shape.maxRank) non-negative integers"
        case let .invalidDataOffsets(tensor):
            "tensor '\(tensor)': data_offsets must be [begin, end] with 0 <= begin <= end"
        case let .sizeOverflow(tensor): "tensor '\(tensor)': element count times dtype width overflows"
        case let .lengthMismatch(tensor, expected, actual):
            "tensor '\(tensor)': data_offsets span \(actual) bytes, dtype x shape needs \(expected)"
        case let .overlap(tensor, previous): "tensor '\(tensor)' overlaps tensor '\(previous)'"
        case let .gap(tensor, previous?, count):
            "\(count) bytes between tensor '\(previous)' and tensor '\(tensor)' belong to no tensor"
        case let .gap(tensor, nil, count): "\(count) bytes before the first tensor '\(tensor)' belong to no tensor"
        case let .tensorPastEndOfFile(tensor, end, size):
            "tensor '\(tensor)' ends at data byte \(end), past the \(size)-byte data section"
        case let .trailingBytes(count): "\(count) bytes after the last tensor"
        case .noModelFile: "no model.safetensors.index.json and no .safetensors file"
        case let .ambiguousModelFiles(names): "several model files, cannot choose: " + names.joined(separator: ", ")
        case let .invalidIndex(why): "invalid safetensors index: \(why)"
        case let .shardPathOutsideFolder(path): "shard path \"\(path)\" leaves the model folder"
        case let .notRegularFile(path): ShardedFolderText.notRegularFile(path)
        case let .missingFile(path): ShardedFolderText.missingFile(path)
        case let .tensorNotInIndex(tensor, shard): ShardedFolderText.tensorNotInIndex(tensor: tensor, shard: shard)
        case let .indexedTensorMissing(tensor, shard): ShardedFolderText.indexedTensorMissing(tensor: tensor, shard: shard)
        case let .duplicateTensor(tensor, first, second): ShardedFolderText.tensorInTwoShards(tensor: tensor, first: first, second: second)
        case let .unindexedShard(shard): ShardedFolderText.unindexedShard(shard)
        case let .metadataConflict(key, shard): "\(shard): __metadata__ \"\(key)\" differs from an earlier shard's"
        case let .invalidConfig(why): "invalid config.json: \(why)"
        case .invalidStoredMetadata: "manifest metadata \"safetensors.metadata\" is not an object of strings"
        case let .reservedTensorName(name): "tensor '\(name)' has the name safetensors reserves for metadata"
        case let .assetNameClash(path): "asset \(path) has the name of a file the export writes"
        case let .invalidMaxShardSize(size): "maximum shard size \(size) must be positive"
        case let .io(error): error.description
        case let .checkpoint(error): error.description
        }
    }
}
