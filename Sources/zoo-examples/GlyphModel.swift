import TrainingCore
import ZooFormat

/// The shape of the glyph classifier and how it is described in a checkpoint's architecture:
/// `{"model_type": "mlp", "input_size": 256, "hidden_sizes": [128, 64], "num_labels": 10, ...}`.
struct GlyphModel {
    /// The checkpoint name of the pretrained model in the bundled catalog.
    static let pretrainedName = "glyphs-mlp"

    var inputSize = GlyphTask.pixelCount
    var hiddenSizes = [256, 64]
    var classCount: Int

    /// A fresh, seeded network of this shape.
    func makeModel(seed: UInt64) -> MLPClassifier {
        MLPClassifier(inputSize: inputSize, hiddenSizes: hiddenSizes, classCount: classCount, seed: seed)
    }

    /// The architecture to record (labels are added by the exporter).
    func architecture(task: GlyphTask) -> Architecture {
        Architecture(
            family: .other, type: "mlp",
            config: [
                "model_type": "mlp", "architectures": ["MLPClassifier"], "input_size": .integer(Int64(inputSize)),
                "hidden_sizes": .array(hiddenSizes.map { .integer(Int64($0)) }), "hidden_act": "relu",
                "image_size": [.integer(Int64(GlyphTask.side)), .integer(Int64(GlyphTask.side))],
                "task": .string(task.name),
            ])
    }

    /// The shape recorded in a checkpoint's architecture.
    init(config: [String: JSONValue]) throws {
        guard config["model_type"]?.stringValue == "mlp",
            let input = config["input_size"]?.integerValue,
            let hidden = config["hidden_sizes"]?.arrayValue?.compactMap(\.integerValue),
            let classes = config["num_labels"]?.integerValue
        else {
            throw ExampleError("not a glyph MLP checkpoint: its config lacks model_type \"mlp\", input_size, hidden_sizes or num_labels")
        }
        self.inputSize = Int(input)
        self.hiddenSizes = hidden.map { Int($0) }
        self.classCount = Int(classes)
    }

    init(classCount: Int) {
        self.classCount = classCount
    }
}
