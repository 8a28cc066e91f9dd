import ZooFormat

/// NumPy's `.npy` format (and `.npz`, a zip of `.npy` files): the magic `\x93NUMPY`, a version
/// (1.0, 2.0 or 3.0), a little-endian header length (2 bytes in 1.0, 4 in 2.0 and 3.0), then a
/// Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with
/// spaces and a newline so the data starts 64-byte aligned, then the raw array data.
///
/// zoo reads that dict with a strict parser of its own (nothing is evaluated): exactly the three
/// keys, a plain dtype string (`<f4`, `>i8`, `|b1`...), `True`/`False`, a tuple of integers.
/// Big-endian arrays are byte-swapped and Fortran-order arrays transposed to C order on import.
///
/// ## Topics
/// - ``NumPyHeader``: the parsed header and NumPy's own header bytes for an array
/// - ``NumPyImporter``: `.npy` / `.npz` to a zoo checkpoint
/// - ``NumPyExporter``: a zoo checkpoint to `.npz`
/// - ``NumPyError``
public enum NumPy {
    /// The first six bytes of every `.npy` file.
    public static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    /// The longest header read: NumPy's own reader refuses more than 10000 bytes by default; a
    /// plain dtype needs under 200. Bounds the length field before anything is read.
    public static let maxHeaderBytes = 65_536
    /// NumPy pads headers so data starts at a multiple of this (`ARRAY_ALIGN`).
    static let arrayAlign = 64
    /// Spaces NumPy leaves for growing the first axis (`GROWTH_AXIS_MAX_DIGITS`).
    static let growthAxisMaxDigits = 21
    /// A Fortran-order array inside an `.npz` is transposed in memory; larger ones are refused.
    public static let maxFortranBytesInMemory = 4 << 30

    /// What a NumPy file is, by content.
    public enum FileKind: Sendable, Equatable {
        /// A `.npy` array (`\x93NUMPY`).
        case npy
        /// An `.npz`: a zip whose first member is a `.npy` (or an empty zip, `numpy.savez()`).
        case npz
    }

    /// Sniffs the file at `path` by content; nil when it is neither kind.
    public static func kind(ofFileAt path: String) -> FileKind? {
        let head = GGUF.leadingBytes(ofFileAt: path, count: 30 + 1024)
        if head.starts(with: magic) { return .npy }
        if head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .npz }  // an empty zip
        // The first local header: "PK\3\4", the name's length at 26, the name at 30.
        guard head.starts(with: [0x50, 0x4B, 0x03, 0x04]), head.count >= 30 else { return nil }
        let length = Int(head[26]) | Int(head[27]) << 8
        guard head.count >= 30 + length else { return nil }
        let name = head[30..<(30 + length)]
        return name.count > 4 && name.suffix(4).elementsEqual(".npy".utf8) ? .npz : nil
    }

    /// The NumPy dtype string (`descr`) for a zoo dtype, or nil when NumPy has none (`BF16`,
    /// `F8_*`, `F4`, `F6_*`, `Q8_0`) or zoo does not write it (`C64`: zoo carries complex
    /// tensors from safetensors but has no NumPy complex reader or writer).
    public static func descr(for dtype: DType) -> String? {
        switch dtype {
        case .f64: "<f8"
        case .f32: "<f4"
        case .f16: "<f2"
        case .i64: "<i8"
        case .i32: "<i4"
        case .i16: "<i2"
        case .i8: "|i1"
        case .u64: "<u8"
        case .u32: "<u4"
        case .u16: "<u2"
        case .u8: "|u1"
        case .bool: "|b1"
        case .bf16, .f8E4M3, .f8E5M2, .q8_0, .c64, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ, .f4, .f6E2M3, .f6E3M2: nil
        }
    }
}

/// A parsed `.npy` header.
public struct NumPyHeader: Equatable, Sendable {
    /// The format version's major number (1, 2 or 3).
    public var majorVersion: UInt8
    /// The `descr` string as written (`<f4`, `>i8`, `|b1`...).
    public var descr: String
    /// The zoo dtype of the elements.
    public var dtype: DType
    /// Whether the data is big-endian (and must be byte-swapped).
    public var isBigEndian: Bool
    /// Whether the data is in Fortran (column-major) order.
    public var fortranOrder: Bool
    /// The shape, outermost first (`[]` for a 0-d array).
    public var shape: [Int]
    /// The bytes before the data: magic, version, length field and header text.
    public var dataOffset: Int
    /// Element count x width.
    public var dataByteCount: Int

    /// Whether the data needs no change to be zoo's little-endian row-major layout.
    public var isZooLayout: Bool { !isBigEndian && (!fortranOrder || shape.count <= 1) }

    /// Parses the header at the start of `bytes` (which may hold more: the data, or nothing
    /// else). Offsets in errors count from the start of `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String, member: String? = nil) throws(NumPyError) -> NumPyHeader {
        func fail(_ reason: NumPyError.Reason, at offset: Int? = nil) -> NumPyError {
            NumPyError(file: file, member: member, offset: offset, reason: reason)
        }
        guard bytes.count >= 8 else {
            throw fail(bytes.count >= NumPy.magic.count && !bytes.starts(with: NumPy.magic) ? .notNumPy : .truncatedHeader, at: 0)
        }
        guard bytes.starts(with: NumPy.magic) else { throw fail(.notNumPy, at: 0) }
        let major = bytes[6], minor = bytes[7]
        guard minor == 0, (1...3).contains(major) else { throw fail(.unsupportedVersion(major: major, minor: minor), at: 6) }
        var reader = ByteReader(bytes, offset: 8)
        let length: Int
        do {
            length = major == 1 ? Int(try reader.read(UInt16.self)) : Int(try reader.read(UInt32.self))
        } catch {
            throw fail(.truncatedHeader, at: 8)
        }
        guard length <= NumPy.maxHeaderBytes else { throw fail(.headerTooLarge(declared: length), at: 8) }
        let text: UnsafeRawBufferPointer
        do { text = try reader.bytes(count: length) } catch { throw fail(.truncatedHeader, at: reader.offset) }
        var parser = DictParser(text: text, base: reader.offset - length)
        let fields: DictParser.Fields
        do { fields = try parser.parse() } catch {
            throw fail(error.dtype.map { .unsupportedDType(descr: $0, why: error.why) } ?? .invalidHeader(why: error.why), at: error.offset)
        }
        let (dtype, bigEndian) = try dtype(of: fields.descr) { why in fail(.unsupportedDType(descr: fields.descr, why: why)) }
        guard let count = Shape.elementCount(fields.shape), let byteCount = dtype.byteCount(elementCount: count) else {
            throw fail(.sizeOverflow)
        }
        return NumPyHeader(majorVersion: major, descr: fields.descr, dtype: dtype, isBigEndian: bigEndian,
                           fortranOrder: fields.fortranOrder, shape: fields.shape, dataOffset: reader.offset,
                           dataByteCount: byteCount)
    }

    /// The zoo dtype and byte order of a `descr` string; `fail` explains a refusal.
    static func dtype(of descr: String, _ fail: (String) -> NumPyError) throws(NumPyError) -> (DType, bigEndian: Bool) {
        var code = Substring(descr)
        var order: Character = "|"
        if let first = code.first, "<>|=".contains(first) {
            order = first
            code = code.dropFirst()
        }
        let table: [Substring: DType] = [
            "f2": .f16, "f4": .f32, "f8": .f64, "i1": .i8, "i2": .i16, "i4": .i32, "i8": .i64,
            "u1": .u8, "u2": .u16, "u4": .u32, "u8": .u64, "b1": .bool, "?": .bool,
        ]
        guard let dtype = table[code] else {
            let kind = code.first ?? " "
            let why = switch kind {
            case "O": "object arrays hold pickled Python objects, which zoo never loads"
            case "c": "complex arrays are not read from NumPy files (zoo carries C64 from safetensors only)"
            case "S", "a": "byte strings are not tensors"
            case "U": "unicode strings are not tensors"
            case "V": "raw void records (bfloat16 or float8 saved through ml_dtypes come out as void: save them as float32)"
            case "M", "m": "datetimes are not tensors"
            case "f": "only float16, float32 and float64 are supported"
            default: "not a numeric dtype zoo stores"
            }
            throw fail(why)
        }
        return (dtype, order == ">" && dtype.bitWidth > 8)
    }

    /// NumPy's own header for a C-order little-endian array of `dtype` and `shape` (what
    /// `numpy.save` writes, byte for byte: version 1.0, or 2.0 when the header needs it), or nil
    /// when NumPy has no such dtype.
    public static func encode(dtype: DType, shape: [Int]) -> [UInt8]? {
        guard let descr = NumPy.descr(for: dtype) else { return nil }
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var text = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tuple), }"
        if let first = shape.first {
            text += String(repeating: " ", count: max(0, NumPy.growthAxisMaxDigits - String(first).count))
        }
        let body = Array(text.utf8)
        for (major, fieldBytes) in [(UInt8(1), 2), (UInt8(2), 4)] {
            let textLength = body.count + 1  // the final newline
            let padding = NumPy.arrayAlign - (NumPy.magic.count + 2 + fieldBytes + textLength) % NumPy.arrayAlign
            let total = textLength + padding
            if fieldBytes == 2 && total > Int(UInt16.max) { continue }
            var out = NumPy.magic + [major, 0]
            if fieldBytes == 2 {
                withUnsafeBytes(of: UInt16(total).littleEndian) { out.append(contentsOf: $0) }
            } else {
                withUnsafeBytes(of: UInt32(total).littleEndian) { out.append(contentsOf: $0) }
            }
            return out + body + [UInt8](repeating: UInt8(ascii: " "), count: padding) + [UInt8(ascii: "\n")]
        }
        return nil
    }
}

/// The strict parser for the header's dict literal: `{'descr': <str>, 'fortran_order': <bool>,
/// 'shape': <tuple of int>}` in any order, optional trailing comma, then only spaces and a newline.
private struct DictParser {
    struct Fields {
        var descr: String
        var fortranOrder: Bool
        var shape: [Int]
    }

    struct Failure: Error {
        var why: String
        var offset: Int
        /// Set when the problem is the dtype itself (a structured dtype).
        var dtype: String?
    }

    let text: UnsafeRawBufferPointer
    /// The offset of `text` in the file, for errors.
    let base: Int
    var i = 0

    init(text: UnsafeRawBufferPointer, base: Int) {
        self.text = text
        self.base = base
    }

    private func fail(_ why: String, dtype: String? = nil) -> Failure { Failure(why: why, offset: base + i, dtype: dtype) }

    private mutating func skipSpaces() {
        while i < text.count, text[i] == 0x20 || text[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ character: Character) throws(Failure) {
        skipSpaces()
        guard i < text.count, text[i] == character.asciiValue else { throw fail("expected '\(character)'") }
        i += 1
    }

    private mutating func string() throws(Failure) -> String {
        skipSpaces()
        guard i < text.count, text[i] == UInt8(ascii: "'") || text[i] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        let quote = text[i]
        i += 1
        let start = i
        while i < text.count, text[i] != quote {
            guard text[i] >= 0x20, text[i] < 0x7F, text[i] != UInt8(ascii: "\\") else { throw fail("unexpected character in a string") }
            i += 1
        }
        guard i < text.count else { throw fail("unterminated string") }
        defer { i += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: text[start..<i]), as: UTF8.self)
    }

    private mutating func word() -> String {
        skipSpaces()
        let start = i
        while i < text.count, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(text[i]) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(text[i]) {
            i += 1
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: text[start..<i]), as: UTF8.self)
    }

    private mutating func shape() throws(Failure) -> [Int] {
        try expect("(")
        var dims: [Int] = []
        while true {
            skipSpaces()
            guard i < text.count else { throw fail("unterminated shape") }
            if text[i] == UInt8(ascii: ")") { break }
            let start = i
            var value = 0
            while i < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[i]) {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(Int(text[i] - UInt8(ascii: "0")))
                guard !o1, !o2 else { throw fail("dimension too large") }
                value = sum
                i += 1
            }
            guard i > start else { throw fail("expected a non-negative integer in the shape") }
            if i < text.count, text[i] == UInt8(ascii: "L") { i += 1 }  // Python 2 longs
            guard dims.count < Shape.maxRank else { throw fail("more than \(Shape.maxRank) dimensions") }
            dims.append(value)
            skipSpaces()
            guard i < text.count else { throw fail("unterminated shape") }
            if text[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard text[i] == UInt8(ascii: ")") else { throw fail("expected ',' or ')' in the shape") }
            // A one-element tuple needs its trailing comma: (5) is an int, not a tuple.
            guard dims.count != 1 else { throw fail("a one-dimensional shape must be written (n,)") }
        }
        i += 1
        return dims
    }

    mutating func parse() throws(Failure) -> Fields {
        try expect("{")
        var descr: String?, fortran: Bool?, dims: [Int]?
        while true {
            skipSpaces()
            if i < text.count, text[i] == UInt8(ascii: "}") { break }
            let key = try string()
            try expect(":")
            switch key {
            case "descr":
                skipSpaces()
                if i < text.count, text[i] == UInt8(ascii: "[") {
                    throw fail("structured (record) dtypes are not tensors", dtype: "[...]")
                }
                guard descr == nil else { throw fail("key 'descr' twice") }
                descr = try string()
            case "fortran_order":
                guard fortran == nil else { throw fail("key 'fortran_order' twice") }
                switch word() {
                case "True": fortran = true
                case "False": fortran = false
                default: throw fail("fortran_order must be True or False")
                }
            case "shape":
                guard dims == nil else { throw fail("key 'shape' twice") }
                dims = try shape()
            default:
                throw fail("unexpected key '\(key)'")
            }
            skipSpaces()
            guard i < text.count else { throw fail("unterminated dict") }
            if text[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard text[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
        }
        i += 1
        while i < text.count {
            guard text[i] == 0x20 || text[i] == 0x0A else { throw fail("unexpected text after the dict") }
            i += 1
        }
        guard let descr else { throw fail("no 'descr'") }
        guard let fortran else { throw fail("no 'fortran_order'") }
        guard let dims else { throw fail("no 'shape'") }
        return Fields(descr: descr, fortranOrder: fortran, shape: dims)
    }
}
