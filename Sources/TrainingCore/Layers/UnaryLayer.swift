/// A module that maps one variable to one variable, so it can be chained in a ``Sequential``.
public protocol UnaryLayer: Module {
    func callAsFunction(_ input: Variable) -> Variable
}

/// How a layer's weights start.
public enum Initialization: Hashable, Sendable {
    /// PyTorch's defaults: `Linear` weight and bias uniform in ±1/√in (Kaiming uniform with
    /// a = √5); `Embedding` weight standard normal.
    case pytorchDefault
    /// Normal with mean 0 and this standard deviation, biases 0 (BERT uses 0.02).
    case normal(standardDeviation: Float)
}
