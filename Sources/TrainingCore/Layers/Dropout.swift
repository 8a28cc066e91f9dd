/// Dropout, as PyTorch's `nn.Dropout`: active in training mode, the identity in evaluation mode.
///
/// Each instance draws its masks from its own seeded generator, so runs are reproducible.
public final class Dropout: Module, UnaryLayer {
    public let probability: Float
    /// The source of the masks; advances with every training-mode call.
    public var generator: SeededGenerator

    public init(probability: Float, generator: SeededGenerator) {
        precondition(probability >= 0 && probability <= 1, "dropout probability \(probability) is outside [0, 1]")
        self.probability = probability
        self.generator = generator
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        guard isTraining, probability > 0 else { return input }
        return dropout(input, probability: probability, generator: &generator)
    }
}
