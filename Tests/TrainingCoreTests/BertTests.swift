import Foundation
import XCTest

@testable import TrainingCore

final class BertTests: XCTestCase {
    /// sentence-transformers/all-MiniLM-L6-v2's config.json.
    private let miniLMConfig = """
        {
          "_name_or_path": "nreimers/MiniLM-L6-H384-uncased",
          "architectures": ["BertModel"],
          "attention_probs_dropout_prob": 0.1,
          "gradient_checkpointing": false,
          "hidden_act": "gelu",
          "hidden_dropout_prob": 0.1,
          "hidden_size": 384,
          "initializer_range": 0.02,
          "intermediate_size": 1536,
          "layer_norm_eps": 1e-12,
          "max_position_embeddings": 512,
          "model_type": "bert",
          "num_attention_heads": 12,
          "num_hidden_layers": 6,
          "pad_token_id": 0,
          "position_embedding_type": "absolute",
          "transformers_version": "4.8.2",
          "type_vocab_size": 2,
          "use_cache": true,
          "vocab_size": 30522
        }
        """

    func testConfig_HuggingFaceJSON_Decodes() throws {
        let config = try BertConfig(jsonData: Data(miniLMConfig.utf8))
        XCTAssertEqual(
            config,
            BertConfig(
                vocabSize: 30522, hiddenSize: 384, numLayers: 6, numHeads: 12, intermediateSize: 1536, maxPositions: 512,
                typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropout: 0.1, attentionDropout: 0.1, hiddenAct: .gelu,
                initializerRange: 0.02, padTokenID: 0, numLabels: 2, classifierDropout: nil))
        XCTAssertEqual(config.headSize, 32)
    }

    func testConfig_Labels_ComeFromId2label() throws {
        let json = #"{"hidden_size": 8, "num_attention_heads": 2, "id2label": {"0": "neg", "1": "neu", "2": "pos"}}"#
        XCTAssertEqual(try BertConfig(jsonData: Data(json.utf8)).numLabels, 3)
    }

    func testConfig_InvalidValues_ThrowNamingTheKey() {
        func reason(_ json: String) -> BertConfigError.Reason? {
            do {
                _ = try BertConfig(jsonData: Data(json.utf8))
                return nil
            } catch {
                return error.reason  // typed throws: `error` is a BertConfigError
            }
        }
        XCTAssertEqual(
            reason(#"{"hidden_size": 10, "num_attention_heads": 4}"#),
            .invalid(key: "hidden_size", value: "10", expected: "a multiple of num_attention_heads (4)"))
        XCTAssertEqual(reason(#"{"hidden_act": "swish"}"#), .unsupported(key: "hidden_act", value: "swish"))
        XCTAssertEqual(
            reason(#"{"position_embedding_type": "relative_key"}"#),
            .unsupported(key: "position_embedding_type", value: "relative_key"))
        XCTAssertEqual(reason(#"{"hidden_size": "big"}"#), .malformed("hidden_size: expected Int"))
        XCTAssertEqual(
            reason(#"{"num_hidden_layers": 0}"#),
            .invalid(key: "num_hidden_layers", value: "0", expected: "a positive integer"))
        XCTAssertEqual(reason("{"), .malformed("not valid JSON"))
    }

    func testTokenBatch_Padding_BuildsMask() throws {
        let batch = try TokenBatch(padding: [[5, 6, 7], [8]], paddingID: 0)
        XCTAssertEqual(batch.inputIDs, [5, 6, 7, 8, 0, 0])
        XCTAssertEqual(batch.attentionMask, [1, 1, 1, 1, 0, 0])
        XCTAssertEqual(batch.tokenTypeIDs, [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(batch.sequence(at: 1), [8])
    }

    func testTokenBatch_BadRows_Throw() {
        XCTAssertThrowsError(try TokenBatch(inputIDs: [[1, 2], [3]])) { error in
            XCTAssertEqual(
                error as? ModelInputError,
                ModelInputError(reason: .raggedRow(field: "input_ids", row: 1, expected: 2, actual: 1)))
        }
        XCTAssertThrowsError(try TokenBatch(inputIDs: [[1, 2]], attentionMask: [[1, 2]])) { error in
            XCTAssertEqual(
                error as? ModelInputError,
                ModelInputError(reason: .indexOutOfRange(field: "attention_mask", position: 1, value: 2, limit: 2)))
        }
        XCTAssertThrowsError(try TokenBatch(inputIDs: [])) { error in
            XCTAssertEqual(error as? ModelInputError, ModelInputError(reason: .emptyBatch))
        }
    }

    func testForward_BadIDs_ThrowNamingTheField() throws {
        let model = BertModel(config: Support.tinyBertConfig(), seed: 1)
        XCTAssertThrowsError(try model(TokenBatch(inputIDs: [[1, 50]]))) { error in
            XCTAssertEqual(
                error as? ModelInputError,
                ModelInputError(reason: .indexOutOfRange(field: "input_ids", position: 1, value: 50, limit: 50)))
        }
        XCTAssertThrowsError(try model(TokenBatch(inputIDs: [[1, 2]], tokenTypeIDs: [[0, 2]]))) { error in
            XCTAssertEqual(
                error as? ModelInputError,
                ModelInputError(reason: .indexOutOfRange(field: "token_type_ids", position: 1, value: 2, limit: 2)))
        }
        XCTAssertThrowsError(try model(TokenBatch(inputIDs: [[Int](repeating: 1, count: 25)]))) { error in
            XCTAssertEqual(error as? ModelInputError, ModelInputError(reason: .sequenceTooLong(length: 25, limit: 24)))
        }
    }

    func testForward_Shapes_FollowConfig() throws {
        let model = BertModel(config: Support.tinyBertConfig(), seed: 1)
        let output = try model(TokenBatch(inputIDs: [[1, 2, 3], [4, 5, 6]]))
        XCTAssertEqual(output.lastHiddenState.shape, [2, 3, 16])
        XCTAssertEqual(output.pooledOutput?.shape, [2, 16])
        XCTAssertTrue(output.pooledOutput?.value.scalars.allSatisfy { abs($0) < 1 } ?? false, "tanh range")
        let classifier = BertForSequenceClassification(config: Support.tinyBertConfig(), seed: 1)
        XCTAssertEqual(try classifier(TokenBatch(inputIDs: [[1, 2]])).shape, [1, 3])
    }

    func testForward_PaddedBatch_EqualsOneSentenceAtATime() throws {
        let model = BertModel(config: Support.tinyBertConfig(dropout: 0.1), seed: 2)
        model.eval()
        let sentences = [[2, 17, 33, 8, 9, 4], [2, 40, 4], [2, 11, 12, 13, 4]]
        let batch = try TokenBatch(padding: sentences)
        let batched = try withNoGrad { try model(batch) }
        let pooled = meanPooling(batched.lastHiddenState, mask: batch.maskTensor).l2Normalized().value
        let (length, hidden) = (batch.sequenceLength, 16)
        for (row, sentence) in sentences.enumerated() {
            let alone = try withNoGrad { try model(TokenBatch(inputIDs: [sentence])) }
            let real = batched.lastHiddenState.value.scalars[(row * length * hidden)..<((row * length + sentence.count) * hidden)]
            Support.assertClose(Array(real), alone.lastHiddenState.value.scalars, accuracy: 1e-5, "sentence \(row)")
            Support.assertClose(
                Array(batched.pooledOutput?.value.scalars[(row * hidden)..<((row + 1) * hidden)] ?? []),
                alone.pooledOutput?.value.scalars ?? [], accuracy: 1e-5)
            let aloneMask = Tensor.ones([1, sentence.count])
            Support.assertClose(
                Array(pooled.scalars[(row * hidden)..<((row + 1) * hidden)]),
                meanPooling(alone.lastHiddenState, mask: aloneMask).l2Normalized().value.scalars, accuracy: 1e-5)
        }
    }

    func testForward_NoGrad_SameValuesAndNoGraph() throws {
        let model = BertForSequenceClassification(config: Support.tinyBertConfig(), seed: 3)
        let batch = try TokenBatch(padding: [[1, 2, 3], [4, 5]])
        let recorded = try model(batch)
        let inference = try withNoGrad { try model(batch) }
        XCTAssertTrue(recorded.requiresGrad)
        XCTAssertFalse(inference.requiresGrad)
        XCTAssertEqual(recorded.value, inference.value)
    }

    func testForward_TrainingMode_DropoutIsSeededAndOffInEval() throws {
        let config = Support.tinyBertConfig(dropout: 0.2)
        let batch = try TokenBatch(inputIDs: [[1, 2, 3, 4]])
        let a = BertForSequenceClassification(config: config, seed: 4)
        let b = BertForSequenceClassification(config: config, seed: 4)
        let trainingA = try a(batch).value
        XCTAssertEqual(trainingA, try b(batch).value, "same seed, same dropout masks")
        XCTAssertNotEqual(trainingA, try a(batch).value, "the masks advance")
        a.eval()
        XCTAssertEqual(try a(batch).value, try a(batch).value)
        XCTAssertNotEqual(try a(batch).value, trainingA)
    }

    func testBackward_WholeModel_MatchesFiniteDifferences() throws {
        let model = BertForSequenceClassification(config: Support.tinyBertConfig(), seed: 5)
        let batch = try TokenBatch(padding: [[1, 7, 9, 3], [1, 8, 3]])
        let labels = [2, 0]
        func loss() throws -> Double {
            Double(try withNoGrad { try crossEntropy(logits: model(batch), labels: labels) }.value.scalar)
        }
        try crossEntropy(logits: model(batch), labels: labels).backward()
        let checked: [(name: String, elements: [Int])] = [
            ("bert.embeddings.word_embeddings.weight", [7 * 16 + 3, 8 * 16 + 11, 1 * 16]),
            ("bert.embeddings.position_embeddings.weight", [2 * 16 + 5]),
            ("bert.embeddings.LayerNorm.weight", [4]),
            ("bert.encoder.layer.0.attention.self.query.weight", [0, 37, 255]),
            ("bert.encoder.layer.0.attention.self.key.bias", [3]),
            ("bert.encoder.layer.1.attention.self.value.weight", [100]),
            ("bert.encoder.layer.1.attention.output.LayerNorm.bias", [9]),
            ("bert.encoder.layer.0.intermediate.dense.weight", [13, 400]),
            ("bert.encoder.layer.1.output.dense.weight", [77]),
            ("bert.pooler.dense.weight", [21]),
            ("classifier.weight", [0, 40]),
            ("classifier.bias", [1]),
        ]
        try Support.checkParameterGradients(of: model, checked, loss: loss)
    }

    func testFineTuning_AdamWOnTinyTask_LossDrops() throws {
        let model = BertForSequenceClassification(config: Support.tinyBertConfig(dropout: 0.1), seed: 6)
        let batch = try TokenBatch(padding: [[1, 10, 11, 2], [1, 20, 21, 2], [1, 10, 12, 2], [1, 22, 2]])
        let labels = [0, 1, 0, 1]
        let optimizer = AdamW(
            groups: [
                ParameterGroup(model, matching: ["bert"], learningRate: 1e-2, weightDecay: 0.01),
                ParameterGroup(model, matching: ["classifier"], learningRate: 2e-2),
            ])
        let initial = try withNoGrad { try crossEntropy(logits: model(batch), labels: labels) }.value.scalar
        for _ in 0..<40 {
            optimizer.zeroGrad()
            try crossEntropy(logits: model(batch), labels: labels).backward()
            optimizer.step()
        }
        model.eval()
        let logits = try withNoGrad { try model(batch) }
        let final = try crossEntropy(logits: logits, labels: labels).value.scalar
        XCTAssertLessThan(final, initial / 4)
        XCTAssertEqual(accuracy(logits: logits.value, labels: labels), 1)
    }

    func testFineTuning_FrozenEncoder_OnlyHeadChanges() throws {
        let model = BertForSequenceClassification(config: Support.tinyBertConfig(), seed: 7)
        try model.freeze(strictlyMatching: ["bert"])
        let before = model.stateDict()
        let optimizer = SGD(parameters: model.parameters(), learningRate: 0.1, momentum: 0.9)
        try crossEntropy(logits: model(TokenBatch(inputIDs: [[1, 2, 3]])), labels: [1]).backward()
        XCTAssertTrue(model.namedParameters().filter { $0.name.hasPrefix("bert.") }.allSatisfy { $0.parameter.grad == nil })
        optimizer.step()
        let after = model.stateDict()
        for key in before.keys where key.hasPrefix("bert.") { XCTAssertEqual(after[key], before[key], key) }
        XCTAssertNotEqual(after["classifier.weight"], before["classifier.weight"])
    }
}
