import ArgumentParser
import TrainingCore
import ZooFormat
import ZooLoaders

/// `zoo-examples pretrain`: trains the glyph classifier on the data-rich source task (the ten
/// digits) and writes it as a zoo checkpoint folder. This is the script that made
/// zoo/checkpoints/glyphs-mlp; it is deterministic, so running it again gives the same model.
struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the glyph classifier on the source task (ten digits) and save it as a checkpoint.")

    @Option(name: .shortAndLong, help: ArgumentHelp("The checkpoint folder to write.", valueName: "path"))
    var output = "zoo/checkpoints/" + GlyphModel.pretrainedName

    @Option(help: "Training drawings per digit and epoch.")
    var examplesPerClass = 600

    @Option(help: "Epochs; every epoch draws a fresh training set.")
    var epochs = 30

    @Option(help: "Seed of the network's initialisation and of the data.")
    var seed: UInt64 = 0

    @Flag(help: "Replace the output folder if it exists.")
    var force = false

    func validate() throws {
        guard examplesPerClass >= 1, epochs >= 1 else { throw ValidationError("--examples-per-class and --epochs must be at least 1.") }
    }

    func run() throws {
        if FileSystem.kind(of: output) != .missing {
            guard force else { throw ExampleError("\(output) exists: pass --force to replace it") }
            try FileSystem.removeTree(output)
        }
        let task = GlyphTask.digits
        let shape = GlyphModel(classCount: task.classCount)
        let batchSize = 100
        let learningRate = 2e-3
        let train = task.sample(perClass: examplesPerClass, seed: seed &+ 1)
        let test = task.sample(perClass: 100, seed: seed &+ 2)
        let seen = train.labels.count * epochs
        print("pretrain: source task \(task.name): \(task.classCount) classes, \(train.labels.count) fresh training images "
            + "per epoch (\(seen) in all), \(test.labels.count) test images (16x16, shifted, scaled, slanted, noisy)")
        for line in zip(GlyphTask.ascii(train.images.scalars[0..<256]), GlyphTask.ascii(train.images.scalars[256..<512])) {
            print("  \(line.0)   \(line.1)")
        }

        let model = shape.makeModel(seed: seed)
        let optimizer = AdamW(parameters: model.parameters(), learningRate: Float(learningRate), weightDecay: 0)
        let stepsPerEpoch = (train.labels.count + batchSize - 1) / batchSize
        var loss: Float = .nan
        let (_, seconds) = try Training.timed {
            for epoch in 1...epochs {
                // Fresh drawings every epoch: the source task has as much data as we care to draw.
                let data = epoch == 1 ? train : task.sample(perClass: examplesPerClass, seed: seed &+ 1 &+ UInt64(epoch) &* 7919)
                loss = try Training.fit(
                    model, optimizer: optimizer, inputs: data.images, labels: data.labels, steps: stepsPerEpoch,
                    batchSize: batchSize, seed: seed &+ UInt64(epoch) &* 1000)
                if epoch == 1 || epoch == epochs || epoch % 5 == 0 {
                    let accuracy = Training.accuracy(model, inputs: test.images, labels: test.labels)
                    print("  epoch \(epoch): loss \(String(format: "%.4f", loss)), test accuracy \(Training.percent(accuracy))")
                }
            }
        }
        let accuracy = Training.accuracy(model, inputs: test.images, labels: test.labels)
        print("pretrain: \(epochs * stepsPerEpoch) steps in \(Training.seconds(seconds)); test accuracy \(Training.percent(accuracy))")

        let recipe: JSONValue = [
            "kind": "pretraining", "script": "zoo-examples pretrain",
            "dataset": ["name": .string(task.name), "size": .integer(Int64(seen)), "freshEachEpoch": true],
            "optimizer": "AdamW", "learningRate": .number(learningRate), "weightDecay": 0,
            "batchSize": .integer(Int64(batchSize)), "epochs": .integer(Int64(epochs)), "seed": .integer(Int64(seed)),
            "metrics": ["accuracy": .number(Double(accuracy)), "loss": .number(Double(loss))],
        ]
        let manifest = try ModelExporter.export(
            model, parent: nil, to: output, recipe: recipe,
            options: ExportOptions(
                name: GlyphModel.pretrainedName, architecture: shape.architecture(task: task), labels: task.labels))
        print("pretrain: wrote \(output): \(manifest.architecture.parameterCount) parameters, "
            + "\(manifest.shards.count) shards, \(Training.bytes(manifest.totalByteCount)), model \(manifest.digest)")
    }
}
