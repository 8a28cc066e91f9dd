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

    public init(layers: Int, hidden: Int, heads: Int, keyValueHeads: Int? = nil, headSize: Int? = nil,
                intermediate: Int? = nil, vocabulary: Int? = nil, positions: Int? = nil)
    {
        self.layers = layers
        self.hidden = hidden
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headSize = headSize
        self.intermediate = intermediate
        self.vocabulary = vocabulary
        self.positions = positions
    }

    /// hidden / heads when it divides, else `nil`; the stated head size wins.
    public var resolvedHeadSize: Int? {
        if let headSize { return headSize }
        guard heads > 0, hidden % heads == 0 else { return nil }
        return hidden / heads
    }
}
