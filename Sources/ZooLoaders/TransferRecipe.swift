import TrainingCore

/// How a pretrained model is reused: keep or replace its head, which parameters to freeze, the
/// learning rates (the backbone's is the head's / 10 unless set) and the training run, with the
/// data set and final metrics recorded for lineage.
///
/// ```swift
/// var recipe = TransferRecipe.replaceHead(classes: 3)
/// recipe.freezing = .firstLayers(1)              // embeddings + encoder.layer.0
/// recipe.learningRate = 1e-3                     // head; backbone 1e-4
/// recipe.dataset = .init(name: "topics", size: 60)
/// let model = BertForSequenceClassification(config: configWith3Labels, seed: 0)
/// try CheckpointLoader.load(parent, into: model, options: try recipe.loadOptions(for: model))
/// let plan = try recipe.apply(to: model)         // freezes; builds the optimiser groups
/// let optimizer = AdamW(groups: plan.parameterGroups)
/// // ... train ...
/// plan.recipe.metrics["accuracy"] = 0.93
/// try ModelExporter.export(model, parent: parent, to: "out/child", recipe: plan.json)
/// ```
public struct TransferRecipe: Sendable, Equatable {
    /// What happens to the pretrained model's head.
    public enum Head: Sendable, Equatable {
        /// Keep it: the checkpoint fits the model as is (loaded strictly).
        case reuse
        /// A new head with this many classes: the old head's tensors are not loaded and the new
        /// head's parameters are expected to be missing from the checkpoint.
        case replace(classes: Int)
    }

    /// Which parameters are frozen (no gradient, not in any optimiser group).
    public enum Freezing: Sendable, Equatable {
        /// Train everything.
        case none
        /// The first K numbered layers (a name through its first all-digit component, e.g.
        /// `bert.encoder.layer.3` or an MLP's `layers.2`) and every backbone parameter before
        /// them in model order (the embeddings). The head is never frozen this way.
        case firstLayers(Int)
        /// The parameters matching any pattern; each pattern must match something.
        case matching([NamePattern])
        /// Everything but the head (feature extraction with a trained head, a "linear probe").
        case backbone
    }

    /// The training data, for lineage.
    public struct Dataset: Sendable, Equatable {
        public var name: String
        /// The number of training examples.
        public var size: Int

        public init(name: String, size: Int) {
            self.name = name
            self.size = size
        }
    }

    /// The backbone learning rate is the head's divided by this unless set.
    public static let backboneLearningRateDivisor: Float = 10

    public var head: Head
    /// The head's module path (e.g. `classifier`); `nil` takes the module that owns the model's
    /// last parameter (`classifier` for BertForSequenceClassification, `layers.4` for a
    /// three-layer MLPClassifier).
    public var headModule: String?
    public var freezing: Freezing
    /// The head's learning rate.
    public var learningRate: Float
    /// The trainable backbone's learning rate; `nil` means ``learningRate`` / 10.
    public var backboneLearningRate: Float?
    /// Weight decay of both groups.
    public var weightDecay: Float
    public var epochs: Int
    public var dataset: Dataset?
    /// Final metrics (e.g. `accuracy`, `loss`), filled in after training.
    public var metrics: [String: Double]

    public init(
        head: Head, headModule: String? = nil, freezing: Freezing = .none, learningRate: Float = 1e-3,
        backboneLearningRate: Float? = nil, weightDecay: Float = 0, epochs: Int = 3, dataset: Dataset? = nil,
        metrics: [String: Double] = [:]
    ) {
        self.head = head
        self.headModule = headModule
        self.freezing = freezing
        self.learningRate = learningRate
        self.backboneLearningRate = backboneLearningRate
        self.weightDecay = weightDecay
        self.epochs = epochs
        self.dataset = dataset
        self.metrics = metrics
    }

    /// Reuse the model as it is, head included.
    public static var reuseAsIs: TransferRecipe { TransferRecipe(head: .reuse) }

    /// Replace the head with one of `classes` outputs.
    public static func replaceHead(classes: Int) -> TransferRecipe { TransferRecipe(head: .replace(classes: classes)) }

    /// The backbone's learning rate: ``backboneLearningRate``, else ``learningRate`` / 10,
    /// divided as written in decimal (`1e-3` gives the Float nearest `1e-4`, not `1.00000005e-4`,
    /// which Float division gives).
    public var effectiveBackboneLearningRate: Float {
        if let backboneLearningRate { return backboneLearningRate }
        let decimal = Double(String(describing: learningRate)) ?? Double(learningRate)
        return Float(decimal / Double(Self.backboneLearningRateDivisor))
    }
}
