import ZooFormat

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON header, then the tensor data.
///
/// The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the data section) and may hold `"__metadata__"`, an object of strings.
/// A valid file's tensors cover the data section exactly: sorted by offset, contiguous from 0,
/// each `end - begin` = element count x dtype width, nothing after the last one.
///
/// ## Topics
/// - ``SafetensorsFile``: validating reader with zero-copy tensor views
/// - ``SafetensorsImporter``: a file or a Hugging Face folder to a zoo checkpoint
/// - ``SafetensorsExporter``: a zoo checkpoint to a file or a Hugging Face folder
/// - ``SafetensorsError``
public enum Safetensors {
    /// The largest header accepted, the official reader's `MAX_HEADER_SIZE`: bounded before
    /// anything is allocated, so a hostile length never costs memory.
    public static let maxHeaderBytes = 100_000_000
    /// Size of the little-endian header length that opens every file.
    static let lengthFieldBytes = 8
    /// Whether the file at `path` starts like a safetensors file: 8 bytes of header length,
    /// then `{` (the header is a JSON object). A sniff, not a validation.
    public static func looksLikeSafetensors(fileAt path: String) -> Bool {
        let head = GGUF.leadingBytes(ofFileAt: path, count: 9)
        return head.count == 9 && head[8] == UInt8(ascii: "{")
    }

    /// The header key holding the file's string metadata.
    static let metadataKey = "__metadata__"
    /// The members of a tensor entry, in the order the official writer emits them.
    static let tensorFields = ["dtype", "shape", "data_offsets"]

    /// The order rank of `dtype` in the official writer's `Dtype` enum (safetensors 0.8.0),
    /// which lays tensors out by descending rank, then by name. Used to break ties between
    /// tensors at the same offsets (empty tensors) the way the writer did.
    static func writerRank(_ dtype: DType) -> Int {
        switch dtype {
        case .bool: 0
        case .f4: 1
        case .f6E2M3: 2
        case .f6E3M2: 3
        case .u8: 4
        case .i8: 5
        case .f8E5M2: 6
        case .f8E4M3: 7
        case .f8E8M0: 8
        case .f8E4M3FNUZ: 9
        case .f8E5M2FNUZ: 10
        case .i16: 11
        case .u16: 12
        case .f16: 13
        case .bf16: 14
        case .i32: 15
        case .u32: 16
        case .f32: 17
        case .c64: 18
        case .f64: 19
        case .i64: 20
        case .u64: 21
        case .q8_0: 22  // not a safetensors dtype: refused on read and on export
        }
    }
}

/// One tensor of a ``SafetensorsFile``: a zero-copy view of its bytes in the file.
///
/// The view keeps the file's mapping alive, so ``bytes`` stays valid as long as you hold it.
public struct SafetensorsTensor: @unchecked Sendable {
    /// The tensor's key in the header.
    public let name: String
    /// Its element type.
    public let dtype: DType
    /// Its dimensions, outermost first (empty for a 0-dim scalar).
    public let shape: [Int]
    /// The header's `data_offsets`: the byte range in the data section.
    public let dataOffsets: Range<Int>
    /// The tensor's raw little-endian bytes, in place in the file.
    public let bytes: UnsafeRawBufferPointer
    fileprivate let owner: SourceBytes

    /// The number of elements (1 for a 0-dim scalar).
    public var elementCount: Int { Shape.elementCount(shape) ?? 0 }
}

/// A validated safetensors file, memory-mapped, with its tensors as zero-copy views.
///
/// Everything is checked before anything is trusted, exactly as the format requires: the
/// header length (bounded, within the file), the JSON (strict, depth-bounded, no duplicate
/// keys), `__metadata__` (strings only), every tensor entry (exactly `dtype`, `shape`,
/// `data_offsets`; a dtype zoo knows; overflow-checked sizes) and the layout (sorted,
/// contiguous from 0, no overlap, no trailing bytes). Opening costs one header parse; tensor
/// bytes are not touched.
///
/// ```swift
/// let file = try SafetensorsFile(path: "model.safetensors")
/// for tensor in file.tensors { print(tensor.name, tensor.dtype, tensor.shape, tensor.bytes.count) }
/// print(file.metadata ?? [:])    // ["format": "pt"]
/// ```
public final class SafetensorsFile: @unchecked Sendable {
    /// The path (or name) the file was opened as, used in errors.
    public let path: String
    /// `__metadata__`, or nil when the header has none.
    public let metadata: [String: String]?
    /// The tensors in data-offset order (the order the official writer laid them out).
    public let tensors: [SafetensorsTensor]
    /// N, the JSON header's length in bytes (including its padding).
    public let headerByteCount: Int
    /// The whole file's size.
    public let fileSize: Int
    private let storage: SourceBytes
    private let index: [String: Int]

    /// Maps and validates the file at `path`.
    public convenience init(path: String) throws(SafetensorsError) {
        let mapping: MappedFile
        do { mapping = try MappedFile(path: path) } catch { throw SafetensorsError(file: path, reason: .io(error)) }
        try self.init(storage: SourceBytes(mapping: mapping), path: path)
    }

    /// Validates a file held in memory (copied once); `name` names it in errors.
    public convenience init(bytes: [UInt8], name: String) throws(SafetensorsError) {
        try self.init(storage: SourceBytes(copying: bytes), path: name)
    }

    private init(storage: SourceBytes, path: String) throws(SafetensorsError) {
        let layout = try SafetensorsHeader.parse(storage.bytes, file: path)
        let dataStart = Safetensors.lengthFieldBytes + layout.headerByteCount
        self.path = path
        self.storage = storage
        self.metadata = layout.metadata
        self.headerByteCount = layout.headerByteCount
        self.fileSize = storage.bytes.count
        self.tensors = layout.entries.map { entry in
            let range = (dataStart + entry.begin)..<(dataStart + entry.end)
            return SafetensorsTensor(
                name: entry.name, dtype: entry.dtype, shape: entry.shape, dataOffsets: entry.begin..<entry.end,
                bytes: UnsafeRawBufferPointer(rebasing: storage.bytes[range]), owner: storage)
        }
        var index: [String: Int] = [:]
        for (i, tensor) in tensors.enumerated() { index[tensor.name] = i }
        self.index = index
    }

    /// The absolute offset of the data section: 8 + ``headerByteCount``.
    public var dataStart: Int { Safetensors.lengthFieldBytes + headerByteCount }

    /// The sum of all tensors' byte lengths (the data section's size).
    public var dataByteCount: Int { fileSize - dataStart }

    /// The tensor called `name`, if the file has it.
    public func tensor(named name: String) -> SafetensorsTensor? {
        index[name].map { tensors[$0] }
    }

    /// Hints the kernel that `tensor`'s bytes will be read soon (readahead on a cold cache).
    func willNeed(_ tensor: SafetensorsTensor) {
        guard let mapping = storage.mapping, let base = storage.bytes.baseAddress, let start = tensor.bytes.baseAddress
        else { return }
        let offset = start - base
        mapping.willNeed(offset..<(offset + tensor.bytes.count))
    }
}

/// The safetensors header parser and layout validator (`SafeTensors::read_metadata` and
/// `Metadata::validate` of the official crate, plus zoo's stricter JSON and dtype rules).
enum SafetensorsHeader {
    struct Entry {
        var name: String
        var dtype: DType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    struct Layout {
        var headerByteCount: Int
        var metadata: [String: String]?
        /// In data-offset order.
        var entries: [Entry]
    }

    /// Validates the whole file in `buffer` (header and layout; tensor bytes are not read).
    static func parse(_ buffer: UnsafeRawBufferPointer, file: String) throws(SafetensorsError) -> Layout {
        let fileSize = buffer.count
        var reader = ByteReader(buffer)
        let declared: UInt64
        do { declared = try reader.read(UInt64.self) } catch {
            throw SafetensorsError(file: file, offset: 0, reason: .truncatedHeader(fileSize: fileSize))
        }
        guard declared <= UInt64(Safetensors.maxHeaderBytes) else {
            throw SafetensorsError(file: file, offset: 0, reason: .headerTooLarge(declared: declared))
        }
        let headerByteCount = Int(declared)  // <= maxHeaderBytes: exact
        let header: UnsafeRawBufferPointer
        do { header = try reader.bytes(count: headerByteCount) } catch {
            throw SafetensorsError(file: file, offset: 0, reason: .headerPastEndOfFile(declared: declared, fileSize: fileSize))
        }
        let headerStart = Safetensors.lengthFieldBytes
        let dataStart = headerStart + headerByteCount
        let dataSize = fileSize - dataStart

        let json: JSONValue
        do { json = try JSONValue(parsing: header) } catch {
            var shifted = error  // its offset counts from the start of the file, like every other
            shifted.offset += headerStart
            throw SafetensorsError(file: file, offset: shifted.offset, reason: .invalidJSON(shifted))
        }
        guard case let .object(members) = json else {
            throw SafetensorsError(file: file, offset: headerStart, reason: .headerNotObject)
        }

        // Errors in the header point at the offending key; the positions are only worked out
        // when an error is thrown.
        var keyOffsets: [String: Int]?
        func fail(_ reason: SafetensorsError.Reason, at key: String) -> SafetensorsError {
            if keyOffsets == nil { keyOffsets = topLevelKeyOffsets(header) }
            return SafetensorsError(file: file, offset: headerStart + (keyOffsets?[key] ?? 0), reason: reason)
        }

        var metadata: [String: String]?
        var entries: [Entry] = []
        entries.reserveCapacity(members.count)
        // Sorted, so that a header with several problems always reports the same one.
        for name in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard let value = members[name] else { continue }
            if name == Safetensors.metadataKey {
                guard case let .object(pairs) = value else { throw fail(.metadataNotStringMap(key: nil), at: name) }
                var strings: [String: String] = [:]
                for key in pairs.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                    guard case let .string(text)? = pairs[key] else { throw fail(.metadataNotStringMap(key: key), at: name) }
                    strings[key] = text
                }
                metadata = strings
                continue
            }
            entries.append(try validateEntry(name: name, value: value) { reason in fail(reason, at: name) })
        }

        // Layout: sorted by offsets (ties, i.e. empty tensors, the way the official writer orders
        // them), then contiguous from 0 to the end of the file.
        entries.sort { a, b in
            if a.begin != b.begin { return a.begin < b.begin }
            if a.end != b.end { return a.end < b.end }
            let (ra, rb) = (Safetensors.writerRank(a.dtype), Safetensors.writerRank(b.dtype))
            if ra != rb { return ra > rb }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var expected = 0
        var previous: String?
        for entry in entries {
            guard entry.end <= dataSize else {
                throw SafetensorsError(file: file, offset: fileSize, reason: .tensorPastEndOfFile(
                    tensor: entry.name, end: entry.end, dataSize: dataSize))
            }
            if entry.begin > expected {
                throw SafetensorsError(file: file, offset: dataStart + expected, reason: .gap(
                    tensor: entry.name, previous: previous, count: entry.begin - expected))
            }
            if entry.begin < expected, let previous {
                throw SafetensorsError(file: file, offset: dataStart + entry.begin, reason: .overlap(
                    tensor: entry.name, previous: previous))
            }
            expected = entry.end
            previous = entry.name
        }
        guard expected == dataSize else {
            throw SafetensorsError(file: file, offset: dataStart + expected, reason: .trailingBytes(count: dataSize - expected))
        }
        return Layout(headerByteCount: headerByteCount, metadata: metadata, entries: entries)
    }

    /// Checks one tensor entry: exactly `dtype`, `shape`, `data_offsets`, with a dtype zoo knows
    /// and `end - begin` equal to element count x dtype width (overflow-checked).
    private static func validateEntry(
        name: String, value: JSONValue, fail: (SafetensorsError.Reason) -> SafetensorsError
    ) throws(SafetensorsError) -> Entry {
        guard case let .object(fields) = value else { throw fail(.tensorNotObject(tensor: name)) }
        for field in Safetensors.tensorFields where fields[field] == nil {
            throw fail(.missingField(tensor: name, field: field))
        }
        if fields.count != Safetensors.tensorFields.count,
            let extra = fields.keys.filter({ !Safetensors.tensorFields.contains($0) })
                .min(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        {
            throw fail(.unexpectedField(tensor: name, field: extra))
        }
        guard case let .string(code)? = fields["dtype"] else { throw fail(.invalidDTypeValue(tensor: name)) }
        guard let dtype = DType(rawValue: code), !dtype.isQuantized else {
            throw fail(.unknownDType(tensor: name, dtype: code))
        }
        guard let shape = nonNegativeIntegers(fields["shape"]), shape.count <= Shape.maxRank else {
            throw fail(.invalidShape(tensor: name))
        }
        guard let offsets = nonNegativeIntegers(fields["data_offsets"]), offsets.count == 2, offsets[0] <= offsets[1]
        else { throw fail(.invalidDataOffsets(tensor: name)) }
        // Sub-byte types must fill whole bytes, as the official reader demands (MisalignedSlice).
        guard dtype.fits(shape: shape) else {
            throw fail(.misalignedSubByte(tensor: name, dtype: dtype, elementCount: Shape.elementCount(shape) ?? 0))
        }
        guard let count = Shape.elementCount(shape), let length = dtype.byteCount(elementCount: count) else {
            throw fail(.sizeOverflow(tensor: name))
        }
        guard offsets[1] - offsets[0] == length else {
            throw fail(.lengthMismatch(tensor: name, expected: length, actual: offsets[1] - offsets[0]))
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// The elements of a JSON array of non-negative integers, or nil.
    private static func nonNegativeIntegers(_ value: JSONValue?) -> [Int]? {
        guard case let .array(elements)? = value else { return nil }
        var result: [Int] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard case let .integer(i) = element, i >= 0, let exact = Int(exactly: i) else { return nil }
            result.append(exact)
        }
        return result
    }

    /// The byte offset (in `header`) of each top-level key's opening quote. Runs only on
    /// already-validated JSON, to point an error at its tensor; bounds-checked all the same.
    static func topLevelKeyOffsets(_ header: UnsafeRawBufferPointer) -> [String: Int] {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var i = 0
        func skipWhitespace() {
            while i < header.count, [0x20, 0x09, 0x0a, 0x0d].contains(header[i]) { i += 1 }
        }
        func skipString() {  // at the opening quote
            i += 1
            while i < header.count {
                if header[i] == backslash { i += 2; continue }
                i += 1
                if header[i - 1] == quote { return }
            }
        }
        func skipValue() {
            skipWhitespace()
            var depth = 0
            while i < header.count {
                switch header[i] {
                case quote: skipString(); if depth == 0 { return }; continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return }
                    depth -= 1
                    if depth == 0 { i += 1; return }
                case UInt8(ascii: ","): if depth == 0 { return }
                default: break
                }
                i += 1
            }
        }
        var offsets: [String: Int] = [:]
        skipWhitespace()
        guard i < header.count, header[i] == UInt8(ascii: "{") else { return offsets }
        i += 1
        while true {
            skipWhitespace()
            guard i < header.count, header[i] == quote else { return offsets }
            let start = i
            skipString()
            let keyBytes = UnsafeRawBufferPointer(rebasing: header[start..<min(i, header.count)])
            if let key = (try? JSONValue(parsing: keyBytes))?.stringValue, offsets[key] == nil { offsets[key] = start }
            skipWhitespace()
            guard i < header.count, header[i] == UInt8(ascii: ":") else { return offsets }
            i += 1
            skipValue()
            skipWhitespace()
            guard i < header.count, header[i] == UInt8(ascii: ",") else { return offsets }
            i += 1
        }
    }
}
