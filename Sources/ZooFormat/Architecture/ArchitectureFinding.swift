/// One way a checkpoint's tensors disagree with its declared architecture.
public struct ArchitectureFinding: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A tensor the config implies is absent.
        case missing
        /// A tensor no part of the architecture has.
        case unexpected
        /// A tensor has the expected name but another shape.
        case misshaped
        /// The tensors hold another number of layers than the config declares.
        case layerCount
        /// The head counts do not divide the hidden size (or each other).
        case headCount
    }

    public var kind: Kind
    /// The tensor's name (for `layerCount` and `headCount`, the config key).
    public var name: String
    /// What the config implies (`nil` dimensions: not stated); for `missing` and `misshaped`.
    public var expectedShape: [Int?]?
    /// What the checkpoint holds; for `unexpected` and `misshaped`.
    public var foundShape: [Int]?
    /// The sentence for `layerCount` and `headCount`.
    public var detail: String?

    public init(kind: Kind, name: String, expectedShape: [Int?]? = nil, foundShape: [Int]? = nil, detail: String? = nil) {
        self.kind = kind
        self.name = name
        self.expectedShape = expectedShape
        self.foundShape = foundShape
        self.detail = detail
    }

    /// Whether the tensors contradict the config (a wrong shape or layer count), as opposed to
    /// a tensor being absent or extra, which Hugging Face itself tolerates with a warning.
    public var isContradiction: Bool { kind == .misshaped || kind == .layerCount || kind == .headCount }

    public var description: String {
        switch kind {
        case .missing: "missing tensor \(name) (expected \(Self.render(expectedShape ?? [])))"
        case .unexpected: "unexpected tensor \(name) \(Self.render((foundShape ?? []).map { $0 }))"
        case .misshaped:
            "tensor \(name) is \(Self.render((foundShape ?? []).map { $0 })), expected \(Self.render(expectedShape ?? []))"
        case .layerCount, .headCount: detail ?? name
        }
    }

    /// `[768, ?]`: a shape with `?` for a dimension the config does not state.
    public static func render(_ shape: [Int?]) -> String {
        "[" + shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
    }
}
