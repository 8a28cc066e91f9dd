import ZooFormat

/// Machine-readable output: JSON values printed with two-space indentation and sorted keys
/// (scalars in their RFC 8785 form, so numbers and strings read back exactly).
enum JSONOutput {
    /// Prints `value` and a newline on standard output.
    static func print(_ value: JSONValue) {
        var out = ""
        render(value, indent: "", into: &out)
        Swift.print(out)
    }

    static func render(_ value: JSONValue, indent: String, into out: inout String) {
        let inner = indent + "  "
        switch value {
        case let .array(elements):
            guard !elements.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (i, element) in elements.enumerated() {
                out += inner
                render(element, indent: inner, into: &out)
                out += i == elements.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case let .object(members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{\n"
            let keys = members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            for (i, key) in keys.enumerated() {
                out += inner + String(decoding: JSONValue.string(key).canonicalBytes, as: UTF8.self) + ": "
                render(members[key] ?? .null, indent: inner, into: &out)
                out += i == keys.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        default:
            out += String(decoding: value.canonicalBytes, as: UTF8.self)
        }
    }
}

extension JSONValue {
    /// An integer member (counts and sizes fit JSON's exact range in practice).
    static func int(_ value: Int) -> JSONValue { .integer(Int64(value)) }

    /// A string member, or `null`.
    static func optionalString(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
}
