import Foundation
import XCTest

@testable import TrainingCore

final class GPT2Tests: XCTestCase {
    /// Vocabulary 40, 16 positions, hidden 16, 4 heads, 2 blocks, feed-forward 64; initialised
    /// wider than GPT-2's 0.02 so that every part of the model shows in its outputs.
    static func tinyConfig(layers: Int = 2, dropout: Float = 0) -> GPT2Config {
        GPT2Config(
            vocabSize: 40, positions: 16, embeddingSize: 16, layers: layers, heads: 4, residualDropout: dropout,
            embeddingDropout: dropout, attentionDropout: dropout, initializerRange: 0.3, bosTokenID: 39,
            eosTokenID: 39, numLabels: 3)
    }

    func testParameterNames_AreHuggingFaceKeys() {
        let model = GPT2LMHeadModel(config: Self.tinyConfig(layers: 1), seed: 0)
        XCTAssertEqual(
            model.stateDictKeys,
            [
                "transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.ln_1.weight",
                "transformer.h.0.ln_1.bias", "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn.bias",
                "transformer.h.0.attn.c_proj.weight", "transformer.h.0.attn.c_proj.bias", "transformer.h.0.ln_2.weight",
                "transformer.h.0.ln_2.bias", "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_fc.bias",
                "transformer.h.0.mlp.c_proj.weight", "transformer.h.0.mlp.c_proj.bias", "transformer.ln_f.weight",
                "transformer.ln_f.bias",
            ])
        XCTAssertEqual(model.parameter(named: "transformer.h.0.attn.c_attn.weight")?.shape, [16, 48], "Conv1D: [in, out]")
        XCTAssertEqual(model.parameter(named: "transformer.h.0.mlp.c_proj.weight")?.shape, [64, 16])
        XCTAssertEqual(model.ignoredStateDictKeys, ["lm_head.weight", "transformer.h.0.attn.bias", "transformer.h.0.attn.masked_bias"])
    }

    func testGELUTanh_ValuesAndGradient() {
        let x = Tensor(shape: [5], scalars: [-3, -0.5, 0, 0.7, 2.5])
        let y = Variable(x).geluTanh().value.scalars
        for (input, output) in zip(x.scalars, y) {
            let v = Double(input)
            let expected = 0.5 * v * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)))
            XCTAssertEqual(Double(output), expected, accuracy: 1e-6)
        }
        Support.checkGradients([Support.random([3, 7], seed: 1, scale: 2)], step: 1e-2) { $0[0].geluTanh() }
    }

    func testConv1D_IsTransposedLinearAndGradientsCheck() {
        let x = Support.random([2, 3, 5], seed: 2)
        let w = Support.random([5, 4], seed: 3)
        let b = Support.random([4], seed: 4)
        let y = conv1D(Variable(x), weight: Variable(w), bias: Variable(b)).value
        let expected = Support.naiveProduct(x.scalars, w.scalars, m: 6, n: 4, k: 5).enumerated().map { $1 + b.scalars[$0 % 4] }
        Support.assertClose(y.scalars, expected, accuracy: 1e-5)
        Support.checkGradients([x, w, b]) { conv1D($0[0], weight: $0[1], bias: $0[2]) }
    }

    func testSlicingOps_GradientsCheck() {
        Support.checkGradients([Support.random([2, 3, 6], seed: 5)]) { $0[0].slicingLastDimension(start: 2, count: 3) }
        Support.checkGradients([Support.random([5, 3], seed: 6)]) { $0[0].gatheringRows([4, 0, 4, 2]) }
        Support.checkGradients([Support.random([2, 3, 4], seed: 7), Support.random([2, 1, 4], seed: 8)]) {
            Variable.concatenatingSequences($0[0], $0[1])
        }
    }

    func testCausalAttention_GradientsCheckAndLaterKeysHaveNoEffect() {
        let q = Support.random([2, 4, 8], seed: 9), k = Support.random([2, 4, 8], seed: 10)
        let v = Support.random([2, 4, 8], seed: 11)
        var unused = SeededGenerator(seed: 0)
        Support.checkGradients([q, k, v]) {
            multiHeadAttention(query: $0[0], key: $0[1], value: $0[2], heads: 2, mask: nil, dropout: 0, causalOffset: 0, generator: &unused)
        }
        // Changing the last key and value changes only the last query's output.
        var k2 = k, v2 = v
        k2[0, 3, 1] += 5
        v2[0, 3, 2] += 5
        let a = multiHeadAttention(query: Variable(q), key: Variable(k), value: Variable(v), heads: 2, mask: nil, dropout: 0, causalOffset: 0, generator: &unused).value
        let b = multiHeadAttention(query: Variable(q), key: Variable(k2), value: Variable(v2), heads: 2, mask: nil, dropout: 0, causalOffset: 0, generator: &unused).value
        XCTAssertEqual(Array(a.scalars[0..<(3 * 8)]), Array(b.scalars[0..<(3 * 8)]))
        XCTAssertNotEqual(Array(a.scalars[(3 * 8)..<(4 * 8)]), Array(b.scalars[(3 * 8)..<(4 * 8)]))
    }

    func testForward_LaterTokensDoNotChangeEarlierLogits() throws {
        let model = GPT2LMHeadModel(config: Self.tinyConfig(), seed: 1)
        let short = try withNoGrad { try model(TokenBatch(inputIDs: [[3, 9, 27]])) }.logits.value.scalars
        let long = try withNoGrad { try model(TokenBatch(inputIDs: [[3, 9, 27, 5, 1]])) }.logits.value.scalars
        Support.assertClose(Array(long[0..<short.count]), short, accuracy: 1e-6)
    }

    func testKeyValueCache_StepByStepLogitsMatchFullForward() throws {
        let model = GPT2LMHeadModel(config: Self.tinyConfig(), seed: 2)
        let ids = [[4, 8, 15, 16, 23, 38], [1, 2, 3, 5, 7, 11]]
        let full = try withNoGrad { try model(TokenBatch(inputIDs: ids)) }.logits.value
        // The first three positions at once, then one at a time.
        var output = try withNoGrad { try model(TokenBatch(inputIDs: ids.map { Array($0[0..<3]) })) }
        XCTAssertEqual(output.cache.length, 3)
        XCTAssertEqual(output.cache.keys.count, 2)
        var steps: [[Float]] = [output.logits.value.scalars]
        for position in 3..<6 {
            output = try withNoGrad { try model(TokenBatch(inputIDs: ids.map { [$0[position]] }), cache: output.cache) }
            steps.append(output.logits.value.scalars)
        }
        XCTAssertEqual(output.cache.length, 6)
        let vocab = 40
        for row in 0..<2 {
            var stepwise: [Float] = Array(steps[0][(row * 3 * vocab)..<((row + 1) * 3 * vocab)])
            for step in steps.dropFirst() { stepwise += step[(row * vocab)..<((row + 1) * vocab)] }
            let expected = Array(full.scalars[(row * 6 * vocab)..<((row + 1) * 6 * vocab)])
            Support.assertClose(stepwise, expected, accuracy: 1e-5, "row \(row)")
        }
    }

    func testKeyValueCache_TooLongOrWrongBatch_Throws() throws {
        let model = GPT2LMHeadModel(config: Self.tinyConfig(), seed: 2)
        let output = try withNoGrad { try model(TokenBatch(inputIDs: [[Int](repeating: 1, count: 15)])) }
        XCTAssertThrowsError(try model(TokenBatch(inputIDs: [[1, 2]]), cache: output.cache)) { error in
            XCTAssertEqual(error as? ModelInputError, ModelInputError(reason: .sequenceTooLong(length: 17, limit: 16)))
        }
        XCTAssertThrowsError(try model(TokenBatch(inputIDs: [[1], [2]]), cache: output.cache)) { error in
            XCTAssertEqual(
                error as? ModelInputError, ModelInputError(reason: .countMismatch(field: "cache batch", expected: 2, actual: 1)))
        }
        XCTAssertThrowsError(try model(TokenBatch(inputIDs: [[1, 40]]))) { error in
            XCTAssertEqual(
                error as? ModelInputError,
                ModelInputError(reason: .indexOutOfRange(field: "input_ids", position: 1, value: 40, limit: 40)))
        }
    }

    func testPadding_RightPaddedRowGivesSameStatesAsAlone() throws {
        let model = GPT2Model(config: Self.tinyConfig(), seed: 3)
        let alone = try withNoGrad { try model(TokenBatch(inputIDs: [[5, 6, 7]])) }.lastHiddenState.value.scalars
        let batch = try TokenBatch(padding: [[9, 9, 9, 9, 9], [5, 6, 7]])
        let padded = try withNoGrad { try model(batch) }.lastHiddenState.value.scalars
        Support.assertClose(Array(padded[(5 * 16)..<(8 * 16)]), alone, accuracy: 1e-5)
    }

    func testBackward_WholeLMModel_MatchesFiniteDifferences() throws {
        let model = GPT2LMHeadModel(config: Self.tinyConfig(), seed: 5)
        let batch = try TokenBatch(padding: [[1, 7, 9, 3, 12], [1, 8, 3]])
        func loss() throws -> Double {
            Double(try withNoGrad { try model.languageModelingLoss(batch) }.value.scalar)
        }
        try model.languageModelingLoss(batch).backward()
        let checked: [(name: String, elements: [Int])] = [
            ("transformer.wte.weight", [7 * 16 + 3, 8 * 16 + 11, 1 * 16, 30 * 16 + 2]),  // 30: only in the tied head
            ("transformer.wpe.weight", [2 * 16 + 5, 4 * 16]),
            ("transformer.h.0.ln_1.weight", [4]),
            ("transformer.h.0.attn.c_attn.weight", [0, 37, 16 * 48 - 1, 5 * 48 + 20, 7 * 48 + 40]),
            ("transformer.h.0.attn.c_attn.bias", [3, 19, 40]),
            ("transformer.h.1.attn.c_proj.weight", [100]),
            ("transformer.h.1.ln_2.bias", [9]),
            ("transformer.h.0.mlp.c_fc.weight", [13, 400]),
            ("transformer.h.1.mlp.c_proj.weight", [77, 1000]),
            ("transformer.h.1.mlp.c_proj.bias", [2]),
            ("transformer.ln_f.weight", [6]),
            ("transformer.ln_f.bias", [11]),
        ]
        try Support.checkParameterGradients(of: model, checked, loss: loss)
    }

    func testBackward_ClassifierLastTokenAndMean_MatchFiniteDifferences() throws {
        for pooling in [GPT2ForSequenceClassification.Pooling.lastToken, .mean] {
            let model = GPT2ForSequenceClassification(config: Self.tinyConfig(), pooling: pooling, seed: 6)
            let batch = try TokenBatch(padding: [[1, 7, 9, 3], [1, 8]])
            let labels = [2, 0]
            func loss() throws -> Double {
                Double(try withNoGrad { try crossEntropy(logits: model(batch), labels: labels) }.value.scalar)
            }
            try crossEntropy(logits: model(batch), labels: labels).backward()
            try Support.checkParameterGradients(
                of: model,
                [("score.weight", [20]), ("transformer.h.1.attn.c_attn.weight", [300]), ("transformer.wte.weight", [8 * 16 + 1])],
                label: "\(pooling) ", loss: loss)
        }
    }

    func testTrainingMode_DropoutIsSeededAndOffInEval() throws {
        let config = Self.tinyConfig(dropout: 0.2)
        let batch = try TokenBatch(inputIDs: [[1, 2, 3, 4]])
        let a = GPT2LMHeadModel(config: config, seed: 4)
        let b = GPT2LMHeadModel(config: config, seed: 4)
        let trainingA = try a(batch).logits.value
        XCTAssertEqual(trainingA, try b(batch).logits.value, "same seed, same dropout masks")
        XCTAssertNotEqual(trainingA, try a(batch).logits.value, "the masks advance")
        a.eval()
        XCTAssertEqual(try a(batch).logits.value, try a(batch).logits.value)
        XCTAssertNotEqual(try a(batch).logits.value, trainingA)
    }

    func testFineTuning_LanguageModelOnTinySequence_LossDrops() throws {
        let model = GPT2LMHeadModel(config: Self.tinyConfig(dropout: 0.1), seed: 7)
        let batch = try TokenBatch(inputIDs: [[1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]])
        let optimizer = AdamW(groups: [ParameterGroup(parameters: model.parameters(), learningRate: 1e-2)])
        let initial = try withNoGrad { try model.languageModelingLoss(batch) }.value.scalar
        for _ in 0..<40 {
            optimizer.zeroGrad()
            try model.languageModelingLoss(batch).backward()
            optimizer.step()
        }
        model.eval()
        let final = try withNoGrad { try model.languageModelingLoss(batch) }.value.scalar
        XCTAssertLessThan(final, initial / 4)
        // The learnt sequence comes back greedily.
        XCTAssertEqual(try model.generate(prompt: [1, 2, 3], maxNewTokens: 5), [4, 5, 6, 7, 8])
    }

    func testGenerate_StopsAtEOSAndAtPositions_RestoresMode() throws {
        let model = GPT2LMHeadModel(config: Self.tinyConfig(), seed: 8)
        let free = try model.generate(prompt: [1, 2], maxNewTokens: 10)
        XCTAssertEqual(free.count, 10)
        XCTAssertTrue(model.isTraining, "generation puts the model back in its mode")
        let eos = free[3]
        let stopped = try model.generate(prompt: [1, 2], maxNewTokens: 10, eosTokenID: eos)
        XCTAssertEqual(stopped, Array(free[...free.firstIndex(of: eos)!]))
        let full = try model.generate(prompt: [Int](repeating: 3, count: 12), maxNewTokens: 10)
        XCTAssertEqual(full.count, 4, "16 positions")
        XCTAssertEqual(try model.generate(prompt: [1], maxNewTokens: 0), [])
        XCTAssertThrowsError(try model.generate(prompt: [], maxNewTokens: 3))
        XCTAssertThrowsError(try model.generate(prompt: [40], maxNewTokens: 3)) { error in
            XCTAssertEqual(
                error as? ModelInputError, ModelInputError(reason: .indexOutOfRange(field: "prompt", position: 0, value: 40, limit: 40)))
        }
        XCTAssertThrowsError(try model.generate(prompt: [Int](repeating: 1, count: 17), maxNewTokens: 1)) { error in
            XCTAssertEqual(error as? ModelInputError, ModelInputError(reason: .sequenceTooLong(length: 17, limit: 16)))
        }
    }

    func testSampling_TopKOneAndTinyTopPAreGreedy_SeedsRepeat_BadSettingsThrow() throws {
        let logits: [Float] = [0.1, 2.0, -1, 1.9, 0.5]
        var generator = SeededGenerator(seed: 1)
        logits.withUnsafeBufferPointer { p in
            XCTAssertEqual(TokenSampling.greedy.choose(from: p, generator: &generator), 1)
            for _ in 0..<50 {
                XCTAssertEqual(TokenSampling.sample(topK: 1).choose(from: p, generator: &generator), 1)
                XCTAssertEqual(TokenSampling.sample(topP: 0.01).choose(from: p, generator: &generator), 1)
                XCTAssertTrue([1, 3].contains(TokenSampling.sample(topK: 2).choose(from: p, generator: &generator)))
            }
            // Unrestricted sampling reaches every token, in proportion.
            var counts = [Int](repeating: 0, count: 5)
            for _ in 0..<20_000 { counts[TokenSampling.sample().choose(from: p, generator: &generator)] += 1 }
            let weights = logits.map { Foundation.exp(Double($0)) }
            let total = weights.reduce(0, +)
            for (count, weight) in zip(counts, weights) {
                XCTAssertEqual(Double(count) / 20_000, weight / total, accuracy: 0.015)
            }
        }
        for bad in [TokenSampling.sample(temperature: 0), .sample(temperature: .nan), .sample(topK: -1), .sample(topP: 0), .sample(topP: 1.5)] {
            XCTAssertThrowsError(try bad.validate(), "\(bad)")
        }
    }

    func testConfig_JSON_DecodesHFNamesAndRejectsWhatItCannotRun() throws {
        let json = #"{"model_type": "gpt2", "vocab_size": 100, "n_positions": 32, "n_embd": 24, "n_layer": 2, "n_head": 3, "n_inner": null, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05, "bos_token_id": 99, "eos_token_id": 99, "pad_token_id": null, "tie_word_embeddings": true, "scale_attn_weights": true}"#
        let config = try GPT2Config(jsonData: Data(json.utf8))
        XCTAssertEqual(config, GPT2Config(vocabSize: 100, positions: 32, embeddingSize: 24, layers: 2, heads: 3, bosTokenID: 99, eosTokenID: 99))
        XCTAssertEqual(try GPT2Config(jsonData: JSONEncoder().encode(config)), config)
        let cases: [(String, GPT2ConfigError.Reason)] = [
            (#"{"activation_function": "swish"}"#, .unsupported(key: "activation_function", value: "swish")),
            (#"{"scale_attn_by_inverse_layer_idx": true}"#, .unsupported(key: "scale_attn_by_inverse_layer_idx", value: "true")),
            (#"{"tie_word_embeddings": false}"#, .unsupported(key: "tie_word_embeddings", value: "false")),
            (#"{"n_embd": 10, "n_head": 4}"#, .invalid(key: "n_embd", value: "10", expected: "a multiple of n_head (4)")),
            (#"{"n_layer": 0}"#, .invalid(key: "n_layer", value: "0", expected: "a positive integer")),
            (#"{"vocab_size": 10}"#, .invalid(key: "bos_token_id", value: "50256", expected: "a token id in 0..<10")),
            (#"{"n_head": "four"}"#, .malformed("n_head: expected Int")),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try GPT2Config(jsonData: Data(text.utf8)), text) { error in
                XCTAssertEqual((error as? GPT2ConfigError)?.reason, reason, text)
            }
        }
    }
}
