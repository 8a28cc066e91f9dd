import Foundation

/// How the next token is chosen from a row of logits during generation.
///
/// Sampling applies HF's logits processors in HF's order: temperature, then top-k, then top-p
/// (nucleus), then draws from the renormalised distribution with a ``SeededGenerator``, so a seed
/// always gives the same tokens.
public enum TokenSampling: Sendable, Equatable {
    /// The most likely token (the first one on a tie).
    case greedy
    /// A draw from `softmax(logits / temperature)` restricted to the `topK` most likely tokens
    /// (`nil` or 0: all) and then to the smallest set of most likely tokens whose probability
    /// reaches `topP` (`nil` or 1: all).
    case sample(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil)

    /// Throws for a temperature that is not positive and finite, a negative top-k or a top-p
    /// outside (0, 1].
    public func validate() throws(ModelInputError) {
        guard case let .sample(temperature, topK, topP) = self else { return }
        guard temperature > 0, temperature.isFinite else {
            throw ModelInputError(reason: .invalidSetting(name: "temperature", value: "\(temperature)", expected: "> 0"))
        }
        if let topK, topK < 0 {
            throw ModelInputError(reason: .invalidSetting(name: "top-k", value: "\(topK)", expected: ">= 0"))
        }
        if let topP, !(topP > 0 && topP <= 1) {
            throw ModelInputError(reason: .invalidSetting(name: "top-p", value: "\(topP)", expected: "in (0, 1]"))
        }
    }

    /// The chosen token id, an index into `logits`.
    public func choose(from logits: UnsafeBufferPointer<Float>, generator: inout SeededGenerator) -> Int {
        precondition(!logits.isEmpty, "no logits to choose from")
        switch self {
        case .greedy:
            var best = 0
            for i in 1..<logits.count where logits[i] > logits[best] { best = i }
            return best
        case let .sample(temperature, topK, topP):
            // Candidates, most likely first (stable: equal logits keep id order).
            var order = Array(logits.indices)
            order.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            if let topK, topK > 0, topK < order.count {
                // HF keeps every token whose logit ties the k-th.
                let threshold = logits[order[topK - 1]]
                var end = topK
                while end < order.count, logits[order[end]] >= threshold { end += 1 }
                order.removeSubrange(end...)
            }
            let top = Double(logits[order[0]])
            var weights = order.map { Foundation.exp((Double(logits[$0]) - top) / Double(temperature)) }
            if let topP, topP < 1 {
                let total = weights.reduce(0, +)
                var cumulative = 0.0
                var keep = 0
                // The smallest prefix whose probability reaches topP (always at least one token).
                while keep < weights.count {
                    cumulative += weights[keep]
                    keep += 1
                    if cumulative / total >= Double(topP) { break }
                }
                order.removeSubrange(keep...)
                weights.removeSubrange(keep...)
            }
            let total = weights.reduce(0, +)
            let draw = Double(generator.next() >> 11) * 0x1p-53 * total
            var cumulative = 0.0
            for (id, weight) in zip(order, weights) {
                cumulative += weight
                if draw < cumulative { return id }
            }
            return order[order.count - 1]
        }
    }
}
