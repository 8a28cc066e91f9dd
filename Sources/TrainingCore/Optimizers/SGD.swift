/// Stochastic gradient descent with momentum and (coupled, L2) weight decay, as PyTorch's
/// `torch.optim.SGD` with dampening 0:
/// `g += weightDecay * p; v = momentum * v + g` (`v = g` on the first step); `p -= lr * v`.
public final class SGD: Optimizer<SGDState> {
    public let momentum: Float

    public init(groups: [ParameterGroup], momentum: Float = 0) {
        self.momentum = momentum
        super.init(groups: groups)
    }

    /// One group of parameters.
    public convenience init(parameters: [Parameter], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.init(
            groups: [ParameterGroup(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay)],
            momentum: momentum)
    }

    override public func makeState(for value: Tensor) -> SGDState {
        SGDState(velocity: nil)
    }

    override public func update(
        _ value: inout Tensor, gradient: Tensor, state: inout SGDState, group: ParameterGroup
    ) {
        var direction = gradient
        if group.weightDecay != 0 { direction.add(value, scaledBy: group.weightDecay) }
        if momentum != 0 {
            if var velocity = state.velocity {
                state.velocity = nil  // keep `velocity` uniquely referenced
                velocity.scale(by: momentum)
                velocity.add(direction)
                direction = velocity
            }
            state.velocity = direction
        }
        value.add(direction, scaledBy: -group.learningRate)
    }
}

/// SGD's per-parameter state.
public struct SGDState {
    /// The momentum buffer, after the first step when momentum is used.
    public var velocity: Tensor?
}
