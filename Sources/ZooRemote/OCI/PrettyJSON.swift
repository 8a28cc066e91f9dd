import ZooFormat

/// JSON with two-space indentation and sorted keys (scalars in their RFC 8785 form): stable
/// bytes for files people read and diff, such as a layout's `index.json`.
enum PrettyJSON {
    static func bytes(_ value: JSONValue) -> [UInt8] {
        var out = ""
        render(value, indent: "", into: &out)
        out += "\n"
        return Array(out.utf8)
    }

    private static func render(_ value: JSONValue, indent: String, into out: inout String) {
        let inner = indent + "  "
        switch value {
        case let .array(elements) where !elements.isEmpty:
            out += "[\n"
            for (i, element) in elements.enumerated() {
                out += inner
                render(element, indent: inner, into: &out)
                out += i == elements.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case let .object(members) where !members.isEmpty:
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
