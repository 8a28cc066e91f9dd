import ArgumentParser
import Foundation
import TrainingCore
import ZooConverters
import ZooFormat
import ZooLoaders
import ZooStore

/// `zoo-examples bert`: topic classification (sports, cooking, computing) on all-MiniLM-L6-v2.
/// First MiniLM as a frozen feature extractor (sentence embeddings) with a trained linear head;
/// then the top encoder layer fine-tuned together with the head, the lower layers frozen, and
/// the result exported with its lineage.
struct BertTopics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bert",
        abstract: "Classify sentences by topic with MiniLM: frozen features + head, then the top layer fine-tuned.",
        discussion: """
            The model is read from the store; when it is not there and $ZOO_MINILM_DIR names the \
            all-MiniLM-L6-v2 folder (scripts/minilm.sh prints it), that folder is imported first.
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The MiniLM model in the store.", valueName: "ref"))
    var model = "minilm"

    @Option(help: ArgumentHelp("The name to store the fine-tuned model under.", valueName: "name"))
    var name = "minilm-topics"

    @Option(help: "Steps of training the head on frozen features.")
    var headSteps = 100

    @Option(help: "Steps of fine-tuning the top encoder layer with the head.")
    var fineTuneSteps = 20

    @Option(help: "The head's learning rate (the top layer's is a tenth of it when fine-tuning).")
    var learningRate: Float = 1e-2

    @Option(help: "Seed of the head and of dropout.")
    var seed: UInt64 = 0

    func validate() throws {
        guard headSteps >= 1, fineTuneSteps >= 1 else { throw ValidationError("--head-steps and --fine-tune-steps must be at least 1.") }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive.") }
    }

    func run() throws {
        let store = Store(root: storeOptions.store ?? Store.defaultRoot())
        let (parent, openSeconds) = try Training.timed { try openModel(store) }
        let (embedder, loadSeconds) = try Training.timed { try SentenceEmbedder(checkpoint: parent) }
        let config = embedder.model.config
        print("bert: \(model) \(parent.digest): \(config.numLayers) layers, hidden \(config.hiddenSize), "
            + "\(parent.manifest.architecture.parameterCount) parameters (opened in \(Training.seconds(openSeconds)), "
            + "loaded in \(Training.seconds(loadSeconds)))")
        let train = TopicSentences.split(training: true)
        let test = TopicSentences.split(training: false)
        let topics = TopicSentences.topics
        print("bert: \(topics.count) topics (\(topics.joined(separator: ", "))): \(train.texts.count) training sentences, "
            + "\(test.texts.count) held out")

        // 1. Frozen MiniLM: sentence embeddings as features, a linear head trained on them.
        let (features, featureSeconds) = try Training.timed {
            (try Self.tensor(embedder.embed(train.texts)), try Self.tensor(embedder.embed(test.texts)))
        }
        var generator = SeededGenerator(seed: seed)
        let head = Linear(inFeatures: config.hiddenSize, outFeatures: topics.count, generator: &generator)
        let headOptimizer = AdamW(parameters: head.parameters(), learningRate: learningRate, weightDecay: 0)
        let (headLoss, headSeconds) = try Training.timed {
            try Training.fit(
                head, optimizer: headOptimizer, inputs: features.0, labels: train.labels, steps: headSteps,
                batchSize: train.texts.count, seed: seed)
        }
        let probeAccuracy = Training.accuracy(head, inputs: features.1, labels: test.labels)
        print("features + head: embeddings of \(train.texts.count + test.texts.count) sentences in "
            + "\(Training.seconds(featureSeconds)); head (\(config.hiddenSize) -> \(topics.count)) trained \(headSteps) steps in "
            + "\(Training.seconds(headSeconds)), loss \(String(format: "%.4f", headLoss))")
        print("  test accuracy \(Training.percent(probeAccuracy)) (\(test.texts.count) held-out sentences)")
        let unseen = try Self.tensor(embedder.embed(TopicSentences.unseen))
        let guesses = withNoGrad { head(Variable(unseen)).value }
        for (index, text) in TopicSentences.unseen.enumerated() {
            print("  \"\(text)\" -> \(topics[Self.argmax(guesses, row: index)])")
        }

        // 2. The top encoder layer fine-tuned with the head; the lower layers frozen.
        let classifier = TopicClassifier(bert: embedder.model, classifier: head)
        let recipe = TransferRecipe(
            head: .replace(classes: topics.count), headModule: "classifier", freezing: .firstLayers(config.numLayers - 1),
            learningRate: learningRate, epochs: fineTuneSteps,
            dataset: .init(name: "zoo-topics", size: train.texts.count))
        var plan = try recipe.apply(to: classifier)
        let trainBatch = try embedder.tokenizer.batch(train.texts)
        let testBatch = try embedder.tokenizer.batch(test.texts)
        let ((trainBelow, testBelow), cacheSeconds) = try Training.timed {
            (try classifier.statesBelowTop(trainBatch), try classifier.statesBelowTop(testBatch))
        }
        let optimizer = AdamW(groups: plan.parameterGroups)
        let top = classifier.topLayer
        print("fine-tune: layer \(config.numLayers - 1) and the head (starting from the one above) trained, \(plan.frozenParameters.count) of "
            + "\(classifier.namedParameters().count) parameters frozen (embeddings, layers 0-\(config.numLayers - 2)); "
            + "lr head \(learningRate), top layer \(recipe.effectiveBackboneLearningRate)")
        let (tunedLoss, tuneSeconds) = try Training.timed { () throws -> Float in
            var loss: Float = .nan
            top.train()
            for _ in 0..<fineTuneSteps {
                optimizer.zeroGrad()
                let objective = try crossEntropy(
                    logits: classifier.logits(statesBelowTop: trainBelow, batch: trainBatch), labels: train.labels)
                objective.backward()
                optimizer.step()
                loss = objective.value.scalar
            }
            top.eval()
            return loss
        }
        let logits = withNoGrad { classifier.logits(statesBelowTop: testBelow, batch: testBatch).value }
        let tunedAccuracy = TrainingCore.accuracy(logits: logits, labels: test.labels)
        print("  lower layers run once (\(Training.seconds(cacheSeconds))); \(fineTuneSteps) steps in "
            + "\(Training.seconds(tuneSeconds)), loss \(String(format: "%.4f", tunedLoss)); "
            + "test accuracy \(Training.percent(tunedAccuracy))")

        plan.recipe.metrics = ["accuracy": Double(tunedAccuracy), "loss": Double(tunedLoss), "headOnlyAccuracy": Double(probeAccuracy)]
        let stagingArea = try store.makeStagingDirectory(prefix: "bert-topics")
        defer { stagingArea.remove() }
        let staging = stagingArea.path
        let folder = staging + "/" + name
        let (manifest, exportSeconds) = try Training.timed {
            try ModelExporter.export(
                classifier, parent: parent, to: folder, recipe: plan.json,
                options: ExportOptions(name: name, configUpdates: ["finetuning_task": "zoo-topics"], labels: topics))
        }
        let accounting = BlobAccounting(manifest: manifest, store: store)
        let digest = try store.importStaged(directory: folder, name: try ModelReference(name: name), options: .trustDigests)
        print("export: \(name) \(digest) in \(Training.seconds(exportSeconds)); lineage parent \(parent.digest)")
        for line in accounting.summary { print("  " + line) }
    }

    /// The model from the store, imported from `$ZOO_MINILM_DIR` first when it is not there.
    private func openModel(_ store: Store) throws -> Checkpoint {
        let reference = try ModelReference(parsing: model)
        do {
            return try store.checkpoint(for: reference)
        } catch {
            guard case .noSuchModel = error.reason else { throw error }
        }
        guard let folder = ProcessInfo.processInfo.environment["ZOO_MINILM_DIR"], !folder.isEmpty else {
            throw ExampleError(
                "\(model) is not in the store \(store.root) and ZOO_MINILM_DIR is not set: "
                    + "run `zoo import \"$(scripts/minilm.sh)\" --name \(model)` first")
        }
        print("bert: importing \(folder) as \(model)")
        let stagingArea = try store.makeStagingDirectory(prefix: "minilm")
        defer { stagingArea.remove() }
        let staging = stagingArea.path
        try SafetensorsImporter(name: model).importFolder(folder, to: staging + "/model")
        try store.importStaged(directory: staging + "/model", name: reference, options: .trustDigests)
        return try store.checkpoint(for: reference)
    }

    /// `[rows, dimension]` from equally long vectors.
    static func tensor(_ vectors: [[Float]]) -> Tensor {
        Tensor(shape: [vectors.count, vectors.first?.count ?? 0], scalars: vectors.flatMap { $0 })
    }

    static func argmax(_ logits: Tensor, row: Int) -> Int {
        let width = logits.shape[1]
        let values = logits.scalars[(row * width)..<((row + 1) * width)]
        return (values.indices.max { values[$0] < values[$1] } ?? row * width) - row * width
    }
}
