/// The keys and values of the tokens seen so far, per transformer block: what incremental
/// decoding reuses so that each new token costs one position instead of the whole sequence
/// (HF's `past_key_values`).
///
/// ```swift
/// var output = try model(TokenBatch(inputIDs: [prompt]))            // cache of the prompt
/// let next = try model(TokenBatch(inputIDs: [[token]]), cache: output.cache)   // one position
/// ```
public struct GPT2KeyValueCache: Sendable, Equatable {
    /// Per block, `[batch, length, hidden]` keys (heads side by side, as the attention reads them).
    public internal(set) var keys: [Tensor]
    /// Per block, `[batch, length, hidden]` values.
    public internal(set) var values: [Tensor]

    /// An empty cache.
    public init() {
        keys = []
        values = []
    }

    /// The number of cached positions.
    public var length: Int { keys.first?.shape[1] ?? 0 }
    /// The batch size of the cached sequences (0 when empty).
    public var batchSize: Int { keys.first?.shape[0] ?? 0 }
    public var isEmpty: Bool { keys.isEmpty }
}
