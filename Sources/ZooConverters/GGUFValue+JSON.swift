import ZooFormat

/// GGUF metadata as JSON, two ways (`spec/gguf.md` §4):
///
/// - **typed**, for the manifest's `"gguf.metadata"`: one object per pair, in file order,
///   `{"key": "llama.block_count", "type": "u32", "value": 32}`; arrays add `"element_type"`
///   and nested arrays are `{"element_type": ..., "value": [...]}`. Lossless: the export writes
///   the same types, values and order back, byte for byte.
/// - **plain**, for `architecture.config`: numbers, strings, booleans and arrays, as a person or a
///   loader wants to read them (`f32` 1e-5 is `0.00001`, not its binary expansion).
///
/// JSON cannot hold everything a GGUF value can, so the typed form writes these as strings:
/// integers beyond +-(2^53 - 1) (`"18446744073709551615"`); floats that are NaN (`"nan"` for the
/// canonical quiet NaN, else `"nan:0x7fc00001"` with the bits), infinite (`"inf"`, `"-inf"`), minus
/// zero (`"-0"`) or integral between 2^53 and 10^21 (their shortest decimal); and a string that
/// is not valid UTF-8 is `{"hex": "<its bytes>"}`.
extension GGUFKeyValue {
    /// Why a stored typed-JSON entry cannot become a value.
    struct JSONMismatch: Error {
        var why: String
    }

    /// `{"key": ..., "type": ..., "value": ...}` (+ `"element_type"` for arrays).
    public var typedJSON: JSONValue {
        var object: [String: JSONValue] = ["key": .string(key), "type": .string(value.type.name)]
        if case let .array(elementType, elements) = value {
            object["element_type"] = .string(elementType.name)
            object["value"] = .array(elements.map(\.typedElementJSON))
        } else {
            object["value"] = value.typedElementJSON
        }
        return .object(object)
    }

    /// Reads an entry written by ``typedJSON``.
    init(typedJSON json: JSONValue) throws(JSONMismatch) {
        guard case let .object(members) = json else { throw JSONMismatch(why: "an entry is not an object") }
        guard case let .string(key)? = members["key"], !key.isEmpty else {
            throw JSONMismatch(why: "an entry has no \"key\" string")
        }
        guard case let .string(typeName)? = members["type"], let type = GGUFValueType(name: typeName) else {
            throw JSONMismatch(why: "\"\(key)\": unknown \"type\"")
        }
        guard let value = members["value"] else { throw JSONMismatch(why: "\"\(key)\": no \"value\"") }
        do throws(JSONMismatch) {
            if type == .array {
                self.init(key: key, value: try GGUFValue(typedArray: members, depth: 0))
            } else {
                guard members["element_type"] == nil else { throw JSONMismatch(why: "element_type on a scalar") }
                self.init(key: key, value: try GGUFValue(typedElement: value, type: type, depth: 0))
            }
        } catch {
            throw JSONMismatch(why: "\"\(key)\": \(error.why)")
        }
    }
}

extension GGUFValue {
    /// The JSON of one value inside the typed form (see ``GGUFKeyValue/typedJSON``).
    var typedElementJSON: JSONValue {
        switch self {
        case let .u8(v): .integer(Int64(v))
        case let .i8(v): .integer(Int64(v))
        case let .u16(v): .integer(Int64(v))
        case let .i16(v): .integer(Int64(v))
        case let .u32(v): .integer(Int64(v))
        case let .i32(v): .integer(Int64(v))
        case let .u64(v): Self.jsonInteger(exactly: Int64(exactly: v), text: String(v))
        case let .i64(v): Self.jsonInteger(exactly: v, text: String(v))
        case let .f32(v): Self.typedFloat(Double(v), isNaN: v.isNaN, nanBits: v.bitPattern == 0x7FC0_0000 ? nil : "0x" + Self.hexString(UInt64(v.bitPattern), digits: 8), shortest: "\(v)")
        case let .f64(v): Self.typedFloat(v, isNaN: v.isNaN, nanBits: v.bitPattern == 0x7FF8_0000_0000_0000 ? nil : "0x" + Self.hexString(v.bitPattern, digits: 16), shortest: "\(v)")
        case let .bool(v): .bool(v)
        case let .string(bytes):
            if let text = String(validating: bytes, as: UTF8.self) { .string(text) } else { .object(["hex": .string(Self.hexString(bytes))]) }
        case let .array(elementType, elements):
            .object(["element_type": .string(elementType.name), "value": .array(elements.map(\.typedElementJSON))])
        }
    }

    /// An array from `{"element_type": ..., "value": [...]}` members.
    init(typedArray members: [String: JSONValue], depth: Int) throws(GGUFKeyValue.JSONMismatch) {
        guard depth < GGUF.maxArrayNesting else { throw .init(why: "arrays nest deeper than \(GGUF.maxArrayNesting)") }
        guard case let .string(name)? = members["element_type"], let elementType = GGUFValueType(name: name) else {
            throw .init(why: "array without a known \"element_type\"")
        }
        guard case let .array(items)? = members["value"] else { throw .init(why: "array \"value\" is not a JSON array") }
        var elements: [GGUFValue] = []
        elements.reserveCapacity(items.count)
        for item in items {
            if elementType == .array {
                guard case let .object(inner) = item else { throw .init(why: "nested array element is not an object") }
                elements.append(try GGUFValue(typedArray: inner, depth: depth + 1))
            } else {
                elements.append(try GGUFValue(typedElement: item, type: elementType, depth: depth + 1))
            }
        }
        self = .array(elementType, elements)
    }

    /// A scalar of `type` from its typed JSON.
    init(typedElement json: JSONValue, type: GGUFValueType, depth: Int) throws(GGUFKeyValue.JSONMismatch) {
        func integer<T: FixedWidthInteger>(_: T.Type) throws(GGUFKeyValue.JSONMismatch) -> T {
            switch json {
            case let .integer(i): if let v = T(exactly: i) { return v }
            case let .string(text): if let v = T(text) { return v }
            default: break
            }
            throw .init(why: "\(json) is not a \(type.name)")
        }
        switch type {
        case .u8: self = .u8(try integer(UInt8.self))
        case .i8: self = .i8(try integer(Int8.self))
        case .u16: self = .u16(try integer(UInt16.self))
        case .i16: self = .i16(try integer(Int16.self))
        case .u32: self = .u32(try integer(UInt32.self))
        case .i32: self = .i32(try integer(Int32.self))
        case .u64: self = .u64(try integer(UInt64.self))
        case .i64: self = .i64(try integer(Int64.self))
        case .f32:
            guard let bits = Self.floatBits(json, width: 32) else { throw .init(why: "\(json) is not an f32") }
            self = .f32(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .f64:
            guard let bits = Self.floatBits(json, width: 64) else { throw .init(why: "\(json) is not an f64") }
            self = .f64(Double(bitPattern: bits))
        case .bool:
            guard case let .bool(v) = json else { throw .init(why: "\(json) is not a bool") }
            self = .bool(v)
        case .string:
            switch json {
            case let .string(text): self = .text(text)
            case let .object(members):
                guard members.count == 1, case let .string(hexText)? = members["hex"], let bytes = Self.bytes(hex: hexText) else {
                    throw .init(why: "a string is neither text nor {\"hex\": ...}")
                }
                self = .string(bytes)
            default: throw .init(why: "\(json) is not a string")
            }
        case .array:
            guard case let .object(members) = json else { throw .init(why: "nested array is not an object") }
            self = try GGUFValue(typedArray: members, depth: depth)
        }
    }

    /// The value as plain JSON for `architecture.config`: integers, numbers (an `f32` by its
    /// shortest decimal), strings, booleans, arrays.
    public var plainJSON: JSONValue {
        switch self {
        case let .u64(v): Self.jsonInteger(exactly: Int64(exactly: v), text: String(v))
        case let .i64(v): Self.jsonInteger(exactly: v, text: String(v))
        case let .f32(v): Self.plainFloat(Double("\(v)") ?? Double(v), shortest: "\(v)")
        case let .f64(v): Self.plainFloat(v, shortest: "\(v)")
        case let .bool(v): .bool(v)
        case let .string(bytes): .string(String(decoding: bytes, as: UTF8.self))
        case let .array(_, elements): .array(elements.map(\.plainJSON))
        default: .integer(Int64(integerValue ?? 0))
        }
    }

    // MARK: Helpers

    /// The largest integer JSON holds exactly in a manifest (format.md §4.1).
    static let maxJSONInteger: Int64 = (1 << 53) - 1

    private static func jsonInteger(exactly value: Int64?, text: String) -> JSONValue {
        guard let value, value.magnitude <= UInt64(maxJSONInteger) else { return .string(text) }
        return .integer(value)
    }

    /// Whether a finite double can be a manifest number: not -0, and not an integral value the
    /// canonical form would print as an out-of-range integer (format.md §4.1).
    private static func isManifestNumber(_ value: Double) -> Bool {
        guard value.isFinite, !(value == 0 && value.sign == .minus) else { return false }
        let magnitude = value.magnitude
        return value.rounded() != value || magnitude < 9_007_199_254_740_992 || magnitude >= 1e21
    }

    private static func typedFloat(_ value: Double, isNaN: Bool, nanBits: String?, shortest: String) -> JSONValue {
        if isNaN { return .string(nanBits.map { "nan:" + $0 } ?? "nan") }
        if value.isInfinite { return .string(value < 0 ? "-inf" : "inf") }
        if value == 0 && value.sign == .minus { return .string("-0") }
        return isManifestNumber(value) ? .number(value) : .string(shortest)
    }

    private static func plainFloat(_ value: Double, shortest: String) -> JSONValue {
        if value.isNaN { return .string("nan") }
        if value.isInfinite { return .string(value < 0 ? "-inf" : "inf") }
        if value == 0 { return .integer(0) }
        return isManifestNumber(value) ? .number(value) : .string(shortest)
    }

    /// The bit pattern of a float of `width` bits from its typed JSON.
    private static func floatBits(_ json: JSONValue, width: Int) -> UInt64? {
        func bits(_ d: Double) -> UInt64 { width == 32 ? UInt64(Float(d).bitPattern) : d.bitPattern }
        switch json {
        case let .integer(i): return bits(Double(i))
        case let .number(d): return width == 32 && Double(Float(d)) != d ? nil : bits(d)
        case let .string(text):
            switch text {
            case "nan": return width == 32 ? 0x7FC0_0000 : 0x7FF8_0000_0000_0000
            case "inf": return bits(.infinity)
            case "-inf": return bits(-.infinity)
            case "-0": return width == 32 ? 0x8000_0000 : 0x8000_0000_0000_0000
            default: break
            }
            if text.hasPrefix("nan:0x"), let raw = UInt64(text.dropFirst(6), radix: 16), text.count == 6 + width / 4 {
                let isNaN = width == 32 ? Float(bitPattern: UInt32(truncatingIfNeeded: raw)).isNaN : Double(bitPattern: raw).isNaN
                return isNaN ? raw : nil
            }
            if width == 32 { return Float(text).map { UInt64($0.bitPattern) } }
            return Double(text)?.bitPattern
        default: return nil
        }
    }

    static func bytes(hex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = nibble(digits[i]), let low = nibble(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}

extension GGUFValue {
    /// Lowercase hexadecimal of `bytes`.
    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `value` in lowercase hexadecimal, zero-padded to `digits`.
    static func hexString(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
