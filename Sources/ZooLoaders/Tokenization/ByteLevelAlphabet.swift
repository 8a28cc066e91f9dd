/// GPT-2's byte-to-character table (`bytes_to_unicode` in openai/gpt-2 `encoder.py`): byte-level
/// BPE vocabularies spell every byte as one printable character, so that tokens are strings
/// without spaces or control characters. Printable Latin-1 bytes (`!`...`~`, `¡`...`¬`,
/// `®`...`ÿ`) stand for themselves; the other 68 bytes, in order, map to U+0100 onwards (the
/// space 0x20 becomes `Ġ` U+0120, the newline 0x0A `Ċ` U+010A).
public enum ByteLevelAlphabet {
    /// The character of each byte value, indexed by the byte.
    public static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if standsForItself(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                // 256 + n for n < 68 is always a valid scalar (U+0100...U+0143).
                table[byte] = Unicode.Scalar(next) ?? " "
                next += 1
            }
        }
        return table
    }()

    /// The byte a character of the table stands for, or `nil` for any other character.
    @inlinable
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 { return standsForItself(UInt8(value)) ? UInt8(value) : nil }
        guard value < 256 + 68 else { return nil }
        return remapped[Int(value - 256)]
    }

    /// The bytes remapped to U+0100 + n, in order.
    @usableFromInline
    static let remapped: [UInt8] = (0..<256).compactMap { standsForItself(UInt8($0)) ? nil : UInt8($0) }

    @usableFromInline
    static func standsForItself(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// `bytes` spelled in the table's characters.
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(scalars[Int(byte)]) }
        return String(text)
    }
}
