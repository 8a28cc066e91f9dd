import Foundation
import TrainingCore
import ZooConverters
import ZooFormat
import ZooLoaders

/// `zoo-bench --training`: the training core and the loaders on the real all-MiniLM-L6-v2, beside
/// the same work in Python (scripts/bench_training.py): PyTorch on CPU with sentence-transformers
/// when the peer's interpreter (`--python`) can import them, else the numpy reference
/// (scripts/minilm_numpy.py). The target for every row: at most 1.5x PyTorch's time.
///
/// Rows: embeddings one sentence at a time and in batches of 32 (tokenization included on both
/// sides, per sentence), one AdamW step of an MLP classifier (256-256-64-10, batch 64), and one
/// AdamW step of MiniLM's top encoder layer with a linear topic head (batch 32, lower layers
/// frozen, evaluation mode) — the recipe of `zoo-examples bert`. Both sides embed the same
/// sentences; the first sentence's embeddings must agree to 1e-4 or the run stops.
struct TrainingBenchmark {
    let options: Options
    let scratch: String
    /// The peer's interpreter and script.
    let python: (interpreter: String, script: String)
    /// The all-MiniLM-L6-v2 folder.
    let modelFolder: String

    /// The peer and the model from the options (`--python`, `--minilm`) or the environment
    /// (`ZOO_PYTHON`, `ZOO_MINILM_DIR`), checked before anything slow starts.
    init(options: Options, scratch: String) throws(BenchError) {
        guard let interpreter = options.python ?? Environment.value("ZOO_PYTHON") else {
            throw .setup("no peer Python: pass --python PATH or set ZOO_PYTHON (scripts/bench.sh sets it)")
        }
        guard let script = Self.locateScript() else {
            throw .setup("\(Self.scriptName) not found: run from the repository root")
        }
        guard let folder = options.minilm ?? Environment.value("ZOO_MINILM_DIR") else {
            throw .setup("no MiniLM model: pass --minilm DIR or set ZOO_MINILM_DIR (scripts/minilm.sh installs it and prints DIR)")
        }
        guard FileSystem.kind(of: folder + "/model.safetensors") == .regular else {
            throw .setup("\(folder) has no model.safetensors: is it the all-MiniLM-L6-v2 folder?")
        }
        self.options = options
        self.scratch = scratch
        self.python = (interpreter, script)
        self.modelFolder = folder
    }

    static let scriptName = "scripts/bench_training.py"

    /// The peer script, relative to the working directory or to this source file's repository.
    static func locateScript() -> String? {
        let fromSource = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(scriptName).path
        return [scriptName, fromSource].first { FileManager.default.fileExists(atPath: $0) }
    }
    static let sentenceCount = 64
    static let batchSize = 32
    static let maxLength = 256

    /// 32 sentences of 5 to 30 words, twice (the second time with a suffix, so lengths vary).
    static let sentences: [String] = {
        let base = [
            "The quick brown fox jumps over the lazy dog.",
            "Transfer learning reuses features learned on a large data set for a related task with few labels.",
            "A pinch of salt brings out the sweetness of caramel.",
            "The goalkeeper saved a penalty in the last minute of the match.",
            "Compilers turn source code into machine instructions.",
            "She whisked the eggs with sugar until the mixture was pale and thick, then folded in the flour.",
            "Gradient descent follows the slope of the loss downhill.",
            "The marathon runners passed the harbour at dawn.",
            "Restart the server after installing the security update.",
            "Knead the dough until it is smooth.",
            "Our team won the championship after extra time and a dramatic penalty shoot-out in front of the home fans.",
            "Memory usage grew until the process was killed by the operating system.",
            "Crème brûlée is a rich custard dessert with a caramelised sugar top.",
            "Swift 6.3 on Linux: BLAS, autodiff and MiniLM in 22.7M parameters.",
            "The cyclists climbed the mountain stage in heavy rain.",
            "Sort the array before searching it.",
            "Roast the vegetables in a hot oven until golden.",
            "The network packet was dropped by the firewall because its port was closed.",
            "He serves faster than anyone else on the tour.",
            "Bring the water to a boil before adding the rice.",
            "The query got faster once the table had an index on the user column.",
            "Fans filled the stadium long before kick-off.",
            "Let the bread rise in a warm place for an hour, covered with a damp cloth.",
            "Encrypt the file with the public key before sending it.",
            "The referee showed him a red card.",
            "Simmer the sauce gently for twenty minutes, stirring now and then so it does not catch.",
            "Nobody could reproduce the bug on their own machine.",
            "She broke the national record in the hundred metres.",
            "Grate some parmesan over the pasta.",
            "The laptop overheats when the fan is blocked by a blanket.",
            "They lost on penalties after a goalless draw.",
            "Commit your changes and push them to the repository.",
        ]
        return base + base.map { $0 + " It happened again the next day, exactly as before." }
    }()

    struct PeerResults {
        var name: String
        var single: Samples
        var batch: Samples
        var mlpStep: Samples
        var bertStep: Samples?
        var embedding: [Float]
    }

    func run() throws(BenchError) -> Report {
        let loadBefore = SystemState.loadAverage()
        let sentencesPath = scratch + "/sentences.json"
        do {
            let json = JSONValue.array(Self.sentences.map { .string($0) })
            try FileSystem.writeAtomically(json.canonicalBytes, to: sentencesPath)
        } catch {
            throw .io(error)
        }

        // zoo: import the Hugging Face folder (as `zoo import` does) and load it.
        let checkpointPath = scratch + "/minilm"
        let (embedder, loadSeconds) = try Timing.measure { () throws(BenchError) -> SentenceEmbedder in
            do {
                try SafetensorsImporter().importFolder(modelFolder, to: checkpointPath)
                let loaded = try SentenceEmbedder(checkpoint: try Checkpoint(directory: checkpointPath))
                return SentenceEmbedder(model: loaded.model, tokenizer: try loaded.tokenizer.withMaxLength(Self.maxLength))
            } catch {
                throw .zoo("\(error)")
            }
        }
        progress("MiniLM imported and loaded in \(Figure.duration(loadSeconds))")
        let single = try Samples.collect(runs: options.runs) { _ throws(BenchError) in
            try measure {
                for sentence in Self.sentences { _ = try embedder.embed(sentence) }
            } / Double(Self.sentenceCount)
        }
        progress("zoo: \(Figure.duration(single.median)) per sentence, one at a time")
        let batch = try Samples.collect(runs: options.runs) { _ throws(BenchError) in
            try measure { _ = try embedder.embed(Self.sentences, batchSize: Self.batchSize) } / Double(Self.sentenceCount)
        }
        progress("zoo: \(Figure.duration(batch.median)) per sentence, in batches of \(Self.batchSize)")
        let first: [Float]
        do { first = try embedder.embed(Self.sentences[0]) } catch { throw .zoo("\(error)") }
        let mlpStep = try Self.mlpStepSamples(runs: options.runs)
        progress("zoo: MLP step \(Figure.duration(mlpStep.median))")
        let bertStep = try Self.bertStepSamples(embedder: embedder, runs: options.runs)
        progress("zoo: BERT top layer + head step \(Figure.duration(bertStep.median))")

        progress("peer: \(python.interpreter) \(python.script)")
        let peer = try runPeer(sentencesPath: sentencesPath)
        guard peer.embedding.count == first.count else {
            throw .mismatch("the peer's embedding has \(peer.embedding.count) numbers, zoo's \(first.count)")
        }
        let difference = zip(first, peer.embedding).map { abs($0 - $1) }.max() ?? 0
        guard difference <= 1e-4 else {
            throw .mismatch("the first sentence's embeddings differ by up to \(difference) (more than 1e-4)")
        }
        return report(
            single: single, batch: batch, mlpStep: mlpStep, bertStep: bertStep, peer: peer, difference: difference,
            loadSeconds: loadSeconds, loadBefore: loadBefore)
    }

    /// Seconds `body` takes.
    private func measure(_ body: () throws -> Void) throws(BenchError) -> Double {
        do {
            let start = Timing.now()
            try body()
            return Timing.now() - start
        } catch {
            throw .zoo("\(error)")
        }
    }

    /// One AdamW step of an MLP classifier 256-256-64-10 on a batch of 64, averaged over 20 steps.
    static func mlpStepSamples(runs: Int) throws(BenchError) -> Samples {
        let model = MLPClassifier(inputSize: 256, hiddenSizes: [256, 64], classCount: 10, seed: 0)
        let optimizer = AdamW(parameters: model.parameters(), learningRate: 1e-3, weightDecay: 0)
        var generator = SeededGenerator(seed: 1)
        let inputs = Tensor.randomNormal([64, 256], generator: &generator)
        let labels = (0..<64).map { $0 % 10 }
        func step() throws(BenchError) {
            optimizer.zeroGrad()
            do {
                try crossEntropy(logits: model(Variable(inputs)), labels: labels).backward()
            } catch {
                throw .zoo("\(error)")
            }
            optimizer.step()
        }
        try step()  // warm-up
        return try Samples.collect(runs: runs) { _ throws(BenchError) in
            try Timing.perCall(repeats: 20) { () throws(BenchError) in try step() }
        }
    }

    /// One AdamW step of the encoder's top layer and a 3-class head on 32 sentences.
    static func bertStepSamples(embedder: SentenceEmbedder, runs: Int) throws(BenchError) -> Samples {
        let model = embedder.model
        let top = "encoder.layer.\(model.config.numLayers - 1)."
        model.freeze()
        model.unfreeze(matching: [.prefix(top)])
        model.eval()
        var generator = SeededGenerator(seed: 2)
        let head = Linear(inFeatures: model.config.hiddenSize, outFeatures: 3, generator: &generator)
        let optimizer = AdamW(groups: [
            ParameterGroup(parameters: head.parameters(), learningRate: 1e-2),
            ParameterGroup(model, matching: [.prefix(top)], learningRate: 1e-3),
        ])
        let batch: TokenBatch
        do { batch = try embedder.tokenizer.batch(Array(sentences.prefix(batchSize))) } catch { throw .zoo("\(error)") }
        let labels = (0..<batch.batchSize).map { $0 % 3 }
        func step() throws(BenchError) {
            optimizer.zeroGrad()
            do {
                let hidden = try model(batch).lastHiddenState
                let logits = head(meanPooling(hidden, mask: batch.maskTensor).l2Normalized())
                try crossEntropy(logits: logits, labels: labels).backward()
            } catch {
                throw .zoo("\(error)")
            }
            optimizer.step()
        }
        try step()  // warm-up
        return try Samples.collect(runs: runs) { _ throws(BenchError) in
            try Timing.measure { () throws(BenchError) in try step() }.seconds
        }
    }

    private func runPeer(sentencesPath: String) throws(BenchError) -> PeerResults {
        let json = try PeerJSON.run(
            interpreter: python.interpreter, script: python.script,
            [modelFolder, sentencesPath, "--runs", String(options.runs), "--max-length", String(Self.maxLength),
             "--batch-size", String(Self.batchSize)])
        return PeerResults(
            name: json["peer"]?.stringValue ?? "python", single: try json.samples("single_seconds"),
            batch: try json.samples("batch_seconds"), mlpStep: try json.samples("mlp_step_seconds"),
            bertStep: json["bert_step_seconds"] == .null ? nil : try json.samples("bert_step_seconds"),
            embedding: json["embedding"]?.arrayValue?.compactMap { $0.doubleValue.map(Float.init) } ?? [])
    }

    private func report(
        single: Samples, batch: Samples, mlpStep: Samples, bertStep: Samples, peer: PeerResults, difference: Float,
        loadSeconds: Double, loadBefore: String
    ) -> Report {
        let isTorch = peer.name.hasPrefix("PyTorch")
        let peerName = isTorch ? "PyTorch" : "numpy"
        var report = Report()
        report.facts = [
            ("model", "all-MiniLM-L6-v2 (\(modelFolder)); 6 layers, hidden 384, F32; truncation \(Self.maxLength) tokens"),
            ("work", "\(Self.sentenceCount) sentences (\(Self.sentences.count / 2) distinct texts, 10 to 35 tokens), "
                + "tokenization included; training steps with AdamW"),
            ("peer", peer.name),
            ("runs", "\(options.runs), median shown"),
            ("machine", "\(SystemState.processorCount()) CPUs, load average \(loadBefore) at start, "
                + "\(SystemState.loadAverage()) at end"),
        ]
        report.rows = [
            Row(operation: "MiniLM embed, 1 sentence at a time (per sentence)", zoo: .time(single), peerName: peerName,
                peer: .time(peer.single), target: isTorch ? .atMost(1.5) : nil),
            Row(operation: "MiniLM embed, batches of \(Self.batchSize) (per sentence)", zoo: .time(batch), peerName: peerName,
                peer: .time(peer.batch), target: isTorch ? .atMost(1.5) : nil),
            Row(operation: "MLP training step (256-256-64-10, batch 64)", zoo: .time(mlpStep), peerName: peerName,
                peer: .time(peer.mlpStep), target: isTorch ? .atMost(1.5) : nil),
            Row(operation: "BERT step: top layer + head (batch \(Self.batchSize))", zoo: .time(bertStep),
                peerName: peerName, peer: peer.bertStep.map { .time($0) }, target: isTorch ? .atMost(1.5) : nil),
        ]
        func perSecond(_ samples: Samples) -> String { Figure.fixed(1 / samples.median, digits: 0) }
        report.notes = [
            "embeddings per second, one at a time: zoo \(perSecond(single)), \(peerName) \(perSecond(peer.single)); "
                + "in batches of \(Self.batchSize): zoo \(perSecond(batch)), \(peerName) \(perSecond(peer.batch))",
            "zoo and the peer embed the first sentence within \(difference) of each other (max abs difference)",
            "zoo imported and loaded the model in \(Figure.duration(loadSeconds)) (not in any row)",
            isTorch
                ? "target: at most 1.5x PyTorch's time on every row"
                : "the peer is the numpy reference, not PyTorch: ratios are informative only (no target); "
                    + "pass --python with an interpreter that has torch and sentence-transformers for the real comparison",
        ]
        return report
    }

    private func progress(_ line: String) { Console.diagnostic("zoo-bench: " + line) }
}
