/// Parameters that share a learning rate and weight decay inside an optimiser (PyTorch's
/// `param_groups`), e.g. a small rate for a pretrained body and a larger one for a new head.
public struct ParameterGroup {
    public var parameters: [Parameter]
    public var learningRate: Float
    public var weightDecay: Float

    public init(parameters: [Parameter], learningRate: Float, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.weightDecay = weightDecay
    }

    /// The parameters of `module` whose names match any pattern.
    public init(_ module: Module, matching patterns: [NamePattern], learningRate: Float, weightDecay: Float = 0) {
        self.init(
            parameters: module.parameters(matching: patterns).map(\.parameter), learningRate: learningRate,
            weightDecay: weightDecay)
    }
}
