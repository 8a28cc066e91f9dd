import Foundation

/// Rules that turn checkpoint tensor names into model parameter names, applied in order.
///
/// ```swift
/// // A BertModel checkpoint ("encoder.layer.0...") into BertForSequenceClassification ("bert.encoder..."):
/// let mapping: KeyMapping = [.addPrefix("bert.")]
/// // An old TF-ported checkpoint ("LayerNorm.gamma") under a "model." prefix:
/// let fixed = KeyMapping([.stripPrefix("model.")] + KeyMapping.huggingFaceBERT.rules)
/// fixed.map("model.embeddings.LayerNorm.gamma")   // "embeddings.LayerNorm.weight"
/// ```
public struct KeyMapping: Sendable, Equatable, ExpressibleByArrayLiteral {
    /// One renaming step.
    public enum Rule: Sendable, Equatable {
        /// Removes the prefix from names that start with it; other names pass unchanged.
        case stripPrefix(String)
        /// Puts the prefix in front of every name.
        case addPrefix(String)
        /// Replaces every match of the regular expression (`NSRegularExpression` syntax) with the
        /// template, where `$1`... name capture groups.
        case rename(pattern: String, replacement: String)
    }

    public var rules: [Rule]

    public init(_ rules: [Rule]) {
        self.rules = rules
    }

    public init(arrayLiteral rules: Rule...) {
        self.rules = rules
    }

    /// The fix-up Hugging Face applies to old BERT checkpoints (ported from TensorFlow):
    /// `LayerNorm.gamma` -> `LayerNorm.weight`, `LayerNorm.beta` -> `LayerNorm.bias`.
    public static let huggingFaceBERT: KeyMapping = [
        .rename(pattern: #"(^|\.)LayerNorm\.gamma$"#, replacement: "$1LayerNorm.weight"),
        .rename(pattern: #"(^|\.)LayerNorm\.beta$"#, replacement: "$1LayerNorm.bias"),
    ]

    /// The name `name` is loaded under. A `rename` whose pattern does not compile changes
    /// nothing (``compiled()`` reports it; the loader throws).
    public func map(_ name: String) -> String {
        rules.reduce(name) { name, rule in
            let regex: NSRegularExpression?
            if case let .rename(pattern, _) = rule {
                guard let compiled = try? NSRegularExpression(pattern: pattern) else { return name }
                regex = compiled
            } else {
                regex = nil
            }
            return CompiledKeyMapping.apply(rule, regex: regex, to: name)
        }
    }

    /// The rules with their regular expressions compiled once, for mapping many names.
    ///
    /// - Throws: ``CheckpointLoadError`` with reason `.invalidKeyPattern` naming the pattern.
    public func compiled() throws(CheckpointLoadError) -> CompiledKeyMapping {
        var steps: [(Rule, NSRegularExpression?)] = []
        for rule in rules {
            guard case let .rename(pattern, _) = rule else {
                steps.append((rule, nil))
                continue
            }
            do {
                steps.append((rule, try NSRegularExpression(pattern: pattern)))
            } catch {
                throw CheckpointLoadError(
                    location: "key mapping", reason: .invalidKeyPattern(pattern, message: "\(error.localizedDescription)"))
            }
        }
        return CompiledKeyMapping(steps: steps)
    }
}

/// A ``KeyMapping`` with its regular expressions compiled.
public struct CompiledKeyMapping: @unchecked Sendable {
    // NSRegularExpression is immutable and documented thread-safe.
    fileprivate let steps: [(KeyMapping.Rule, NSRegularExpression?)]

    /// The name `name` is loaded under.
    public func map(_ name: String) -> String {
        steps.reduce(name) { name, step in Self.apply(step.0, regex: step.1, to: name) }
    }

    fileprivate static func apply(_ rule: KeyMapping.Rule, regex: NSRegularExpression?, to name: String) -> String {
        switch rule {
        case let .stripPrefix(prefix):
            return name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
        case let .addPrefix(prefix):
            return prefix + name
        case let .rename(_, replacement):
            guard let regex else { return name }
            let range = NSRange(name.startIndex..., in: name)
            return regex.stringByReplacingMatches(in: name, range: range, withTemplate: replacement)
        }
    }
}
