/// GPT-2's fully connected layer (HF's `transformers.pytorch_utils.Conv1D`): `y = x W + b` with
/// `weight` `[in, out]`, the transpose of ``Linear``'s, so HF checkpoints load as they are.
public final class Conv1D: Module, UnaryLayer {
    public let weight: Parameter
    public let bias: Parameter

    /// A layer with weights normal(0, `standardDeviation`) drawn from `generator` and a zero bias
    /// (HF's GPT-2 initialisation).
    public init(inFeatures: Int, outFeatures: Int, standardDeviation: Float, generator: inout SeededGenerator) {
        weight = Parameter(
            Tensor.randomNormal([inFeatures, outFeatures], standardDeviation: standardDeviation, generator: &generator))
        bias = Parameter(Tensor.zeros([outFeatures]))
    }

    public var inFeatures: Int { weight.shape[0] }
    public var outFeatures: Int { weight.shape[1] }

    override public var namedLocalParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias)]
    }

    /// `[..., in]` to `[..., out]`.
    public func callAsFunction(_ input: Variable) -> Variable {
        conv1D(input, weight: weight.variable, bias: bias.variable)
    }
}
