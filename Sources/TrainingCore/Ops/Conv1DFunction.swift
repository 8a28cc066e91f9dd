/// GPT-2's `Conv1D` function, `x W + b` with `weight` `[in, out]` (the transpose of
/// ``linear(_:weight:bias:)``'s layout, as HF stores it: no transpose on load).
///
/// - Parameters:
///   - input: `[..., in]`; all leading dimensions are treated as rows.
///   - weight: `[in, out]`.
///   - bias: `[out]`, or `nil`.
/// - Returns: `[..., out]`.
public func conv1D(_ input: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
    affine(input, weight: weight, bias: bias, transposedWeight: false, function: "conv1D")
}
