import ZooFormat

/// The type of a GGUF metadata value (`gguf_metadata_value_type`, a `uint32`).
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, bool = 7, string = 8, array = 9
    case u64 = 10, i64 = 11, f64 = 12

    /// The name used in zoo's typed JSON (`"u32"`, `"f32"`, `"string"`, `"array"`...).
    public var name: String {
        switch self {
        case .u8: "u8"
        case .i8: "i8"
        case .u16: "u16"
        case .i16: "i16"
        case .u32: "u32"
        case .i32: "i32"
        case .f32: "f32"
        case .bool: "bool"
        case .string: "string"
        case .array: "array"
        case .u64: "u64"
        case .i64: "i64"
        case .f64: "f64"
        }
    }

    /// The type named `name` in zoo's typed JSON.
    public init?(name: String) {
        guard let type = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = type
    }

    /// The smallest encoding of one value: its fixed width, 8 for a string (the length), 12 for
    /// an array (element type and count).
    var minimumByteCount: Int {
        switch self {
        case .u8, .i8, .bool: 1
        case .u16, .i16: 2
        case .u32, .i32, .f32: 4
        case .u64, .i64, .f64, .string: 8
        case .array: 12
        }
    }
}

/// One typed GGUF metadata value.
///
/// Strings are kept as their bytes (GGUF says UTF-8 but does not enforce it; vocabularies hold
/// odd tokens), so a value read and written back is byte-identical. Equality compares floats by
/// bit pattern, so two NaNs with the same payload are equal.
public indirect enum GGUFValue: Sendable, Equatable {
    case u8(UInt8)
    case i8(Int8)
    case u16(UInt16)
    case i16(Int16)
    case u32(UInt32)
    case i32(Int32)
    case f32(Float)
    case bool(Bool)
    case string([UInt8])
    /// An array: its element type (kept even when it is empty) and elements of that type.
    case array(GGUFValueType, [GGUFValue])
    case u64(UInt64)
    case i64(Int64)
    case f64(Double)

    /// A string value from Swift text.
    public static func text(_ string: String) -> GGUFValue { .string(Array(string.utf8)) }

    public var type: GGUFValueType {
        switch self {
        case .u8: .u8
        case .i8: .i8
        case .u16: .u16
        case .i16: .i16
        case .u32: .u32
        case .i32: .i32
        case .f32: .f32
        case .bool: .bool
        case .string: .string
        case .array: .array
        case .u64: .u64
        case .i64: .i64
        case .f64: .f64
        }
    }

    /// The string, when this is a string of valid UTF-8.
    public var stringValue: String? {
        guard case let .string(bytes) = self else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The value of an integer of any width, when it fits an `Int`.
    public var integerValue: Int? {
        switch self {
        case let .u8(v): Int(v)
        case let .i8(v): Int(v)
        case let .u16(v): Int(v)
        case let .i16(v): Int(v)
        case let .u32(v): Int(v)
        case let .i32(v): Int(v)
        case let .u64(v): Int(exactly: v)
        case let .i64(v): Int(v)
        default: nil
        }
    }

    public static func == (a: GGUFValue, b: GGUFValue) -> Bool {
        switch (a, b) {
        case let (.u8(x), .u8(y)): x == y
        case let (.i8(x), .i8(y)): x == y
        case let (.u16(x), .u16(y)): x == y
        case let (.i16(x), .i16(y)): x == y
        case let (.u32(x), .u32(y)): x == y
        case let (.i32(x), .i32(y)): x == y
        case let (.f32(x), .f32(y)): x.bitPattern == y.bitPattern
        case let (.bool(x), .bool(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.array(t, x), .array(u, y)): t == u && x == y
        case let (.u64(x), .u64(y)): x == y
        case let (.i64(x), .i64(y)): x == y
        case let (.f64(x), .f64(y)): x.bitPattern == y.bitPattern
        default: false
        }
    }
}

/// One metadata pair of a GGUF file, in file order.
public struct GGUFKeyValue: Sendable, Equatable {
    public var key: String
    public var value: GGUFValue

    public init(key: String, value: GGUFValue) {
        self.key = key
        self.value = value
    }
}

// MARK: - Encoding

extension GGUFValue {
    /// Appends the value's encoding (without its type tag) to `out`.
    func encode(into out: inout [UInt8]) {
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        switch self {
        case let .u8(v): out.append(v)
        case let .i8(v): append(v)
        case let .u16(v): append(v)
        case let .i16(v): append(v)
        case let .u32(v): append(v)
        case let .i32(v): append(v)
        case let .f32(v): append(v.bitPattern)
        case let .bool(v): out.append(v ? 1 : 0)
        case let .string(bytes):
            append(UInt64(bytes.count))
            out.append(contentsOf: bytes)
        case let .array(elementType, elements):
            append(elementType.rawValue)
            append(UInt64(elements.count))
            for element in elements { element.encode(into: &out) }
        case let .u64(v): append(v)
        case let .i64(v): append(v)
        case let .f64(v): append(v.bitPattern)
        }
    }

    /// Encodes a key: its UTF-8 length as a `uint64`, then the bytes.
    static func encodeKey(_ key: String, into out: inout [UInt8]) {
        withUnsafeBytes(of: UInt64(key.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: key.utf8)
    }

    /// Whether every element of an array value has the array's element type (nested too), and
    /// arrays nest at most ``GGUF/maxArrayNesting`` deep.
    func isWellTyped(depth: Int = 0) -> Bool {
        guard case let .array(elementType, elements) = self else { return true }
        guard depth < GGUF.maxArrayNesting else { return false }
        return elements.allSatisfy { $0.type == elementType && $0.isWellTyped(depth: depth + 1) }
    }
}

// MARK: - Decoding

extension GGUFValue {
    /// Why bytes did not decode to a value; ``GGUFFile`` turns it into a ``GGUFError``.
    enum DecodeFailure: Error {
        case truncated(ByteReader.OutOfBounds)
        case unknownType(UInt32, at: Int)
        case invalidBool(UInt8, at: Int)
        case stringPastEnd(length: UInt64, at: Int, remaining: Int)
        case arrayTooLong(count: UInt64, at: Int, remaining: Int)
        case nestedTooDeep(at: Int)
    }

    /// Reads a value of `type` from `reader`. Counts and lengths are checked against the bytes
    /// left before anything is allocated.
    static func decode(_ type: GGUFValueType, from reader: inout ByteReader, depth: Int = 0) throws(DecodeFailure) -> GGUFValue {
        func read<T: FixedWidthInteger>(_: T.Type) throws(DecodeFailure) -> T {
            do { return try reader.read(T.self) } catch { throw .truncated(error) }
        }
        switch type {
        case .u8: return .u8(try read(UInt8.self))
        case .i8: return .i8(try read(Int8.self))
        case .u16: return .u16(try read(UInt16.self))
        case .i16: return .i16(try read(Int16.self))
        case .u32: return .u32(try read(UInt32.self))
        case .i32: return .i32(try read(Int32.self))
        case .f32: return .f32(Float(bitPattern: try read(UInt32.self)))
        case .u64: return .u64(try read(UInt64.self))
        case .i64: return .i64(try read(Int64.self))
        case .f64: return .f64(Double(bitPattern: try read(UInt64.self)))
        case .bool:
            let at = reader.offset
            let byte = try read(UInt8.self)
            guard byte <= 1 else { throw .invalidBool(byte, at: at) }
            return .bool(byte == 1)
        case .string:
            return .string(Array(try decodeString(from: &reader)))
        case .array:
            guard depth < GGUF.maxArrayNesting else { throw .nestedTooDeep(at: reader.offset) }
            let typeAt = reader.offset
            let rawType = try read(UInt32.self)
            guard let elementType = GGUFValueType(rawValue: rawType) else { throw .unknownType(rawType, at: typeAt) }
            let countAt = reader.offset
            let count = try read(UInt64.self)
            // Every element takes at least `minimumByteCount` bytes: a count the rest of the
            // file cannot hold is refused before the array is reserved.
            guard count <= UInt64(reader.remaining / elementType.minimumByteCount) else {
                throw .arrayTooLong(count: count, at: countAt, remaining: reader.remaining)
            }
            var elements: [GGUFValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                elements.append(try decode(elementType, from: &reader, depth: depth + 1))
            }
            return .array(elementType, elements)
        }
    }

    /// Reads a `uint64` length and that many bytes (in place).
    static func decodeString(from reader: inout ByteReader) throws(DecodeFailure) -> UnsafeRawBufferPointer {
        let at = reader.offset
        let length: UInt64
        do { length = try reader.read(UInt64.self) } catch { throw .truncated(error) }
        guard length <= UInt64(reader.remaining) else {
            throw .stringPastEnd(length: length, at: at, remaining: reader.remaining)
        }
        do { return try reader.bytes(count: Int(length)) } catch { throw .truncated(error) }
    }
}
