/// The sizes an architecture's tensors are derived from. `nil` means the config does not say,
/// and the dimensions that depend on it are not checked.
public struct ArchitectureDimensions: Sendable, Equatable {
    public var layers: Int
    public var hidden: Int
    public var heads: Int
    /// Key/value heads (grouped-query attention); `nil` when every head has its own.
    public var keyValueHeads: Int?
    /// Per-head size, when the config states it (else hidden / heads).
    public var headSize: Int?
    public var intermediate: Int?
    public var vocabulary: Int?
    public var positions: Int?
    /// Experts per mixture-of-experts layer (`num_local_experts`, GGUF `expert_count`); `nil`
    /// for a dense MLP.
    public var experts: Int?
    /// One expert's MLP width, when the config states it apart from ``intermediate``.
    public var expertIntermediate: Int?

    public init(layers: Int, hidden: Int, heads: Int, keyValueHeads: Int? = nil, headSize: Int? = nil,
                intermediate: Int? = nil, vocabulary: Int? = nil, positions: Int? = nil, experts: Int? = nil,
                expertIntermediate: Int? = nil)
    {
        self.layers = layers
        self.hidden = hidden
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headSize = headSize
        self.intermediate = intermediate
        self.vocabulary = vocabulary
        self.positions = positions
        self.experts = experts
        self.expertIntermediate = expertIntermediate
    }

    /// hidden / heads when it divides, else `nil`; the stated head size wins.
    public var resolvedHeadSize: Int? {
        if let headSize { return headSize }
        guard heads > 0, hidden % heads == 0 else { return nil }
        return hidden / heads
    }
}
