/// A SHA-256 digest, written `sha256:` followed by 64 lowercase hex digits.
///
/// A value in hand is always well-formed: the only ways to make one are hashing bytes and
/// ``init(parsing:)``, which checks the text.
public struct SHA256Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 64 lowercase hex digits.
    public let hex: String

    /// The algorithm prefix used in every textual form.
    public static let prefix = "sha256:"

    /// Parses `sha256:<64 lowercase hex>`; returns `nil` for anything else.
    public init?(parsing text: String) {
        let utf8 = text.utf8
        guard utf8.count == 71, text.hasPrefix(Self.prefix) else { return nil }
        self.init(hex: String(Substring(utf8.dropFirst(7))))
    }

    /// Accepts exactly 64 lowercase hex digits.
    public init?(hex: String) {
        var text = hex
        let valid = text.withUTF8 { utf8 in
            utf8.count == 64 && utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        }
        guard valid else { return nil }
        self.hex = text
    }

    /// Wraps hex digits the caller has already checked (64 lowercase hex digits), without
    /// checking them again: ``ManifestDecoder`` validates them while it scans the manifest.
    package init(checkedHex hex: String) {
        self.hex = hex
    }

    init(bytes: some Collection<UInt8>) {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        hex = String(decoding: out, as: UTF8.self)
    }

    /// `sha256:<hex>`.
    public var description: String { Self.prefix + hex }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.hex < rhs.hex }
}
