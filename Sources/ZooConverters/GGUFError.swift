import ZooFormat

/// Why a GGUF file was rejected, or a checkpoint could not be written as one, and where.
///
/// `file` names the file and `offset` the absolute byte in it where the check failed, when one
/// applies (the start of the field, the key or the tensor info). The ``Reason`` names the key or
/// the tensor; tests match it exactly.
///
/// ```swift
/// do { _ = try GGUFFile(path: "model.gguf") }
/// catch { print(error) }   // "model.gguf: byte 812: tensor 'blk.0.attn_q.weight' has GGML type Q4_K (12), ..."
/// ```
public struct GGUFError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        // MARK: Header

        /// The file does not start with `GGUF`.
        case notGGUF
        /// The version field looks byte-swapped: a big-endian file.
        case bigEndian
        /// A version zoo does not read (1, or newer than 3).
        case unsupportedVersion(UInt32)
        /// The file ends inside `what` ("the header", "key 3", "the value of 'general.name'",
        /// "tensor info 2"), which needed `needed` more bytes.
        case truncated(what: String, needed: Int, available: Int)
        /// More tensors declared than the file has room for (each info takes at least 25 bytes).
        case tooManyTensors(declared: UInt64, fileSize: Int)
        /// More key-value pairs declared than the file has room for (each takes at least 14 bytes).
        case tooManyKeyValues(declared: UInt64, fileSize: Int)

        // MARK: Metadata

        /// Key number `index` (from 0) is empty, not UTF-8, or longer than 65535 bytes.
        case invalidKey(index: Int, why: String)
        /// The same key twice.
        case duplicateKey(String)
        /// A value type (or array element type) that is not one of GGUF's 13.
        case unknownValueType(key: String, type: UInt32)
        /// A bool stored as something other than 0 or 1.
        case invalidBool(key: String, byte: UInt8)
        /// A string whose length runs past the end of the file.
        case stringPastEnd(key: String, length: UInt64, remaining: Int)
        /// An array with more elements than the rest of the file can hold.
        case arrayTooLong(key: String, count: UInt64, remaining: Int)
        /// Arrays nested deeper than ``GGUF/maxArrayNesting``.
        case arrayNestingTooDeep(key: String)
        /// `general.alignment` is not a `u32` (`type` names its type).
        case alignmentType(String)
        /// `general.alignment` is not a power of two.
        case invalidAlignment(UInt32)

        // MARK: Tensor infos

        /// Tensor info number `index` has an empty or non-UTF-8 name.
        case invalidTensorName(index: Int, why: String)
        /// Two tensor infos with the same name.
        case duplicateTensor(String)
        /// More than ``GGUF/maxDimensions`` dimensions.
        case tooManyDimensions(tensor: String, count: UInt32)
        /// A GGML type zoo does not keep.
        case unsupportedTensorType(tensor: String, type: GGMLType)
        /// A block type whose rows (`ne[0]`, zoo's last dimension) are not whole blocks.
        case blockMisfit(tensor: String, type: GGMLType, rowLength: Int)
        /// Element count or byte size overflows (or passes 2^53 - 1).
        case sizeOverflow(tensor: String)
        /// An offset that is not a multiple of the alignment.
        case misalignedOffset(tensor: String, offset: UInt64, alignment: Int)
        /// A tensor's bytes run past the end of the file.
        case tensorPastEnd(tensor: String, end: UInt64, dataSize: Int)
        /// A tensor's bytes overlap another's.
        case overlap(tensor: String, previous: String)

        // MARK: Export

        /// A dtype GGUF has no type for (`U8`, `BOOL`, `F8_*`...).
        case unsupportedDType(tensor: String, dtype: DType)
        /// More dimensions than GGUF allows.
        case rankTooHigh(tensor: String, rank: Int)
        /// A tensor name llama.cpp cannot load (over ``GGUF/maxWrittenTensorNameBytes`` bytes).
        case tensorNameTooLong(tensor: String, length: Int)
        /// One part of a split model (`split.count` > 1, written by `gguf-split`): `number`
        /// (from 1) of `count`. The parts must be merged first (`llama-gguf-split --merge`).
        case splitPart(number: Int?, count: Int)
        /// The file declares no tensor, yet `dataBytes` bytes follow its metadata (a vocab-only
        /// file ends there): importing it as an empty model would drop them.
        case noTensors(dataBytes: Int)
        /// The checkpoint's stored `gguf.metadata` cannot be turned back into key-value pairs.
        case invalidStoredMetadata(why: String)
        /// The requested alignment is not a power of two (or is 0).
        case invalidExportAlignment(Int)

        // MARK: Wrapped

        /// A system call failed.
        case io(IOError)
        /// The zoo checkpoint being written or read rejected something.
        case checkpoint(FormatError)
    }

    /// The file the problem is in.
    public var file: String
    /// The absolute byte offset in `file` where the check failed, when one applies.
    public var offset: Int?
    /// What was wrong, naming the key or tensor involved.
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

extension GGUFError.Reason: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notGGUF: "not a GGUF file (it does not start with \"GGUF\")"
        case .bigEndian: "big-endian GGUF files are not supported (zoo reads little-endian GGUF)"
        case let .unsupportedVersion(version):
            version == 1
                ? "GGUF version 1 is not supported (zoo reads versions 2 and 3; re-convert the model with a current llama.cpp)"
                : "GGUF version \(version) is not supported (zoo reads versions 2 and 3)"
        case let .truncated(what, needed, available):
            "file ends inside \(what) (needs \(needed) more bytes, \(available) left)"
        case let .tooManyTensors(declared, size):
            "header declares \(declared) tensors; a \(size)-byte file has room for at most \(max(0, size - GGUF.headerBytes) / GGUF.minTensorInfoBytes)"
        case let .tooManyKeyValues(declared, size):
            "header declares \(declared) key-value pairs; a \(size)-byte file has room for at most \(max(0, size - GGUF.headerBytes) / GGUF.minKeyValueBytes)"
        case let .invalidKey(index, why): "key \(index): \(why)"
        case let .duplicateKey(key): "key '\(key)' appears twice"
        case let .unknownValueType(key, type): "key '\(key)' has unknown value type \(type) (GGUF defines 0 to 12)"
        case let .invalidBool(key, byte): "key '\(key)': bool stored as \(byte) (must be 0 or 1)"
        case let .stringPastEnd(key, length, remaining):
            "key '\(key)': string of \(length) bytes runs past the end of the file (\(remaining) bytes left)"
        case let .arrayTooLong(key, count, remaining):
            "key '\(key)': array of \(count) elements cannot fit in the \(remaining) bytes left"
        case let .noTensors(count):
            "the file declares no tensors, but \(count) bytes of tensor data follow its metadata (a damaged tensor count?)"
        case let .splitPart(number, count):
            "part \(number.map(String.init) ?? "?") of a model split in \(count) (split.count = \(count)) holds only some "
                + "of its tensors: merge the parts first (llama-gguf-split --merge FIRST-PART OUT.gguf) and import the result"
        case let .arrayNestingTooDeep(key): "key '\(key)': arrays nested more than \(GGUF.maxArrayNesting) deep"
        case let .alignmentType(type): "general.alignment must be a u32, not \(type)"
        case let .invalidAlignment(value): "general.alignment \(value) is not a power of two"
        case let .invalidTensorName(index, why): "tensor info \(index): \(why)"
        case let .duplicateTensor(name): "tensor '\(name)' appears twice"
        case let .tooManyDimensions(tensor, count):
            "tensor '\(tensor)' has \(count) dimensions (GGUF allows at most \(GGUF.maxDimensions))"
        case let .unsupportedTensorType(tensor, type):
            "tensor '\(tensor)' has GGML type \(type), zoo supports "
                + GGMLType.supported.map(\.name).joined(separator: ", ")
        case let .blockMisfit(tensor, type, row):
            "tensor '\(tensor)' has GGML type \(type.name) but its rows (ne[0] = \(row)) are not a multiple of \(type.dtype?.blockSize ?? 1)"
        case let .sizeOverflow(tensor): "tensor '\(tensor)': element count or byte size overflows"
        case let .misalignedOffset(tensor, offset, alignment):
            "tensor '\(tensor)': offset \(offset) is not a multiple of the alignment \(alignment)"
        case let .tensorPastEnd(tensor, end, size):
            "tensor '\(tensor)' ends at data byte \(end), past the \(size)-byte data section"
        case let .overlap(tensor, previous): "tensor '\(tensor)' overlaps tensor '\(previous)'"
        case let .unsupportedDType(tensor, dtype):
            "tensor '\(tensor)' is \(dtype.rawValue), which GGUF cannot store (GGUF stores "
                + GGMLType.supported.compactMap(\.dtype).map(\.rawValue).joined(separator: ", ") + ")"
        case let .rankTooHigh(tensor, rank):
            "tensor '\(tensor)' has \(rank) dimensions (GGUF allows at most \(GGUF.maxDimensions))"
        case let .tensorNameTooLong(tensor, length):
            "tensor name '\(tensor)' is \(length) bytes; llama.cpp loads names of at most \(GGUF.maxWrittenTensorNameBytes)"
        case let .invalidStoredMetadata(why): "manifest metadata \"gguf.metadata\" is invalid: \(why)"
        case let .invalidExportAlignment(value): "alignment \(value) is not a power of two"
        case let .io(error): error.description
        case let .checkpoint(error): error.description
        }
    }
}
