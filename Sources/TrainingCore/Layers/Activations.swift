/// `max(x, 0)` as a layer (PyTorch's `nn.ReLU`).
public final class ReLU: Module, UnaryLayer {
    override public init() {}
    public func callAsFunction(_ input: Variable) -> Variable { input.relu() }
}

/// The exact, erf-based GELU as a layer (PyTorch's `nn.GELU()`).
public final class GELU: Module, UnaryLayer {
    override public init() {}
    public func callAsFunction(_ input: Variable) -> Variable { input.gelu() }
}

/// The hyperbolic tangent as a layer (PyTorch's `nn.Tanh`).
public final class Tanh: Module, UnaryLayer {
    override public init() {}
    public func callAsFunction(_ input: Variable) -> Variable { input.tanh() }
}
