extension JSONValue {
    /// The RFC 8785 (JSON Canonicalization Scheme) bytes of this value: no white space,
    /// members sorted by the UTF-16 code units of their names, minimal string escapes and
    /// ECMAScript number formatting. Equal values always give equal bytes, so a digest of
    /// these bytes identifies the value.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        appendCanonical(to: &out)
        return out
    }

    func appendCanonical(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case let .integer(i): out.append(contentsOf: String(i).utf8)
        case let .number(d): out.append(contentsOf: Self.ecmaScriptString(d).utf8)
        case let .string(s): Self.appendQuoted(s, to: &out)
        case let .array(elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                element.appendCanonical(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            // UTF-8 byte order equals UTF-16 order unless a name holds a scalar >= U+E000 (lead byte >= 0xEE).
            let needsUTF16 = members.keys.contains { key in key.utf8.contains { $0 >= 0xEE } }
            let keys = needsUTF16
                ? members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
                : members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.appendQuoted(key, to: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.appendCanonical(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `s` as a JSON string with minimal escapes: `\"`, `\\`, `\b \f \n \r \t`, other
    /// control characters as `\u00xx` (lowercase hex), everything else as raw UTF-8. These are
    /// RFC 8785's rules, and also exactly what serde_json (safetensors' writer) emits.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = s
        // Fast path: most strings need no escape at all and are appended in one copy.
        let done = string.withUTF8 { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c }) else { return false }
            out.append(contentsOf: utf8)
            return true
        }
        if done {
            out.append(UInt8(ascii: "\""))
            return
        }
        let hex = Array("0123456789abcdef".utf8)
        for byte in s.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5c, 0x22])
            case 0x5c: out.append(contentsOf: [0x5c, 0x5c])
            case 0x08: out.append(contentsOf: [0x5c, UInt8(ascii: "b")])
            case 0x0c: out.append(contentsOf: [0x5c, UInt8(ascii: "f")])
            case 0x0a: out.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [0x5c, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xf)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `Number.prototype.toString()` of a finite double (ECMA-262, 7.1.12.1), which RFC 8785 requires.
    static func ecmaScriptString(_ value: Double) -> String {
        if value == 0 { return "0" }  // also -0
        if value < 0 { return "-" + ecmaScriptString(-value) }
        // Swift prints the shortest digits that round-trip; take them apart as value = 0.DIGITS x 10^n.
        let text = value.description  // "1e-12", "0.1", "1.5e+300", "100.0"
        let parts = text.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let exponent = parts.count > 1 ? Int(parts[1])! : 0
        var digits = Array(mantissa.filter { $0 != "." })
        var point = mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) }
            ?? mantissa.count
        while digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.last == "0" { digits.removeLast() }
        let k = digits.count
        let n = point + exponent
        let d = String(digits)
        if k <= n && n <= 21 { return d + String(repeating: "0", count: n - k) }
        if 0 < n && n <= 21 { return String(digits[..<n]) + "." + String(digits[n...]) }
        if -6 < n && n <= 0 { return "0." + String(repeating: "0", count: -n) + d }
        let e = n - 1
        let exponentText = (e < 0 ? "-" : "+") + String(abs(e))
        if k == 1 { return d + "e" + exponentText }
        return String(digits[0]) + "." + String(digits[1...]) + "e" + exponentText
    }
}
