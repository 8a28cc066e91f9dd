/// A tensor in the differentiation graph.
///
/// Operations on variables compute their value at once and, when gradients are being recorded
/// (see ``GradMode``) and an input requires a gradient, remember how to send a gradient back to
/// their inputs. ``backward(seed:)`` walks that graph in reverse and accumulates gradients into
/// the leaves: into ``Parameter/grad`` for a parameter's variable, into ``grad`` for a variable
/// made with `requiresGrad: true`.
///
/// ```swift
/// let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
/// let y = (x * x).sum()
/// y.backward()
/// x.grad   // [2, 4]
/// ```
public final class Variable {
    /// The computed value.
    public let value: Tensor
    /// Whether a gradient flows to this variable.
    public let requiresGrad: Bool
    /// The accumulated gradient of a leaf made with `requiresGrad: true`, after `backward()`.
    ///
    /// Parameters' variables accumulate into ``Parameter/grad`` instead; intermediate results
    /// never keep theirs.
    public internal(set) var grad: Tensor?

    /// How to send a gradient to the inputs; `nil` for leaves and constants.
    let node: Node?
    /// The parameter this leaf reads, if any.
    let parameter: Parameter?

    /// A leaf variable.
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.node = nil
        self.parameter = nil
    }

    init(value: Tensor, parameter: Parameter, requiresGrad: Bool) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.node = nil
        self.parameter = parameter
    }

    init(value: Tensor, node: Node?) {
        self.value = value
        self.requiresGrad = node != nil
        self.node = node
        self.parameter = nil
    }

    /// The shape of ``value``.
    public var shape: [Int] { value.shape }

    /// A recorded operation: its inputs and the function from the output's gradient to theirs.
    struct Node {
        let inputs: [Variable]
        /// Returns one gradient per input, `nil` for inputs that need none.
        let backward: (Tensor) -> [Tensor?]
    }

    /// Wraps an operation's result, recording `backward` when gradients are on and an input needs
    /// one. `backward` is only called with a gradient shaped like `value`.
    static func result(
        _ value: Tensor, inputs: [Variable], backward: @escaping (Tensor) -> [Tensor?]
    ) -> Variable {
        guard GradMode.isEnabled, inputs.contains(where: \.requiresGrad) else {
            return Variable(value: value, node: nil)
        }
        return Variable(value: value, node: Node(inputs: inputs, backward: backward))
    }

    /// Whether the next operation on these inputs will record its backward function; ops use it to
    /// skip saving intermediates for backward.
    static func isRecording(_ inputs: Variable...) -> Bool {
        GradMode.isEnabled && inputs.contains(where: \.requiresGrad)
    }
}
