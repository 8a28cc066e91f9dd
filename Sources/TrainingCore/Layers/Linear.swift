/// A fully connected layer, as PyTorch's `nn.Linear`: `y = x Wᵀ + b` with `weight` `[out, in]`
/// and `bias` `[out]`.
public final class Linear: Module, UnaryLayer {
    public let weight: Parameter
    public let bias: Parameter?

    /// A layer with freshly initialised weights drawn from `generator`.
    public init(
        inFeatures: Int, outFeatures: Int, bias: Bool = true, initialization: Initialization = .pytorchDefault,
        generator: inout SeededGenerator
    ) {
        switch initialization {
        case .pytorchDefault:
            let bound = 1 / Float(max(inFeatures, 1)).squareRoot()
            weight = Parameter(Tensor.randomUniform([outFeatures, inFeatures], in: -bound...bound, generator: &generator))
            self.bias = bias
                ? Parameter(Tensor.randomUniform([outFeatures], in: -bound...bound, generator: &generator)) : nil
        case let .normal(standardDeviation):
            weight = Parameter(
                Tensor.randomNormal([outFeatures, inFeatures], standardDeviation: standardDeviation, generator: &generator))
            self.bias = bias ? Parameter(Tensor.zeros([outFeatures])) : nil
        }
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    override public var namedLocalParameters: [(name: String, parameter: Parameter)] {
        if let bias { [("weight", weight), ("bias", bias)] } else { [("weight", weight)] }
    }

    /// `[..., in]` to `[..., out]`.
    public func callAsFunction(_ input: Variable) -> Variable {
        linear(input, weight: weight.variable, bias: bias?.variable)
    }
}
