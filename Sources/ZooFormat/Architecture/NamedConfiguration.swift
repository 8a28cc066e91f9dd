/// A well-known size of an architecture, e.g. BERT-base (12 layers x 768 hidden x 12 heads).
public struct NamedConfiguration: Sendable, Equatable {
    public var name: String
    public var layers: Int
    public var hidden: Int
    public var heads: Int
    /// Also required to match when given (tells LLaMA-2 7B from LLaMA-3 8B).
    public var keyValueHeads: Int?
    public var vocabulary: Int?
    /// Experts per layer: a named MoE size matches only MoE dimensions, and a dense one only dense.
    public var experts: Int?

    public init(_ name: String, layers: Int, hidden: Int, heads: Int, keyValueHeads: Int? = nil, vocabulary: Int? = nil,
                experts: Int? = nil)
    {
        self.name = name
        self.layers = layers
        self.hidden = hidden
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.vocabulary = vocabulary
        self.experts = experts
    }

    /// Whether `dimensions` are this configuration's.
    public func matches(_ dimensions: ArchitectureDimensions) -> Bool {
        guard layers == dimensions.layers, hidden == dimensions.hidden, heads == dimensions.heads else { return false }
        if let keyValueHeads, keyValueHeads != (dimensions.keyValueHeads ?? dimensions.heads) { return false }
        if let vocabulary, vocabulary != dimensions.vocabulary { return false }
        if experts != dimensions.experts { return false }
        return true
    }
}
