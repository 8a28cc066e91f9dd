/// The shared part of the optimisers: parameter groups, the walk over parameters and the
/// per-parameter state; subclasses implement only ``makeState(for:)`` and
/// ``update(_:gradient:state:group:)``.
///
/// A step skips frozen parameters and parameters without a gradient, as PyTorch does.
///
/// ```swift
/// let optimizer = AdamW(groups: [
///     ParameterGroup(model, matching: ["bert"], learningRate: 2e-5, weightDecay: 0.01),
///     ParameterGroup(model, matching: ["classifier"], learningRate: 1e-3),
/// ])
/// optimizer.zeroGrad(); try crossEntropy(logits: model(batch), labels: labels).backward(); optimizer.step()
/// ```
open class Optimizer<State> {
    /// The parameter groups; learning rates may be changed between steps (schedules).
    public var groups: [ParameterGroup]
    /// The number of completed steps.
    public private(set) var stepCount = 0
    private var states: [ObjectIdentifier: State] = [:]

    public init(groups: [ParameterGroup]) {
        self.groups = groups
    }

    /// Applies one update to every trainable parameter that has a gradient.
    public func step() {
        stepCount += 1
        for group in groups {
            for parameter in group.parameters where parameter.isTrainable {
                guard let gradient = parameter.grad else { continue }
                precondition(gradient.shape == parameter.shape, "gradient shape \(gradient.shape) for \(parameter.shape)")
                let key = ObjectIdentifier(parameter)
                var state = states.removeValue(forKey: key) ?? makeState(for: parameter.value)
                update(&parameter.value, gradient: gradient, state: &state, group: group)
                states[key] = state
            }
        }
    }

    /// Clears the gradient of every parameter in every group.
    public func zeroGrad() {
        for group in groups {
            for parameter in group.parameters { parameter.zeroGrad() }
        }
    }

    /// The optimiser state of a parameter (e.g. Adam's moments), once it has been stepped.
    public func state(for parameter: Parameter) -> State? {
        states[ObjectIdentifier(parameter)]
    }

    /// The initial state of a parameter. Subclasses must override.
    open func makeState(for value: Tensor) -> State {
        preconditionFailure("\(type(of: self)) must override makeState(for:)")
    }

    /// Updates one parameter in place. Subclasses must override; ``stepCount`` is already the
    /// number of this step (1 for the first).
    open func update(_ value: inout Tensor, gradient: Tensor, state: inout State, group: ParameterGroup) {
        preconditionFailure("\(type(of: self)) must override update(_:gradient:state:group:)")
    }
}
