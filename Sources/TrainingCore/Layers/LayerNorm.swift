/// Layer normalisation over the last dimension, as PyTorch's `nn.LayerNorm`: `weight` starts at 1,
/// `bias` at 0.
public final class LayerNorm: Module, UnaryLayer {
    public let weight: Parameter
    public let bias: Parameter
    public let epsilon: Float

    public init(features: Int, epsilon: Float = 1e-5) {
        weight = Parameter(Tensor.ones([features]))
        bias = Parameter(Tensor.zeros([features]))
        self.epsilon = epsilon
    }

    override public var namedLocalParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias)]
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        layerNorm(input, weight: weight.variable, bias: bias.variable, epsilon: epsilon)
    }
}
