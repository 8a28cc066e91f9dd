import ZooFormat

/// One tensor of a ``GGUFFile``: its info and a zero-copy view of its bytes in the file.
public struct GGUFTensor: @unchecked Sendable {
    /// The name as stored (llama.cpp names such as `blk.0.attn_q.weight`; never renamed).
    public let name: String
    /// The GGML type as stored.
    public let type: GGMLType
    /// The zoo dtype holding the same bytes.
    public let dtype: DType
    /// GGUF's `ne[]`: the fastest-varying dimension first.
    public let dimensions: [Int]
    /// The tensor info's offset, relative to the data section.
    public let offset: Int
    /// The tensor's raw bytes, in place in the file.
    public let bytes: UnsafeRawBufferPointer
    fileprivate let owner: SourceBytes

    /// zoo's (and PyTorch's) row-major shape: ``dimensions`` reversed, outermost first.
    public var shape: [Int] { dimensions.reversed() }

    /// The number of elements (1 for a tensor without dimensions).
    public var elementCount: Int { Shape.elementCount(dimensions) ?? 0 }
}

/// A validated GGUF file (v2 or v3, little-endian), memory-mapped, with its metadata decoded and
/// its tensors as zero-copy views.
///
/// Everything is checked before anything is trusted: the magic and version; the tensor and
/// key-value counts against the file size (before anything is allocated); every key (non-empty
/// UTF-8, unique), value type, string length and array count against the bytes left; bools;
/// `general.alignment` (a `u32` power of two, default 32); every tensor info (unique UTF-8 name, at
/// most 4 dimensions, a GGML type zoo keeps, whole `Q8_0` blocks per row, overflow-checked sizes,
/// an aligned offset); and the layout (every tensor inside the file, none overlapping). Opening
/// costs one pass over the header; tensor bytes are not touched.
///
/// ```swift
/// let file = try GGUFFile(path: "tinyllama-q8_0.gguf")
/// print(file.value(forKey: "general.architecture")?.stringValue ?? "?")   // "llama"
/// for tensor in file.tensors { print(tensor.name, tensor.type, tensor.shape) }
/// ```
public final class GGUFFile: @unchecked Sendable {
    /// The path (or name) the file was opened as, used in errors.
    public let path: String
    /// The format version (2 or 3).
    public let version: UInt32
    /// The metadata, in file order.
    public let metadata: [GGUFKeyValue]
    /// The data alignment: `general.alignment`, or 32.
    public let alignment: Int
    /// The tensors, in tensor-info order.
    public let tensors: [GGUFTensor]
    /// The absolute offset of the data section.
    public let dataStart: Int
    /// The whole file's size.
    public let fileSize: Int
    private let storage: SourceBytes
    private let keyIndex: [String: Int]
    private let tensorIndex: [String: Int]

    /// Maps and validates the file at `path`.
    public convenience init(path: String) throws(GGUFError) {
        let mapping: MappedFile
        do { mapping = try MappedFile(path: path) } catch { throw GGUFError(file: path, reason: .io(error)) }
        try self.init(storage: SourceBytes(mapping: mapping), path: path)
    }

    /// Validates a file held in memory (copied once); `name` names it in errors.
    public convenience init(bytes: [UInt8], name: String) throws(GGUFError) {
        try self.init(storage: SourceBytes(copying: bytes), path: name)
    }

    private init(storage: SourceBytes, path: String) throws(GGUFError) {
        let layout = try GGUFParser(buffer: storage.bytes, file: path).parse()
        self.path = path
        self.storage = storage
        self.version = layout.version
        self.metadata = layout.metadata
        self.alignment = layout.alignment
        self.dataStart = layout.dataStart
        self.fileSize = storage.bytes.count
        self.tensors = layout.tensors.map { info in
            let start = layout.dataStart + info.offset
            return GGUFTensor(
                name: info.name, type: info.type, dtype: info.dtype, dimensions: info.dimensions, offset: info.offset,
                bytes: UnsafeRawBufferPointer(rebasing: storage.bytes[start..<(start + info.length)]), owner: storage)
        }
        var keys: [String: Int] = [:]
        for (i, pair) in metadata.enumerated() { keys[pair.key] = i }
        keyIndex = keys
        var names: [String: Int] = [:]
        for (i, tensor) in tensors.enumerated() { names[tensor.name] = i }
        tensorIndex = names
    }

    /// The value of metadata key `key`, if the file has it.
    public func value(forKey key: String) -> GGUFValue? {
        keyIndex[key].map { metadata[$0].value }
    }

    /// The tensor called `name`, if the file has it.
    public func tensor(named name: String) -> GGUFTensor? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Hints the kernel that `tensor`'s bytes will be read soon (readahead on a cold cache).
    func willNeed(_ tensor: GGUFTensor) {
        guard let mapping = storage.mapping, let base = storage.bytes.baseAddress, let start = tensor.bytes.baseAddress
        else { return }
        let offset = start - base
        mapping.willNeed(offset..<(offset + tensor.bytes.count))
    }
}

/// The GGUF header parser and layout validator.
struct GGUFParser {
    struct TensorInfo {
        var name: String
        var type: GGMLType
        var dtype: DType
        var dimensions: [Int]
        /// The offset as stored, relative to the data section (checked against it after all
        /// infos are read).
        var rawOffset: UInt64
        var length: Int
        /// Where its info starts in the file, for errors.
        var infoOffset: Int

        /// The offset as an Int: valid once the tensor is known to lie inside the file.
        var offset: Int { Int(truncatingIfNeeded: rawOffset) }
    }

    struct Layout {
        var version: UInt32
        var metadata: [GGUFKeyValue]
        var alignment: Int
        var tensors: [TensorInfo]
        var dataStart: Int
    }

    let buffer: UnsafeRawBufferPointer
    let file: String

    private func fail(_ reason: GGUFError.Reason, at offset: Int?) -> GGUFError {
        GGUFError(file: file, offset: offset, reason: reason)
    }

    private func truncated(_ what: String, _ error: ByteReader.OutOfBounds) -> GGUFError {
        fail(.truncated(what: what, needed: error.needed, available: error.available), at: error.offset)
    }

    func parse() throws(GGUFError) -> Layout {
        let fileSize = buffer.count
        var reader = ByteReader(buffer)
        func read<T: FixedWidthInteger>(_: T.Type, _ what: String) throws(GGUFError) -> T {
            do { return try reader.read(T.self) } catch { throw truncated(what, error) }
        }

        // Header.
        if fileSize >= 4 {
            guard Array(buffer.prefix(4)) == GGUF.magic else { throw fail(.notGGUF, at: 0) }
        }
        _ = try read(UInt32.self, "the header")
        let version = try read(UInt32.self, "the header")
        if version != 0, version & 0xFFFF == 0 { throw fail(.bigEndian, at: 4) }
        guard GGUF.readableVersions.contains(version) else { throw fail(.unsupportedVersion(version), at: 4) }
        let tensorCount = try read(UInt64.self, "the header")
        let keyValueCount = try read(UInt64.self, "the header")
        let room = max(0, fileSize - GGUF.headerBytes)
        guard keyValueCount <= UInt64(room / GGUF.minKeyValueBytes) else {
            throw fail(.tooManyKeyValues(declared: keyValueCount, fileSize: fileSize), at: 16)
        }
        guard tensorCount <= UInt64(room / GGUF.minTensorInfoBytes) else {
            throw fail(.tooManyTensors(declared: tensorCount, fileSize: fileSize), at: 8)
        }

        // Key-value pairs.
        var metadata: [GGUFKeyValue] = []
        metadata.reserveCapacity(Int(keyValueCount))
        var seenKeys = Set<String>()
        for index in 0..<Int(keyValueCount) {
            let keyOffset = reader.offset
            let key = try readKey(&reader, index: index)
            guard seenKeys.insert(key).inserted else { throw fail(.duplicateKey(key), at: keyOffset) }
            let typeOffset = reader.offset
            let rawType = try read(UInt32.self, "the type of key '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw fail(.unknownValueType(key: key, type: rawType), at: typeOffset)
            }
            let value: GGUFValue
            do { value = try GGUFValue.decode(type, from: &reader) } catch { throw mapDecodeFailure(error, key: key) }
            metadata.append(GGUFKeyValue(key: key, value: value))
        }

        // Alignment.
        var alignment = GGUF.defaultAlignment
        if let pair = metadata.first(where: { $0.key == GGUF.Key.alignment }) {
            guard case let .u32(value) = pair.value else { throw fail(.alignmentType(pair.value.type.name), at: nil) }
            guard value != 0, value & (value - 1) == 0 else { throw fail(.invalidAlignment(value), at: nil) }
            alignment = Int(value)
        }

        // Tensor infos.
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(Int(tensorCount))
        var seenNames = Set<String>()
        for index in 0..<Int(tensorCount) {
            tensors.append(try readTensorInfo(&reader, index: index, alignment: alignment, seen: &seenNames))
        }

        // Data section and layout.
        let dataStart = GGUF.alignUp(reader.offset, alignment) ?? Int.max
        // With tensors, the padding up to the data section must be there even if every tensor is
        // empty: else their views would start past the end of the file (found by fuzz/FuzzGGUF).
        if !tensors.isEmpty, dataStart > fileSize {
            throw fail(.truncated(what: "padding before the tensor data", needed: dataStart - reader.offset,
                                  available: fileSize - reader.offset), at: reader.offset)
        }
        let dataSize = max(0, fileSize - min(dataStart, fileSize))
        for tensor in tensors {
            let (end, overflow) = tensor.rawOffset.addingReportingOverflow(UInt64(tensor.length))
            guard !overflow, end <= UInt64(dataSize) else {
                throw fail(.tensorPastEnd(tensor: tensor.name, end: end, dataSize: dataSize), at: tensor.infoOffset)
            }
        }
        // In range of the data section, so every offset is now a valid Int.
        let byOffset = tensors.indices.filter { tensors[$0].length > 0 }.sorted {
            (tensors[$0].offset, $0) < (tensors[$1].offset, $1)
        }
        for (previous, current) in zip(byOffset, byOffset.dropFirst())
        where tensors[current].offset < tensors[previous].offset + tensors[previous].length {
            throw fail(.overlap(tensor: tensors[current].name, previous: tensors[previous].name),
                       at: dataStart + tensors[current].offset)
        }
        return Layout(version: version, metadata: metadata, alignment: alignment, tensors: tensors, dataStart: dataStart)
    }

    private func readKey(_ reader: inout ByteReader, index: Int) throws(GGUFError) -> String {
        let at = reader.offset
        let bytes: UnsafeRawBufferPointer
        do { bytes = try GGUFValue.decodeString(from: &reader) } catch {
            throw mapDecodeFailure(error, key: nil, what: "key \(index)")
        }
        guard !bytes.isEmpty else { throw fail(.invalidKey(index: index, why: "empty key"), at: at) }
        guard bytes.count <= GGUF.maxKeyBytes else {
            throw fail(.invalidKey(index: index, why: "key of \(bytes.count) bytes (at most \(GGUF.maxKeyBytes))"), at: at)
        }
        guard let key = String(validating: bytes, as: UTF8.self) else {
            throw fail(.invalidKey(index: index, why: "key is not UTF-8"), at: at)
        }
        return key
    }

    private func readTensorInfo(
        _ reader: inout ByteReader, index: Int, alignment: Int, seen: inout Set<String>
    ) throws(GGUFError) -> TensorInfo {
        let infoOffset = reader.offset
        let what = "tensor info \(index)"
        func read<T: FixedWidthInteger>(_: T.Type) throws(GGUFError) -> T {
            do { return try reader.read(T.self) } catch { throw truncated(what, error) }
        }
        let nameBytes: UnsafeRawBufferPointer
        do { nameBytes = try GGUFValue.decodeString(from: &reader) } catch {
            throw mapDecodeFailure(error, key: nil, what: what)
        }
        guard !nameBytes.isEmpty else { throw fail(.invalidTensorName(index: index, why: "empty name"), at: infoOffset) }
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw fail(.invalidTensorName(index: index, why: "name is not UTF-8"), at: infoOffset)
        }
        guard nameBytes.count <= Manifest.maxNameByteCount else {
            throw fail(.invalidTensorName(index: index, why: "name of \(nameBytes.count) bytes (zoo allows \(Manifest.maxNameByteCount))"),
                       at: infoOffset)
        }
        guard seen.insert(name).inserted else { throw fail(.duplicateTensor(name), at: infoOffset) }

        let dimensionCount = try read(UInt32.self)
        guard dimensionCount <= UInt32(GGUF.maxDimensions) else {
            throw fail(.tooManyDimensions(tensor: name, count: dimensionCount), at: infoOffset)
        }
        var dimensions: [Int] = []
        var overflow = false
        for _ in 0..<Int(dimensionCount) {
            let raw = try read(UInt64.self)
            if let dimension = Int(exactly: raw) { dimensions.append(dimension) } else { overflow = true }
        }
        let typeOffset = reader.offset
        let type = GGMLType(rawValue: try read(UInt32.self))
        let offset = try read(UInt64.self)

        guard let dtype = type.dtype else { throw fail(.unsupportedTensorType(tensor: name, type: type), at: typeOffset) }
        guard !overflow, let count = Shape.elementCount(dimensions) else { throw fail(.sizeOverflow(tensor: name), at: infoOffset) }
        if dtype.isQuantized {
            let row = dimensions.first ?? 1
            guard row % dtype.blockSize == 0 else { throw fail(.blockMisfit(tensor: name, type: type, rowLength: row), at: infoOffset) }
        }
        guard let length = dtype.byteCount(elementCount: count) else { throw fail(.sizeOverflow(tensor: name), at: infoOffset) }
        guard offset % UInt64(alignment) == 0 else {
            throw fail(.misalignedOffset(tensor: name, offset: offset, alignment: alignment), at: infoOffset)
        }
        return TensorInfo(name: name, type: type, dtype: dtype, dimensions: dimensions, rawOffset: offset, length: length,
                          infoOffset: infoOffset)
    }

    private func mapDecodeFailure(_ failure: GGUFValue.DecodeFailure, key: String?, what: String? = nil) -> GGUFError {
        let context = what ?? "the value of key '\(key ?? "")'"
        switch failure {
        case let .truncated(error): return truncated(context, error)
        case let .unknownType(type, at): return fail(.unknownValueType(key: key ?? context, type: type), at: at)
        case let .invalidBool(byte, at): return fail(.invalidBool(key: key ?? context, byte: byte), at: at)
        case let .stringPastEnd(length, at, remaining):
            if let key { return fail(.stringPastEnd(key: key, length: length, remaining: remaining), at: at) }
            return fail(.truncated(what: context, needed: Int(clamping: length), available: remaining), at: at)
        case let .arrayTooLong(count, at, remaining): return fail(.arrayTooLong(key: key ?? context, count: count, remaining: remaining), at: at)
        case .nestedTooDeep(let at): return fail(.arrayNestingTooDeep(key: key ?? context), at: at)
        }
    }
}
