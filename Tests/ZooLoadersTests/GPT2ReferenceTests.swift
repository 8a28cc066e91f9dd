import Foundation
import TrainingCore
import XCTest
import ZooConverters
import ZooFormat
import ZooLoaders

/// The GPT-2 fixture written by transformers (scripts/make_gpt2_reference.py: a seeded
/// GPT2LMHeadModel, 3 layers x 64, 4 heads, vocabulary 512), imported as `zoo import` does and run
/// in Swift, against transformers' own logits, hidden states, loss and greedy ids.
final class GPT2ReferenceTests: LoaderTestCase {
    /// The fixture folder imported into this test's scratch directory.
    func importedCheckpoint() throws -> Checkpoint {
        let destination = scratch + "/gpt2"
        try SafetensorsImporter().importFolder(GPT2Fixtures.folder(), to: destination)
        return try Checkpoint(directory: destination)
    }

    func testConfig_FixtureCheckpoint_DecodesTransformersConfig() throws {
        let config = try GPT2Loader.config(of: try importedCheckpoint())
        XCTAssertEqual(config.vocabSize, 512)
        XCTAssertEqual(config.positions, 64)
        XCTAssertEqual(config.embeddingSize, 64)
        XCTAssertEqual(config.layers, 3)
        XCTAssertEqual(config.heads, 4)
        XCTAssertEqual(config.activation, .geluNew)
        XCTAssertEqual(config.eosTokenID, 511)
        XCTAssertEqual(config.feedForwardSize, 256)
    }

    func testLoad_FixtureCheckpoint_EveryParameterLoadsWithoutLMHeadInFile() throws {
        let checkpoint = try importedCheckpoint()
        XCTAssertFalse(checkpoint.tensorNames.contains("lm_head.weight"), "HF leaves the tied head out")
        let (model, summary) = try GPT2Loader.languageModelDetailed(from: checkpoint)
        XCTAssertEqual(summary.report.loadedKeys.count, 2 + 3 * 12 + 2)
        XCTAssertEqual(summary.report.missingKeys, [])
        XCTAssertEqual(summary.report.unexpectedKeys, [])
        XCTAssertEqual(Set(model.stateDictKeys), Set(checkpoint.tensorNames), "parameter names are HF's, 1:1")
        XCTAssertFalse(model.isTraining)
    }

    func testForward_FixtureIDs_LogitsAndHiddenStatesMatchTransformersWithin1e4() throws {
        let reference = try GPT2Fixtures.reference()
        let model = try GPT2Loader.languageModel(from: try importedCheckpoint())
        let batch = try TokenBatch(inputIDs: reference.inputIDs)
        let output = try withNoGrad { try model(batch) }
        XCTAssertEqual(output.logits.shape, reference.logitsShape)
        XCTAssertEqual(output.lastHiddenState.shape, reference.hiddenShape)
        let logitsError = GPT2Fixtures.maxAbsDifference(output.logits.value.scalars, reference.logits)
        let hiddenError = GPT2Fixtures.maxAbsDifference(output.lastHiddenState.value.scalars, reference.hidden)
        XCTAssertLessThanOrEqual(logitsError, 1e-4)
        XCTAssertLessThanOrEqual(hiddenError, 1e-4)
        print("GPT-2: max abs difference to transformers: logits \(logitsError), last hidden state \(hiddenError)")
    }

    func testLoss_FixtureIDs_MatchesTransformersLMLossWithin1e4() throws {
        let reference = try GPT2Fixtures.reference()
        let model = try GPT2Loader.languageModel(from: try importedCheckpoint())
        let loss = try withNoGrad { try model.languageModelingLoss(TokenBatch(inputIDs: reference.inputIDs)) }
        XCTAssertEqual(loss.value.scalar, reference.loss, accuracy: 1e-4)
    }

    func testForward_RightPaddedBatch_RealTokensMatchTransformersWithin1e4() throws {
        let reference = try GPT2Fixtures.reference()
        let model = try GPT2Loader.languageModel(from: try importedCheckpoint())
        let batch = try TokenBatch(inputIDs: reference.paddedIDs, attentionMask: reference.paddedMask)
        let hidden = try withNoGrad { try model(batch) }.lastHiddenState.value.scalars
        let width = 64
        var checked = 0
        for (index, real) in reference.paddedMask.joined().enumerated() where real == 1 {
            let row = Array(hidden[(index * width)..<((index + 1) * width)])
            let expected = Array(reference.paddedHidden[(index * width)..<((index + 1) * width)])
            XCTAssertLessThanOrEqual(GPT2Fixtures.maxAbsDifference(row, expected), 1e-4, "position \(index)")
            checked += 1
        }
        XCTAssertEqual(checked, 9)
    }

    func testGenerate_Greedy_SameIDsAsTransformersWithAndWithoutCache() throws {
        let reference = try GPT2Fixtures.reference()
        let model = try GPT2Loader.languageModel(from: try importedCheckpoint())
        let cached = try model.generate(
            prompt: reference.prompt, maxNewTokens: reference.maxNewTokens, eosTokenID: reference.eos)
        let uncached = try model.generate(
            prompt: reference.prompt, maxNewTokens: reference.maxNewTokens, eosTokenID: reference.eos, useCache: false)
        XCTAssertEqual(cached, reference.greedy)
        XCTAssertEqual(uncached, reference.greedy)
    }

    func testGenerate_Sampled_SameSeedSameIDsAndInVocabulary() throws {
        let model = try GPT2Loader.languageModel(from: try importedCheckpoint())
        let sampling = TokenSampling.sample(temperature: 0.9, topK: 40, topP: 0.95)
        let a = try model.generate(prompt: [7, 99], maxNewTokens: 16, sampling: sampling, seed: 3)
        let b = try model.generate(prompt: [7, 99], maxNewTokens: 16, sampling: sampling, seed: 3, useCache: false)
        let c = try model.generate(prompt: [7, 99], maxNewTokens: 16, sampling: sampling, seed: 4)
        XCTAssertEqual(a, b, "the cache changes nothing, sampling included")
        XCTAssertEqual(a.count, 16)
        XCTAssertNotEqual(a, c, "another seed, other tokens")
        XCTAssertTrue(a.allSatisfy { (0..<512).contains($0) })
    }

    func testEmbed_PaddedBatch_MeanOfTransformersHiddenStatesWithin1e4() throws {
        let reference = try GPT2Fixtures.reference()
        let embedder = try GPT2Embedder(checkpoint: try importedCheckpoint(), normalizes: false)
        let sequences = zip(reference.paddedIDs, reference.paddedMask).map { ids, mask in
            zip(ids, mask).compactMap { $1 == 1 ? $0 : nil }
        }
        let vectors = try embedder.embed(ids: sequences, batchSize: 2)
        let width = 64, length = reference.paddedIDs[0].count
        for (row, sequence) in sequences.enumerated() {
            var mean = [Float](repeating: 0, count: width)
            for position in 0..<sequence.count {
                for j in 0..<width { mean[j] += reference.paddedHidden[(row * length + position) * width + j] }
            }
            mean = mean.map { $0 / Float(sequence.count) }
            XCTAssertLessThanOrEqual(GPT2Fixtures.maxAbsDifference(vectors[row], mean), 1e-4, "sequence \(row)")
        }
        let normalized = try GPT2Embedder(model: embedder.model).embed(ids: sequences, batchSize: 1)
        for vector in normalized {
            XCTAssertEqual(vector.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
        }
    }

    func testEmbed_EmptySequenceOrBadID_ThrowsNamingTheInput() throws {
        let embedder = try GPT2Embedder(checkpoint: try importedCheckpoint())
        XCTAssertThrowsError(try embedder.embed(ids: [[1, 2], []])) { error in
            XCTAssertEqual((error as? GPT2LoadError)?.reason, .input(ModelInputError(reason: .emptyBatch)))
        }
        XCTAssertThrowsError(try embedder.embed(ids: [[1, 512]])) { error in
            XCTAssertEqual(
                (error as? GPT2LoadError)?.reason,
                .input(ModelInputError(reason: .indexOutOfRange(field: "input_ids", position: 1, value: 512, limit: 512))))
        }
        XCTAssertThrowsError(try embedder.embed(ids: [[Int](repeating: 1, count: 65)])) { error in
            XCTAssertEqual(
                (error as? GPT2LoadError)?.reason, .input(ModelInputError(reason: .sequenceTooLong(length: 65, limit: 64))))
        }
    }

    func testTransfer_NewClassifierHead_FrozenLowerBlockAndLowerBackboneRate_LossDrops() throws {
        let checkpoint = try importedCheckpoint()
        var config = try GPT2Loader.config(of: checkpoint)
        config.numLabels = 2
        config.residualDropout = 0
        config.embeddingDropout = 0
        config.attentionDropout = 0
        let model = GPT2ForSequenceClassification(config: config, seed: 1)
        var recipe = TransferRecipe.replaceHead(classes: 2)
        recipe.freezing = .firstLayers(1)
        recipe.learningRate = 1e-2
        let options = try recipe.loadOptions(for: model, base: GPT2Loader.loadOptions(for: checkpoint, into: model))
        let report = try CheckpointLoader.load(checkpoint, into: model, options: options)
        XCTAssertEqual(report.missingKeys, ["score.weight"])
        let plan = try recipe.apply(to: model)
        XCTAssertEqual(plan.headModule, "score")
        XCTAssertEqual(plan.headParameters, ["score.weight"])
        XCTAssertTrue(plan.frozenParameters.contains("transformer.wte.weight"))
        XCTAssertTrue(plan.frozenParameters.contains("transformer.wpe.weight"))
        XCTAssertTrue(plan.frozenParameters.contains("transformer.h.0.attn.c_attn.weight"))
        XCTAssertFalse(plan.frozenParameters.contains { $0.hasPrefix("transformer.h.1.") })
        XCTAssertEqual(plan.backboneGroup.learningRate, 1e-3)
        let frozenBefore = try XCTUnwrap(model.parameter(named: "transformer.h.0.mlp.c_fc.weight")).value
        let trainedBefore = try XCTUnwrap(model.parameter(named: "transformer.h.2.mlp.c_fc.weight")).value

        let batch = try TokenBatch(padding: [[5, 6, 7, 100], [200, 201, 202], [5, 8, 100], [203, 204, 200, 205]])
        let labels = [0, 1, 0, 1]
        let optimizer = AdamW(groups: plan.parameterGroups)
        let initial = try withNoGrad { try crossEntropy(logits: model(batch), labels: labels) }.value.scalar
        for _ in 0..<30 {
            optimizer.zeroGrad()
            try crossEntropy(logits: model(batch), labels: labels).backward()
            optimizer.step()
        }
        let final = try withNoGrad { try crossEntropy(logits: model(batch), labels: labels) }.value.scalar
        XCTAssertLessThan(final, initial / 2)
        XCTAssertEqual(try XCTUnwrap(model.parameter(named: "transformer.h.0.mlp.c_fc.weight")).value, frozenBefore)
        XCTAssertNotEqual(try XCTUnwrap(model.parameter(named: "transformer.h.2.mlp.c_fc.weight")).value, trainedBefore)
    }

    func testFineTune_LMHeadOnly_LossDrops() throws {
        let reference = try GPT2Fixtures.reference()
        let model = try GPT2Loader.languageModel(from: try importedCheckpoint())
        model.eval()
        // Train only the (tied) token embeddings and the final layer norm: the head of a language model.
        for (name, parameter) in model.namedParameters() {
            parameter.isTrainable = name == "transformer.wte.weight" || name.hasPrefix("transformer.ln_f.")
        }
        let batch = try TokenBatch(inputIDs: reference.inputIDs)
        let optimizer = AdamW(groups: [ParameterGroup(parameters: model.trainableParameters().map(\.parameter), learningRate: 1e-2)])
        let initial = try withNoGrad { try model.languageModelingLoss(batch) }.value.scalar
        for _ in 0..<10 {
            optimizer.zeroGrad()
            try model.languageModelingLoss(batch).backward()
            optimizer.step()
        }
        let final = try withNoGrad { try model.languageModelingLoss(batch) }.value.scalar
        XCTAssertEqual(initial, reference.loss, accuracy: 1e-4)
        XCTAssertLessThan(final, initial - 1)
    }

    func testLoad_BareGPT2ModelCheckpointWithMaskBuffers_LoadsIntoLMHeadModel() throws {
        let config = GPT2Config(vocabSize: 30, positions: 8, embeddingSize: 8, layers: 2, heads: 2)
        let source = GPT2Model(config: config, seed: 3)
        var tensors = source.stateDict().sorted { $0.key < $1.key }.map { name, tensor in
            RawTensor(name, tensor.shape, floats: tensor.scalars)
        }
        // What older HF files carry: the causal mask buffers.
        tensors.append(RawTensor("h.0.attn.bias", [1, 1, 8, 8], offset: 0))
        tensors.append(RawTensor("h.0.attn.masked_bias", [], floats: [-1e4]))
        let checkpoint = try writeCheckpoint(tensors)
        let model = GPT2LMHeadModel(config: config, seed: 9)
        let report = try CheckpointLoader.load(
            checkpoint, into: model, options: GPT2Loader.loadOptions(for: checkpoint, into: model))
        XCTAssertEqual(report.missingKeys, [])
        XCTAssertEqual(report.unexpectedKeys, [])
        XCTAssertEqual(
            Set(report.ignoredKeys),
            ["transformer.h.0.attn.bias", "transformer.h.0.attn.masked_bias"])
        XCTAssertEqual(model.transformer.stateDict(), source.stateDict())
    }

    func testConfig_NotGPT2_ThrowsNamingTheType() throws {
        let checkpoint = try writeCheckpoint([RawTensor("w", [2], offset: 0)])
        XCTAssertThrowsError(try GPT2Loader.config(of: checkpoint)) { error in
            XCTAssertEqual(error as? GPT2LoadError, GPT2LoadError(location: checkpoint.location, reason: .notGPT2(type: "test")))
        }
    }
}

/// Tests/Fixtures/gpt2: the model folder and reference.json.
enum GPT2Fixtures {
    struct Reference {
        var inputIDs: [[Int]]
        var logitsShape: [Int]
        var logits: [Float]
        var hiddenShape: [Int]
        var hidden: [Float]
        var loss: Float
        var paddedIDs: [[Int]]
        var paddedMask: [[Int]]
        var paddedHidden: [Float]
        var prompt: [Int]
        var maxNewTokens: Int
        var eos: Int
        var greedy: [Int]
    }

    static func folder(file: StaticString = #filePath) -> String {
        URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/gpt2").path
    }

    static func reference() throws -> Reference {
        guard let bytes = try FileSystem.readFile(folder() + "/reference.json", limit: 16 << 20) else {
            throw CocoaError(.fileReadTooLarge)
        }
        let root = try JSONValue(parsing: bytes)
        func ints(_ key: String) throws -> [Int] { try MiniLMFixtures.ints(root[key]) }
        func rows(_ key: String) throws -> [[Int]] {
            try XCTUnwrap(root[key]?.arrayValue, key).map { try MiniLMFixtures.ints($0) }
        }
        func floats(_ key: String) throws -> [Float] {
            try XCTUnwrap(root[key]?.arrayValue, key).map { Float(try XCTUnwrap($0.doubleValue)) }
        }
        return Reference(
            inputIDs: try rows("input_ids"), logitsShape: try ints("logits_shape"), logits: try floats("logits"),
            hiddenShape: try ints("last_hidden_state_shape"), hidden: try floats("last_hidden_state"),
            loss: Float(try XCTUnwrap(root["lm_loss"]?.doubleValue)), paddedIDs: try rows("padded_input_ids"),
            paddedMask: try rows("padded_attention_mask"), paddedHidden: try floats("padded_last_hidden_state"),
            prompt: try ints("prompt"), maxNewTokens: Int(try XCTUnwrap(root["max_new_tokens"]?.integerValue)),
            eos: Int(try XCTUnwrap(root["eos_token_id"]?.integerValue)), greedy: try ints("greedy_new_ids"))
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}

/// Fine-tuned GPT-2 models exported with their lineage and loaded back.
final class GPT2ExportTests: LoaderTestCase {
    func testExport_FineTunedLM_ReloadsWithSameLogitsAndParentConfig() throws {
        let destination = scratch + "/gpt2"
        try SafetensorsImporter().importFolder(GPT2Fixtures.folder(), to: destination)
        let parent = try Checkpoint(directory: destination)
        let model = try GPT2Loader.languageModel(from: parent)
        let batch = try TokenBatch(inputIDs: [[1, 2, 3, 4, 5]])
        let optimizer = AdamW(groups: [ParameterGroup(parameters: model.parameters(), learningRate: 1e-3)])
        try model.languageModelingLoss(batch).backward()
        optimizer.step()
        let child = try ModelExporter.export(model, parent: parent, to: scratch + "/child")
        XCTAssertFalse(child.tensors.contains { $0.name == "lm_head.weight" }, "tied: written once, as HF does")
        let reloaded = try GPT2Loader.languageModel(from: try Checkpoint(directory: scratch + "/child"))
        let expected = try withNoGrad { try model(batch) }.logits.value
        XCTAssertEqual(try withNoGrad { try reloaded(batch) }.logits.value, expected)
        XCTAssertEqual(reloaded.config, model.config)
    }

    func testExport_GPT2Classifier_RecordsTheNewLabelCount() throws {
        let destination = scratch + "/gpt2"
        try SafetensorsImporter().importFolder(GPT2Fixtures.folder(), to: destination)
        let parent = try Checkpoint(directory: destination)
        var config = try GPT2Loader.config(of: parent)
        config.numLabels = 3
        let model = GPT2ForSequenceClassification(config: config, seed: 0)
        try CheckpointLoader.load(
            parent, into: model,
            options: try TransferRecipe.replaceHead(classes: 3).loadOptions(
                for: model, base: GPT2Loader.loadOptions(for: parent, into: model)))
        let child = try ModelExporter.export(model, parent: parent, to: scratch + "/child")
        XCTAssertEqual(child.architecture.config["num_labels"], .integer(3))
        XCTAssertTrue(child.tensors.contains { $0.name == "score.weight" })
        XCTAssertEqual(try GPT2Loader.config(of: try Checkpoint(directory: scratch + "/child")).numLabels, 3)
    }
}

/// A config.json that does not describe the file's tensors is refused before a model is built.
final class GPT2ConfigCheckTests: LoaderTestCase {
    /// The fixture's tensors with `config` as the manifest's config.json.
    func checkpoint(config: [String: JSONValue]) throws -> Checkpoint {
        let source = scratch + "/source"
        if FileSystem.kind(of: source) == .missing {
            try SafetensorsImporter().importFolder(GPT2Fixtures.folder(), to: source)
        }
        let imported = try Checkpoint(directory: source)
        let tensors = try CheckpointLoader.stateDict(from: imported)
        var architecture = imported.manifest.architecture
        architecture.config.merge(config) { _, new in new }
        let path = scratch + "/" + FileSystem.uniqueName("edited")
        let writer = try CheckpointWriter(destination: path, name: "edited", architecture: architecture)
        for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
            try tensor.scalars.withUnsafeBytes { try writer.addTensor(name: name, dtype: .f32, shape: tensor.shape, bytes: $0) }
        }
        try writer.finish()
        return try Checkpoint(directory: path)
    }

    func testConfig_MoreLayersOrWiderThanTheTensors_ThrowsNamingTheTensor() throws {
        let cases: [([String: JSONValue], GPT2LoadError.Reason)] = [
            (["n_layer": .integer(24)], .configDisagrees(tensor: "transformer.h.N (n_layer)", config: "24 blocks", checkpoint: "3 blocks")),
            (["n_embd": .integer(4096), "n_head": .integer(4)],
             .configDisagrees(tensor: "transformer.wte.weight", config: "[512, 4096]", checkpoint: "[512, 64]")),
            (["n_positions": .integer(1 << 20)],
             .configDisagrees(tensor: "transformer.wpe.weight", config: "[1048576, 64]", checkpoint: "[64, 64]")),
            (["n_inner": .integer(100)],
             .configDisagrees(tensor: "transformer.h.0.mlp.c_fc.weight", config: "[64, 100]", checkpoint: "[64, 256]")),
        ]
        for (config, reason) in cases {
            let checkpoint = try checkpoint(config: config)
            XCTAssertThrowsError(try GPT2Loader.languageModel(from: checkpoint), "\(config)") { error in
                XCTAssertEqual((error as? GPT2LoadError)?.reason, reason)
            }
        }
        XCTAssertNoThrow(try GPT2Loader.languageModel(from: try checkpoint(config: [:])))
    }
}
