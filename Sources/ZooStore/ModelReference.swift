import ZooFormat

/// How a command names a model in the store: `NAME[:TAG]`, `NAME@sha256:<hex>` (the model under
/// that name, tagged or not), a full digest `sha256:<hex>`, or a unique prefix of one (at least 4
/// hex digits, with or without `sha256:`).
///
/// Names are OCI-style repository names: runs of lowercase letters and digits separated by one
/// of `.` `_` `-` or `/`, at most 255 characters (`bert-tiny`, `google/bert.uncased`). Tags are
/// `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`; the default tag is `latest`.
///
/// ```swift
/// let ref = try ModelReference(parsing: "bert-tiny:v1")     // .tagged(name: "bert-tiny", tag: "v1")
/// let byDigest = try ModelReference(parsing: "3f2a9c")      // .digestPrefix("3f2a9c", mayBeName: true)
/// ```
public enum ModelReference: Hashable, Sendable, CustomStringConvertible {
    /// `NAME:TAG`.
    case tagged(name: String, tag: String)
    /// `NAME@sha256:<hex>`: model `digest` as stored under `name`, by an untagged ref (a pull by
    /// digest) or by any tag of that name.
    case untagged(name: String, digest: SHA256Digest)
    /// A full model digest.
    case digest(SHA256Digest)
    /// A digest prefix of 4 to 63 lowercase hex digits. `mayBeName` is true when it was written
    /// without `sha256:` and is also a valid name: a model called that (tag `latest`) wins.
    case digestPrefix(String, mayBeName: Bool)

    /// The tag used when a reference gives none.
    public static let defaultTag = "latest"
    /// The longest name accepted.
    public static let maxNameLength = 255
    /// The longest tag accepted.
    public static let maxTagLength = 128
    /// The shortest digest prefix accepted: shorter ones match too much by chance.
    public static let minPrefixLength = 4

    /// Parses `NAME[:TAG]`, `NAME@sha256:<hex>`, `sha256:<hex>`, `sha256:<hex prefix>` or a bare hex prefix.
    ///
    /// - Throws: ``StoreError`` with ``StoreError/Reason/invalidReference(_:why:)``,
    ///   ``StoreError/Reason/invalidName(_:why:)`` or ``StoreError/Reason/invalidTag(_:why:)``.
    public init(parsing text: String) throws(StoreError) {
        if text.hasPrefix(SHA256Digest.prefix) {
            let hex = String(text.dropFirst(SHA256Digest.prefix.count))
            guard hex.utf8.allSatisfy(Self.isLowerHex) else {
                throw StoreError(.invalidReference(text, why: "a digest is sha256: followed by lowercase hex digits"))
            }
            self = try Self.fromHex(hex, text: text, mayBeName: false)
            return
        }
        if let at = text.firstIndex(of: "@") {
            let name = String(text[..<at])
            let rest = String(text[text.index(after: at)...])
            guard rest.hasPrefix(SHA256Digest.prefix), let digest = SHA256Digest(parsing: rest) else {
                throw StoreError(.invalidReference(text, why: "after \"@\" comes a full digest, sha256: and 64 lowercase hex digits"))
            }
            try Self.validateName(name)
            self = .untagged(name: name, digest: digest)
            return
        }
        let name: String, tag: String
        if let colon = text.lastIndex(of: ":") {
            name = String(text[..<colon])
            tag = String(text[text.index(after: colon)...])
            guard !tag.isEmpty else { throw StoreError(.invalidReference(text, why: "empty tag after \":\"")) }
        } else {
            name = text
            tag = Self.defaultTag
            if text.utf8.count >= Self.minPrefixLength, text.utf8.count <= 64, text.utf8.allSatisfy(Self.isLowerHex) {
                self = try Self.fromHex(text, text: text, mayBeName: true)
                return
            }
        }
        try Self.validateName(name)
        try Self.validateTag(tag)
        self = .tagged(name: name, tag: tag)
    }

    /// A `NAME:TAG` reference, validated.
    public init(name: String, tag: String = Self.defaultTag) throws(StoreError) {
        try Self.validateName(name)
        try Self.validateTag(tag)
        self = .tagged(name: name, tag: tag)
    }

    private static func fromHex(_ hex: String, text: String, mayBeName: Bool) throws(StoreError) -> ModelReference {
        if let digest = SHA256Digest(hex: hex) { return .digest(digest) }
        guard hex.utf8.count >= minPrefixLength else {
            throw StoreError(.invalidReference(text, why: "a digest prefix needs at least \(minPrefixLength) hex digits"))
        }
        guard hex.utf8.count < 64 else {
            throw StoreError(.invalidReference(text, why: "a digest has 64 hex digits"))
        }
        return .digestPrefix(hex, mayBeName: mayBeName && (try? validateName(hex)) != nil)
    }

    /// The `(name, tag)` this reference can be stored under, if it can name a model: a tagged
    /// reference, or a bare hex word that is also a valid name (tag `latest`).
    public var nameAndTag: (name: String, tag: String)? {
        switch self {
        case let .tagged(name, tag): (name, tag)
        case let .digestPrefix(hex, mayBeName: true): (hex, Self.defaultTag)
        case .untagged, .digest, .digestPrefix: nil
        }
    }

    /// `NAME:TAG`, `NAME@sha256:<hex>`, `sha256:<hex>` or the prefix as written.
    public var description: String {
        switch self {
        case let .tagged(name, tag): "\(name):\(tag)"
        case let .untagged(name, digest): "\(name)@\(digest)"
        case let .digest(digest): digest.description
        case let .digestPrefix(hex, mayBeName): mayBeName ? hex : SHA256Digest.prefix + hex
        }
    }

    // MARK: Rules

    /// Checks the naming rule; the error says which character or part breaks it.
    public static func validateName(_ name: String) throws(StoreError) {
        func fail(_ why: String) -> StoreError { StoreError(.invalidName(name, why: why)) }
        guard !name.isEmpty else { throw fail("empty") }
        let bytes = Array(name.utf8)
        guard bytes.count <= maxNameLength else { throw fail("longer than \(maxNameLength) characters") }
        var previousIsSeparator = true  // so a leading separator is caught
        for (i, byte) in bytes.enumerated() {
            if isLowerAlphanumeric(byte) {
                previousIsSeparator = false
            } else if isNameSeparator(byte) {
                guard !previousIsSeparator else {
                    throw fail(i == 0
                        ? "must start with a lowercase letter or digit"
                        : "separator \"\(Character(Unicode.Scalar(byte)))\" at position \(i + 1) must sit between letters or digits")
                }
                previousIsSeparator = true
            } else if byte >= 0x41 && byte <= 0x5a {
                throw fail("uppercase \"\(Character(Unicode.Scalar(byte)))\" at position \(i + 1): names are lowercase")
            } else {
                throw fail("character \(describe(byte)) at position \(i + 1) is not allowed (use a-z, 0-9, \".\", \"_\", \"-\", \"/\")")
            }
        }
        if previousIsSeparator { throw fail("must end with a lowercase letter or digit") }
    }

    /// Checks the tagging rule.
    public static func validateTag(_ tag: String) throws(StoreError) {
        func fail(_ why: String) -> StoreError { StoreError(.invalidTag(tag, why: why)) }
        let bytes = Array(tag.utf8)
        guard let first = bytes.first else { throw fail("empty") }
        guard bytes.count <= maxTagLength else { throw fail("longer than \(maxTagLength) characters") }
        guard isAlphanumeric(first) || first == UInt8(ascii: "_") else {
            throw fail("must start with a letter, a digit or \"_\"")
        }
        for (i, byte) in bytes.enumerated() where !(isAlphanumeric(byte) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-"))
        {
            throw fail("character \(describe(byte)) at position \(i + 1) is not allowed (use A-Z, a-z, 0-9, \".\", \"_\", \"-\")")
        }
    }

    /// Turns free text (a manifest's model name, a file name) into a valid name, or `nil` when
    /// nothing usable is left: lowercased, runs of other characters become one `-`.
    public static func sanitizedName(_ text: String) -> String? {
        var out: [UInt8] = []
        for byte in text.lowercased().utf8 {
            if isLowerAlphanumeric(byte) {
                out.append(byte)
            } else if let last = out.last, !isNameSeparator(last) {
                out.append(isNameSeparator(byte) ? byte : UInt8(ascii: "-"))
            }
        }
        while let last = out.last, isNameSeparator(last) { out.removeLast() }
        if out.count > maxNameLength {
            out = Array(out.prefix(maxNameLength))
            while let last = out.last, isNameSeparator(last) { out.removeLast() }
        }
        let name = String(decoding: out, as: UTF8.self)
        return (try? validateName(name)) != nil ? name : nil
    }

    static func isLowerHex(_ byte: UInt8) -> Bool { (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) }
    static func isLowerAlphanumeric(_ byte: UInt8) -> Bool { (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7a) }
    static func isAlphanumeric(_ byte: UInt8) -> Bool { isLowerAlphanumeric(byte) || (byte >= 0x41 && byte <= 0x5a) }
    static func isNameSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/")
    }
    private static func describe(_ byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7f ? "\"\(Character(Unicode.Scalar(byte)))\"" : "0x" + String(byte, radix: 16)
    }
}
