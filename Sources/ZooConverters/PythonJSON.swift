import ZooFormat

/// JSON text exactly as Python's `json.dumps(value, indent=2, sort_keys=True)` writes it, the
/// form Hugging Face's `save_pretrained` uses for `model.safetensors.index.json`: two-space
/// indent, `", "`-free separators (`","` at line ends, `": "` after keys), keys sorted by code
/// point, non-ASCII escaped as `\uXXXX` (`ensure_ascii`), `{}` and `[]` for empty containers.
///
/// Doubles use Swift's shortest round-trip digits, which agree with Python's `repr` except for
/// some magnitudes between 1e16 and 2^53 (Python switches to exponent form at 1e16).
enum PythonJSON {
    /// The text of `value` (no trailing newline).
    static func dumps(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        append(value, level: 0, to: &out)
        return out
    }

    private static func newline(_ level: Int, _ out: inout [UInt8]) {
        out.append(0x0a)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
    }

    private static func append(_ value: JSONValue, level: Int, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case let .integer(i): out.append(contentsOf: String(i).utf8)
        case let .number(d): out.append(contentsOf: d.description.utf8)
        case let .string(s): appendString(s, to: &out)
        case let .array(elements):
            guard !elements.isEmpty else { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1, &out)
                append(element, level: level + 1, to: &out)
            }
            newline(level, &out)
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            guard !members.isEmpty else { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1, &out)
                appendString(key, to: &out)
                out.append(contentsOf: ": ".utf8)
                if let member = members[key] { append(member, level: level + 1, to: &out) }
            }
            newline(level, &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A string with Python's `ensure_ascii` escapes.
    private static func appendString(_ s: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        func escape(_ unit: UInt16) {
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u")])
            for shift in stride(from: 12, through: 0, by: -4) { out.append(hex[Int((unit >> UInt16(shift)) & 0xf)]) }
        }
        out.append(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 0x22: out.append(contentsOf: [0x5c, 0x22])
            case 0x5c: out.append(contentsOf: [0x5c, 0x5c])
            case 0x0a: out.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5c, UInt8(ascii: "b")])
            case 0x0c: out.append(contentsOf: [0x5c, UInt8(ascii: "f")])
            case 0x20..<0x7f: out.append(UInt8(scalar.value))
            default: for unit in String(scalar).utf16 { escape(unit) }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
