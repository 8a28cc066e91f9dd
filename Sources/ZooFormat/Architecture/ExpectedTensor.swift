/// A tensor an architecture expects.
public struct ExpectedTensor: Sendable, Equatable {
    public enum Role: Sendable, Equatable {
        /// Part of the model: missing is a finding.
        case required
        /// A parameter that may be absent: pooler, task heads, an `lm_head` tied to the embedding.
        case optional
        /// A buffer (position ids, causal masks): neither required nor a parameter; shape unchecked.
        case buffer
    }

    public var name: String
    /// Outermost dimension first (zoo order); `nil` for a dimension the config does not give.
    public var shape: [Int?]
    public var role: Role

    public init(_ name: String, _ shape: [Int?], _ role: Role = .required) {
        self.name = name
        self.shape = shape
        self.role = role
    }

    /// Whether `found` agrees with ``shape`` (rank and every known dimension).
    public func accepts(_ found: [Int]) -> Bool {
        guard found.count == shape.count else { return false }
        for (want, got) in zip(shape, found) { if let want, want != got { return false } }
        return true
    }
}
