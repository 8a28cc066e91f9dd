/// Selects parameters by dotted name: an exact name, a prefix, a glob or a regular expression.
///
/// A string literal is an exact name or a module path (`"bert.embeddings"` selects every
/// parameter under it), or a glob when it contains `*` or `?`.
///
/// ```swift
/// model.freeze(matching: ["bert.embeddings", .prefix("bert.encoder.layer.0."), .glob("*.LayerNorm.*")])
/// ```
public struct NamePattern: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// How ``text`` is interpreted.
    public enum Kind: Hashable, Sendable {
        /// The name itself, or a module path whose parameters all match.
        case nameOrModule
        /// Names starting with the text.
        case prefix
        /// `*` matches any run of characters (dots included), `?` any one character.
        case glob
        /// A regular expression that must match the whole name.
        case regex
    }

    public let kind: Kind
    public let text: String

    private init(kind: Kind, text: String) {
        self.kind = kind
        self.text = text
    }

    /// An exact parameter name or a module path.
    public static func name(_ text: String) -> NamePattern { NamePattern(kind: .nameOrModule, text: text) }

    /// Every name that starts with `text`, e.g. `"bert.encoder.layer.0."`.
    public static func prefix(_ text: String) -> NamePattern { NamePattern(kind: .prefix, text: text) }

    /// A glob: `*` matches any run of characters including dots, `?` one character.
    public static func glob(_ text: String) -> NamePattern { NamePattern(kind: .glob, text: text) }

    /// A regular expression that must match the whole name.
    ///
    /// - Throws: ``ModuleError`` with reason `.invalidPattern` when `text` does not compile.
    public static func regex(_ text: String) throws(ModuleError) -> NamePattern {
        do {
            _ = try Regex(text)
        } catch {
            throw ModuleError(reason: .invalidPattern(text, message: "\(error)"))
        }
        return NamePattern(kind: .regex, text: text)
    }

    /// A glob when the text contains `*` or `?`, otherwise an exact name or module path.
    public init(stringLiteral text: String) {
        self.init(kind: text.contains(where: { $0 == "*" || $0 == "?" }) ? .glob : .nameOrModule, text: text)
    }

    /// Whether `name` matches.
    public func matches(_ name: String) -> Bool {
        matcher()(name)
    }

    public var description: String {
        switch kind {
        case .nameOrModule: "\"\(text)\""
        case .prefix: "prefix \"\(text)\""
        case .glob: "glob \"\(text)\""
        case .regex: "regex \"\(text)\""
        }
    }

    /// A test compiled once, for matching many names.
    func matcher() -> (String) -> Bool {
        switch kind {
        case .nameOrModule:
            let modulePrefix = text + "."
            return { [text] name in name == text || name.hasPrefix(modulePrefix) }
        case .prefix:
            return { [text] name in name.hasPrefix(text) }
        case .glob:
            let pattern = Array(text.utf8)
            return { name in NamePattern.globMatches(pattern, Array(name.utf8)) }
        case .regex:
            // Validated by `regex(_:)`, the only way to make this kind.
            guard let regex = try? Regex(text) else { return { _ in false } }
            return { name in (try? regex.wholeMatch(in: name)) != nil }
        }
    }

    /// Iterative glob matching with backtracking to the last `*`.
    private static func globMatches(_ pattern: [UInt8], _ name: [UInt8]) -> Bool {
        var p = 0, n = 0
        var star: Int? = nil, starName = 0
        while n < name.count {
            if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || pattern[p] == name[n]) {
                p += 1
                n += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                star = p
                starName = n
                p += 1
            } else if let star {
                p = star + 1
                starName += 1
                n = starName
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
