/// Why a checkpoint (its manifest, a shard, an asset) was rejected, and where.
///
/// `file` names the file (manifest, shard or archive) and `offset` the byte in it where the
/// check failed, when one applies; the reason names the tensor.
public struct FormatError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// A system call failed.
        case io(IOError)
        /// The file system that would hold the checkpoint has less free space than it needs
        /// (checked before writing; a disk that fills anyway fails with `io` and `ENOSPC`).
        case insufficientSpace(needed: Int, available: Int)
        /// The manifest is not valid JSON.
        case json(JSONError)
        /// The manifest is larger than ``Manifest/maxByteCount``.
        case manifestTooLarge(size: Int, limit: Int)
        /// `"format"` is not `zoo.checkpoint`.
        case notACheckpoint(format: String)
        /// The version text is not `MAJOR.MINOR`.
        case invalidVersion(String)
        /// The checkpoint needs a newer reader.
        case unsupportedVersion(found: FormatVersion, supported: FormatVersion)
        /// A required member is missing, e.g. `tensors[3].dtype`.
        case missingMember(String)
        /// A member has the wrong JSON type or an invalid value.
        case invalidMember(String, expected: String)
        /// An integer is outside +-(2^53-1) or the type's range.
        case integerOutOfRange(String)
        case unknownDType(tensor: String, dtype: String)
        case invalidTensorName(String)
        case duplicateTensor(String)
        case invalidShape(tensor: String, shape: [Int])
        /// Element count times dtype width overflows.
        case sizeOverflow(tensor: String)
        /// A block-quantised tensor whose last dimension is not a multiple of the block size, or
        /// a sub-byte tensor (F4, F6) whose bits do not fill a whole number of bytes.
        case blockMisfit(tensor: String, dtype: DType, shape: [Int])
        /// A tensor of a dtype that a later format version defines than the manifest declares.
        case dtypeNeedsNewerVersion(tensor: String, dtype: DType, declared: FormatVersion)
        case lengthMismatch(tensor: String, expected: Int, declared: Int)
        case shardOutOfRange(tensor: String, shard: Int, shardCount: Int)
        /// A tensor of an earlier shard listed after one of a later shard.
        case outOfStorageOrder(tensor: String)
        /// The tensor does not start where the layout rule puts it (overlap, gap or misalignment).
        case misplacedTensor(tensor: String, offset: Int, expected: Int)
        case tensorPastShardEnd(tensor: String, end: Int, shardLength: Int)
        case shardLengthMismatch(shard: String, declared: Int, tensorsEnd: Int)
        case emptyShard(String)
        case invalidPath(String, why: String)
        case duplicatePath(String)
        case unsupportedByteOrder(String)
        /// A file is missing or shorter/longer than the manifest says.
        case fileSizeMismatch(path: String, declared: Int, actual: Int)
        case missingFile(String)
        /// A symbolic link inside a checkpoint folder (`shards`, `assets/x`, `manifest.json`...).
        case symbolicLink(String)
        case noSuchTensor(String)
        case dtypeMismatch(tensor: String, dtype: DType, requested: String)
    }

    /// The file the problem is in (a manifest, shard, asset or archive path).
    public var file: String
    /// The byte offset in `file` where the check failed, when one applies.
    public var offset: Int?
    public var reason: Reason

    public init(file: String, offset: Int? = nil, reason: Reason) {
        self.file = file
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        if case let .io(error) = reason { return error.description }
        if let offset { return "\(file): byte \(offset): \(reason)" }
        return "\(file): \(reason)"
    }
}

extension FormatError.Reason: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .io(error): error.description
        case let .insufficientSpace(needed, available):
            "not enough free space: writing the checkpoint needs \(needed) bytes, the file system has \(available) free"
        case let .json(error): "invalid JSON: \(error)"
        case let .manifestTooLarge(size, limit): "manifest is \(size) bytes, over the \(limit)-byte limit"
        case let .notACheckpoint(format): "\"format\" is \"\(format)\", not \"\(Manifest.formatName)\""
        case let .invalidVersion(text): "format version \"\(text)\" is not MAJOR.MINOR"
        case let .unsupportedVersion(found, supported) where found.major > supported.major:
            "checkpoint format \(found) is newer than the \(supported.major).x this zoo reads; upgrade zoo"
        case let .unsupportedVersion(found, supported):
            "checkpoint format \(found) is older than the \(supported.major).x this zoo reads"
        case let .missingMember(path): "missing member \(path)"
        case let .invalidMember(path, expected): "\(path) must be \(expected)"
        case let .integerOutOfRange(path): "\(path) is out of range"
        case let .unknownDType(tensor, dtype): "tensor '\(tensor)': unknown dtype \"\(dtype)\""
        case let .invalidTensorName(name): "invalid tensor name \"\(name)\" (empty or over 1024 bytes)"
        case let .duplicateTensor(name): "tensor '\(name)' appears twice"
        case let .invalidShape(tensor, shape): "tensor '\(tensor)': invalid shape \(shape)"
        case let .sizeOverflow(tensor): "tensor '\(tensor)': element count times dtype width overflows"
        case let .blockMisfit(tensor, dtype, shape) where dtype.isSubByte:
            "tensor '\(tensor)': \(dtype.rawValue) packs \(dtype.bitWidth)-bit elements, and shape \(shape) holds "
                + "\(Shape.elementCount(shape) ?? 0) of them, not a whole number of bytes"
        case let .blockMisfit(tensor, dtype, shape):
            "tensor '\(tensor)': \(dtype.rawValue) needs a last dimension that is a multiple of \(dtype.blockSize), shape is \(shape)"
        case let .dtypeNeedsNewerVersion(tensor, dtype, declared):
            "tensor '\(tensor)': dtype \(dtype.rawValue) needs formatVersion \(dtype.minimumFormatVersion) or later, "
                + "the manifest declares \(declared)"
        case let .lengthMismatch(tensor, expected, declared):
            "tensor '\(tensor)': length \(declared) does not match dtype x shape = \(expected) bytes"
        case let .shardOutOfRange(tensor, shard, count):
            "tensor '\(tensor)': shard \(shard) does not exist (\(count) shards)"
        case let .outOfStorageOrder(tensor): "tensor '\(tensor)' is listed after a tensor of a later shard"
        case let .misplacedTensor(tensor, offset, expected):
            "tensor '\(tensor)' starts at shard byte \(offset), expected \(expected) (tensors must follow each other, 64-byte aligned, without overlap)"
        case let .tensorPastShardEnd(tensor, end, length):
            "tensor '\(tensor)' ends at shard byte \(end), past the shard's \(length) bytes"
        case let .shardLengthMismatch(shard, declared, end):
            "shard \(shard) declares \(declared) bytes but its tensors end at byte \(end)"
        case let .emptyShard(path): "shard \(path) holds no tensor"
        case let .invalidPath(path, why): "invalid path \"\(path)\": \(why)"
        case let .duplicatePath(path): "path \(path) appears twice"
        case let .unsupportedByteOrder(order): "byte order \"\(order)\" is not supported (only \"little\")"
        case let .fileSizeMismatch(path, declared, actual):
            "\(path) is \(actual) bytes, the manifest declares \(declared)"
        case let .missingFile(path): "\(path) is missing"
        case let .symbolicLink(path):
            "\(path) is a symbolic link: a checkpoint folder holds no links (copy the files in instead)"
        case let .noSuchTensor(name): "no tensor named '\(name)'"
        case let .dtypeMismatch(tensor, dtype, requested): "tensor '\(tensor)' is \(dtype.rawValue), not \(requested)"
        }
    }
}
