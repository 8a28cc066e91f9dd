import XCTest

@testable import TrainingCore

final class StateDictTests: XCTestCase {
    /// HF transformers' `BertForSequenceClassification(config).state_dict()` keys for two layers,
    /// without buffers, in order.
    private let huggingFaceKeys: [String] = {
        var keys = [
            "bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight",
            "bert.embeddings.token_type_embeddings.weight", "bert.embeddings.LayerNorm.weight",
            "bert.embeddings.LayerNorm.bias",
        ]
        for layer in 0..<2 {
            let p = "bert.encoder.layer.\(layer)."
            keys += [
                p + "attention.self.query.weight", p + "attention.self.query.bias",
                p + "attention.self.key.weight", p + "attention.self.key.bias",
                p + "attention.self.value.weight", p + "attention.self.value.bias",
                p + "attention.output.dense.weight", p + "attention.output.dense.bias",
                p + "attention.output.LayerNorm.weight", p + "attention.output.LayerNorm.bias",
                p + "intermediate.dense.weight", p + "intermediate.dense.bias",
                p + "output.dense.weight", p + "output.dense.bias",
                p + "output.LayerNorm.weight", p + "output.LayerNorm.bias",
            ]
        }
        keys += ["bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"]
        return keys
    }()

    func testStateDictKeys_BertForSequenceClassification_MatchHuggingFace() {
        let model = BertForSequenceClassification(config: Support.tinyBertConfig(layers: 2), seed: 0)
        XCTAssertEqual(model.stateDictKeys, huggingFaceKeys)
        XCTAssertEqual(Set(model.stateDict().keys), Set(huggingFaceKeys))
    }

    func testStateDictShapes_BertForSequenceClassification_MatchHuggingFace() {
        let config = Support.tinyBertConfig(layers: 2)
        let state = BertForSequenceClassification(config: config, seed: 0).stateDict()
        XCTAssertEqual(state["bert.embeddings.word_embeddings.weight"]?.shape, [50, 16])
        XCTAssertEqual(state["bert.embeddings.position_embeddings.weight"]?.shape, [24, 16])
        XCTAssertEqual(state["bert.embeddings.token_type_embeddings.weight"]?.shape, [2, 16])
        XCTAssertEqual(state["bert.encoder.layer.1.attention.self.query.weight"]?.shape, [16, 16])
        XCTAssertEqual(state["bert.encoder.layer.0.intermediate.dense.weight"]?.shape, [32, 16])
        XCTAssertEqual(state["bert.encoder.layer.0.output.dense.weight"]?.shape, [16, 32])
        XCTAssertEqual(state["classifier.weight"]?.shape, [3, 16])
        XCTAssertEqual(state["classifier.bias"]?.shape, [3])
    }

    func testStateDictKeys_BertModel_HaveNoPrefix() {
        let keys = BertModel(config: Support.tinyBertConfig(layers: 1), seed: 0).stateDictKeys
        XCTAssertEqual(keys.first, "embeddings.word_embeddings.weight")
        XCTAssertEqual(keys.last, "pooler.dense.bias")
        XCTAssertTrue(keys.contains("encoder.layer.0.attention.self.query.weight"))
        let noPooler = BertModel(config: Support.tinyBertConfig(layers: 1), addPooler: false, seed: 0).stateDictKeys
        XCTAssertEqual(noPooler.last, "encoder.layer.0.output.LayerNorm.bias")
    }

    func testLoad_FullStateDict_CopiesEveryValue() throws {
        let config = Support.tinyBertConfig()
        let source = BertForSequenceClassification(config: config, seed: 1)
        let target = BertForSequenceClassification(config: config, seed: 2)
        XCTAssertNotEqual(source.stateDict(), target.stateDict())
        let report = try target.load(stateDict: source.stateDict())
        XCTAssertEqual(report.loadedKeys, huggingFaceKeys)
        XCTAssertTrue(report.isComplete)
        XCTAssertEqual(source.stateDict(), target.stateDict())
    }

    func testLoad_BuffersInCheckpoint_AreIgnored() throws {
        let model = BertModel(config: Support.tinyBertConfig(layers: 1), seed: 1)
        var state = model.stateDict()
        state["embeddings.position_ids"] = Tensor(shape: [1, 24], scalars: (0..<24).map(Float.init))
        let report = try model.load(stateDict: state)
        XCTAssertEqual(report.ignoredKeys, ["embeddings.position_ids"])
        XCTAssertEqual(report.unexpectedKeys, [])
    }

    func testLoad_Mismatches_ThrowWithFullReportAndChangeNothing() {
        let model = MLPClassifier(inputSize: 4, hiddenSizes: [8], classCount: 3, seed: 1)
        let before = model.stateDict()
        var state = MLPClassifier(inputSize: 4, hiddenSizes: [8], classCount: 3, seed: 2).stateDict()
        state["layers.2.bias"] = nil
        state["layers.2.weight"] = .zeros([5, 8])
        state["head.weight"] = .zeros([1])
        state["extra"] = .zeros([1])
        XCTAssertThrowsError(try model.load(stateDict: state)) { error in
            let expected = LoadReport(
                loadedKeys: ["layers.0.weight", "layers.0.bias"], missingKeys: ["layers.2.bias"],
                unexpectedKeys: ["extra", "head.weight"],
                shapeMismatches: [ShapeMismatch(key: "layers.2.weight", expected: [3, 8], actual: [5, 8])])
            XCTAssertEqual(error as? LoadError, LoadError(report: expected, failedChecks: .all))
            XCTAssertEqual(
                "\(error)",
                "state dict does not fit the model: 1 missing key (layers.2.bias); 2 unexpected keys (extra, head.weight);"
                    + " 1 shape mismatch: layers.2.weight: model has shape [3, 8], state dict has [5, 8]")
        }
        XCTAssertEqual(model.stateDict(), before)
    }

    func testLoad_RelaxedVerification_LoadsWhatFitsAndReports() throws {
        let model = MLPClassifier(inputSize: 4, hiddenSizes: [8], classCount: 3, seed: 1)
        let donor = MLPClassifier(inputSize: 4, hiddenSizes: [8], classCount: 5, seed: 2)
        // A new head: its shapes differ, so only the body loads.
        XCTAssertThrowsError(try model.load(stateDict: donor.stateDict(), verify: [.matchingShapes]))
        let untouched = MLPClassifier(inputSize: 4, hiddenSizes: [8], classCount: 3, seed: 1)
        XCTAssertEqual(model.stateDict(), untouched.stateDict(), "a failed check loads nothing")
        let report = try model.load(stateDict: donor.stateDict(), verify: [])
        XCTAssertEqual(report.loadedKeys, ["layers.0.weight", "layers.0.bias"])
        XCTAssertEqual(report.shapeMismatches.map(\.key), ["layers.2.weight", "layers.2.bias"])
        XCTAssertEqual(model.parameter(named: "layers.0.weight")?.value, donor.parameter(named: "layers.0.weight")?.value)
        XCTAssertNotEqual(model.parameter(named: "layers.2.bias")?.shape, [5])
    }

    func testLoad_MissingKeysAllowed_LoadsTheRest() throws {
        let config = Support.tinyBertConfig(layers: 1)
        let encoder = BertModel(config: config, seed: 3)
        let classifier = BertForSequenceClassification(config: config, seed: 4)
        // A pretrained encoder under "bert.", a fresh head.
        let state = Dictionary(uniqueKeysWithValues: encoder.stateDict().map { ("bert." + $0.key, $0.value) })
        let report = try classifier.load(stateDict: state, verify: [.noUnexpectedKeys, .matchingShapes])
        XCTAssertEqual(report.missingKeys, ["classifier.weight", "classifier.bias"])
        XCTAssertEqual(
            classifier.parameter(named: "bert.pooler.dense.weight")?.value, encoder.parameter(named: "pooler.dense.weight")?.value)
    }
}
