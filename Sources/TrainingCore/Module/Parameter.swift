/// A trainable tensor owned by a ``Module``: its value, its accumulated gradient and whether
/// optimisers may change it.
///
/// Parameters are reference types so that a module, its optimiser and the graph of a forward
/// pass all see the same one. Values change only through ``Module/load(stateDict:verify:)`` and
/// optimiser steps.
public final class Parameter {
    /// The current value.
    public internal(set) var value: Tensor
    /// The gradient accumulated by `backward()` since the last `zeroGrad()`; `nil` when none.
    public internal(set) var grad: Tensor?
    /// Whether `backward()` computes a gradient for this parameter and optimisers update it.
    /// Frozen parameters (`false`) cost no gradient computation at all.
    public var isTrainable: Bool

    /// A parameter with an initial value, trainable by default.
    public init(_ value: Tensor, isTrainable: Bool = true) {
        self.value = value
        self.isTrainable = isTrainable
    }

    /// The shape of ``value``.
    public var shape: [Int] { value.shape }

    /// A leaf variable reading this parameter, for a forward pass; it requires a gradient when the
    /// parameter is trainable and gradients are being recorded.
    public var variable: Variable {
        Variable(value: value, parameter: self, requiresGrad: isTrainable && GradMode.isEnabled)
    }

    /// Forgets the accumulated gradient.
    public func zeroGrad() {
        grad = nil
    }

    func accumulateGradient(_ gradient: Tensor) {
        if grad == nil {
            grad = gradient
        } else {
            grad?.add(gradient)
        }
    }
}
