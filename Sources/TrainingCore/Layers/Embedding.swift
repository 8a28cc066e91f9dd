/// A lookup table, as PyTorch's `nn.Embedding`: `weight` is `[count, dimension]`.
public final class Embedding: Module {
    public let weight: Parameter
    /// A row that gets no gradient and starts at zero (PyTorch's `padding_idx`).
    public let paddingIndex: Int?

    /// A table with freshly initialised rows drawn from `generator`.
    public init(
        count: Int, dimension: Int, paddingIndex: Int? = nil, initialization: Initialization = .pytorchDefault,
        generator: inout SeededGenerator
    ) {
        let standardDeviation: Float =
            switch initialization {
            case .pytorchDefault: 1
            case let .normal(standardDeviation): standardDeviation
            }
        var table = Tensor.randomNormal([count, dimension], standardDeviation: standardDeviation, generator: &generator)
        if let paddingIndex, paddingIndex >= 0, paddingIndex < count {
            table.withUnsafeMutableBufferPointer { buffer in
                for i in 0..<dimension { buffer[paddingIndex * dimension + i] = 0 }
            }
        }
        weight = Parameter(table)
        self.paddingIndex = paddingIndex
    }

    public var count: Int { weight.shape[0] }
    public var dimension: Int { weight.shape[1] }

    override public var namedLocalParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    /// Looks up `indices` (row-major, of shape `shape`): returns `shape + [dimension]`.
    ///
    /// - Throws: ``ModelInputError`` when an index is outside `0..<count`.
    public func callAsFunction(_ indices: [Int], shape: [Int]) throws(ModelInputError) -> Variable {
        try embedding(indices, shape: shape, weight: weight.variable, paddingIndex: paddingIndex)
    }
}
