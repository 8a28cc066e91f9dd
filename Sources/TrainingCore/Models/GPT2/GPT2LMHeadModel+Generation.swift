/// Autoregressive generation over token ids.
extension GPT2LMHeadModel {
    /// Continues `prompt` one token at a time and returns the new tokens (the prompt is not
    /// repeated), in evaluation mode and without gradients; the model's mode is restored after.
    ///
    /// Generation stops after `maxNewTokens` tokens, after `eosTokenID` (which is returned as the
    /// last token), or when the sequence fills the model's positions, whichever comes first.
    /// With `useCache` (the default) each step runs the model over one new position, reusing the
    /// keys and values of the earlier ones (``GPT2KeyValueCache``); without it, each step runs
    /// over the whole sequence. Both give the same tokens.
    ///
    /// - Parameters:
    ///   - sampling: ``TokenSampling/greedy``, or seeded sampling with temperature, top-k and top-p.
    ///   - seed: seeds the sampler; the same seed gives the same tokens.
    /// - Throws: ``ModelInputError`` for an empty prompt, an id outside the vocabulary, a prompt
    ///   longer than the positions, or invalid sampling settings.
    public func generate(
        prompt: [Int], maxNewTokens: Int, sampling: TokenSampling = .greedy, seed: UInt64 = 0,
        eosTokenID: Int? = nil, useCache: Bool = true
    ) throws(ModelInputError) -> [Int] {
        guard !prompt.isEmpty else { throw ModelInputError(reason: .emptyBatch) }
        try sampling.validate()
        try ModelInputError.checkIndices(prompt, field: "prompt", limit: config.vocabSize)
        guard prompt.count <= config.positions else {
            throw ModelInputError(reason: .sequenceTooLong(length: prompt.count, limit: config.positions))
        }
        let wasTraining = isTraining
        eval()
        defer { train(wasTraining) }
        var generator = SeededGenerator(seed: seed)
        var sequence = prompt
        var generated: [Int] = []
        var cache: GPT2KeyValueCache? = nil
        let result: Result<[Int], ModelInputError> = withNoGrad {
            Result { () throws(ModelInputError) in
                while generated.count < maxNewTokens, sequence.count <= config.positions {
                    let input = useCache && cache != nil ? [sequence[sequence.count - 1]] : sequence
                    let output = try transformer(TokenBatch(inputIDs: [input]), cache: useCache ? cache : nil)
                    if useCache { cache = output.cache }
                    // Only the last position's logits matter.
                    let last = output.lastHiddenState.reshaped([input.count, config.embeddingSize])
                        .gatheringRows([input.count - 1])
                    let token = logits(last).value.withUnsafeBufferPointer { sampling.choose(from: $0, generator: &generator) }
                    generated.append(token)
                    if token == eosTokenID { break }
                    sequence.append(token)
                    if sequence.count == config.positions { break }
                }
                return generated
            }
        }
        return try result.get()
    }
}
