/// A multi-layer perceptron classifier: linear layers with ReLU between them, named like a
/// PyTorch `nn.Sequential` stored as `layers` (`layers.0.weight`, `layers.2.weight`, ...).
public final class MLPClassifier: Module, UnaryLayer {
    public let layers: Sequential

    /// Layers `inputSize -> hiddenSizes... -> classCount`, with PyTorch's default initialisation
    /// drawn from `seed`.
    public init(inputSize: Int, hiddenSizes: [Int], classCount: Int, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        var layers: [any UnaryLayer] = []
        let sizes = [inputSize] + hiddenSizes + [classCount]
        for index in 0..<(sizes.count - 1) {
            if index > 0 { layers.append(ReLU()) }
            layers.append(Linear(inFeatures: sizes[index], outFeatures: sizes[index + 1], generator: &generator))
        }
        self.layers = Sequential(layers)
    }

    override public var namedChildren: [(name: String, module: Module)] { [("layers", layers)] }

    /// `[batch, inputSize]` to logits `[batch, classCount]`.
    public func callAsFunction(_ input: Variable) -> Variable {
        layers(input)
    }
}
