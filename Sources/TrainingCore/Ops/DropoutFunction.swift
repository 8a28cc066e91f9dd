/// Zeroes each element with probability `probability` and scales the others by
/// `1 / (1 - probability)`, as PyTorch's `F.dropout` in training mode.
///
/// The mask comes from `generator`, so a seed makes it reproducible. A probability of 0 returns
/// `input` itself.
public func dropout(_ input: Variable, probability: Float, generator: inout SeededGenerator) -> Variable {
    precondition(probability >= 0 && probability <= 1, "dropout probability \(probability) is outside [0, 1]")
    guard probability > 0 else { return input }
    let mask = Tensor.dropoutMask(input.shape, probability: probability, generator: &generator)
    return input * Variable(mask)
}

extension Tensor {
    /// Elements `0` (dropped, with probability `probability`) or `1 / (1 - probability)` (kept).
    static func dropoutMask(_ shape: [Int], probability: Float, generator: inout SeededGenerator) -> Tensor {
        let count = elementCount(of: shape)
        guard probability < 1 else { return Tensor.zeros(shape) }
        let keep = 1 / (1 - probability)
        // Compare 24 random bits with the threshold: dropped when below.
        let threshold = UInt64((Double(probability) * 0x1p24).rounded())
        var scalars = [Float](repeating: 0, count: count)
        scalars.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<count where generator.next() >> 40 >= threshold {
                buffer[i] = keep
            }
        }
        return Tensor(shape: shape, scalars: scalars)
    }
}
