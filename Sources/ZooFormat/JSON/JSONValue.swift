/// A parsed JSON value.
///
/// Integers without fraction or exponent that fit 64 bits stay exact (`integer`); every other
/// number is a `Double`. Objects are unordered: the canonical form sorts their members.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The string, if this is one.
    public var stringValue: String? { if case let .string(s) = self { s } else { nil } }

    /// The integer, if this is an integer (or a double with an exact integer value).
    public var integerValue: Int64? {
        switch self {
        case let .integer(i): i
        case let .number(d) where d.rounded() == d && abs(d) < 9.2e18: Int64(d)
        default: nil
        }
    }

    /// The number as a Double, if this is a number.
    public var doubleValue: Double? {
        switch self {
        case let .integer(i): Double(i)
        case let .number(d): d
        default: nil
        }
    }

    /// The members, if this is an object.
    public var objectValue: [String: JSONValue]? { if case let .object(o) = self { o } else { nil } }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? { if case let .array(a) = self { a } else { nil } }

    /// The member `key`, if this is an object that has it.
    public subscript(key: String) -> JSONValue? { objectValue?[key] }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
