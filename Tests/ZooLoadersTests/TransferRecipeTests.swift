import TrainingCore
import XCTest
import ZooFormat
import ZooLoaders

final class TransferRecipeTests: XCTestCase {
    /// `layers.0` (4 -> 5), `layers.2` (5 -> 6), `layers.4` (6 -> classes): the head is `layers.4`.
    private func mlp(classes: Int = 3) -> MLPClassifier {
        MLPClassifier(inputSize: 4, hiddenSizes: [5, 6], classCount: classes, seed: 1)
    }

    private func names(_ group: ParameterGroup, in model: Module) -> [String] {
        let ids = Set(group.parameters.map(ObjectIdentifier.init))
        return model.namedParameters().filter { ids.contains(ObjectIdentifier($0.parameter)) }.map(\.name)
    }

    func testApply_ReplaceHeadFreezeFirstLayer_GroupsAndFrozenSet() throws {
        var recipe = TransferRecipe.replaceHead(classes: 3)
        recipe.freezing = .firstLayers(1)
        recipe.learningRate = 0.01
        let model = mlp()
        let plan = try recipe.apply(to: model)
        XCTAssertEqual(plan.headModule, "layers.4")
        XCTAssertEqual(plan.headParameters, ["layers.4.weight", "layers.4.bias"])
        XCTAssertEqual(plan.frozenParameters, ["layers.0.weight", "layers.0.bias"])
        XCTAssertEqual(plan.parameterGroups.count, 2)
        XCTAssertEqual(names(plan.headGroup, in: model), ["layers.4.weight", "layers.4.bias"])
        XCTAssertEqual(plan.headGroup.learningRate, 0.01)
        XCTAssertEqual(names(plan.backboneGroup, in: model), ["layers.2.weight", "layers.2.bias"])
        XCTAssertEqual(plan.backboneGroup.learningRate, 0.001)
        XCTAssertEqual(model.trainableParameters().map(\.name), ["layers.2.weight", "layers.2.bias", "layers.4.weight", "layers.4.bias"])
    }

    func testApply_ExplicitBackboneRate_Overrides() throws {
        var recipe = TransferRecipe.reuseAsIs
        recipe.learningRate = 0.5
        recipe.backboneLearningRate = 0.2
        let plan = try recipe.apply(to: mlp())
        XCTAssertEqual(plan.headGroup.learningRate, 0.5)
        XCTAssertEqual(plan.backboneGroup.learningRate, 0.2)
        XCTAssertEqual(plan.frozenParameters, [])
        XCTAssertEqual(plan.backboneGroup.parameters.count, 4)
    }

    func testApply_Reapplied_UnfreezesWhatTheNewRecipeDoesNotFreeze() throws {
        let model = mlp()
        var frozen = TransferRecipe.reuseAsIs
        frozen.freezing = .backbone
        XCTAssertEqual(try frozen.apply(to: model).frozenParameters.count, 4)
        XCTAssertEqual(model.trainableParameters().map(\.name), ["layers.4.weight", "layers.4.bias"])
        _ = try TransferRecipe.reuseAsIs.apply(to: model)
        XCTAssertEqual(model.trainableParameters().count, 6)
    }

    func testApply_Patterns_FreezeMatchesAndRejectTypos() throws {
        var recipe = TransferRecipe.reuseAsIs
        recipe.freezing = .matching([.glob("*.bias")])
        let model = mlp()
        XCTAssertEqual(try recipe.apply(to: model).frozenParameters, ["layers.0.bias", "layers.2.bias", "layers.4.bias"])
        recipe.freezing = .matching(["layers.0", "layer.2"])
        XCTAssertThrowsError(try recipe.apply(to: model)) {
            XCTAssertEqual($0 as? TransferRecipeError, TransferRecipeError(.noMatch("layer.2")))
            XCTAssertEqual("\($0)", "no parameter matches freezing pattern \"layer.2\"")
        }
        XCTAssertEqual(model.trainableParameters().count, 3, "unchanged after the failure")
    }

    func testApply_TooManyLayers_ThrowsWithCount() {
        var recipe = TransferRecipe.replaceHead(classes: 3)
        recipe.freezing = .firstLayers(3)
        XCTAssertThrowsError(try recipe.apply(to: mlp())) {
            XCTAssertEqual($0 as? TransferRecipeError, TransferRecipeError(.notEnoughLayers(requested: 3, available: 2)))
        }
    }

    func testApply_HeadWithOldClassCount_ThrowsTellingToRebuild() {
        XCTAssertThrowsError(try TransferRecipe.replaceHead(classes: 5).apply(to: mlp(classes: 3))) {
            XCTAssertEqual($0 as? TransferRecipeError, TransferRecipeError(.headClassMismatch(module: "layers.4", expected: 5, actual: 3)))
        }
    }

    func testApply_UnknownHeadModule_Throws() {
        var recipe = TransferRecipe.reuseAsIs
        recipe.headModule = "classifier"
        XCTAssertThrowsError(try recipe.apply(to: mlp())) {
            XCTAssertEqual($0 as? TransferRecipeError, TransferRecipeError(.headNotFound("classifier")))
        }
    }

    func testApply_BertFirstLayer_FreezesEmbeddingsAndLayer0() throws {
        let model = BertForSequenceClassification(config: LoaderTestCase.tinyBertConfig(layers: 3, labels: 4), seed: 1)
        var recipe = TransferRecipe.replaceHead(classes: 4)
        recipe.freezing = .firstLayers(1)
        let plan = try recipe.apply(to: model)
        XCTAssertEqual(plan.headModule, "classifier")
        XCTAssertEqual(plan.frozenParameters.count, 5 + 16)
        XCTAssertEqual(plan.frozenParameters.first, "bert.embeddings.word_embeddings.weight")
        XCTAssertEqual(plan.frozenParameters.last, "bert.encoder.layer.0.output.LayerNorm.bias")
        XCTAssertEqual(plan.headGroup.parameters.count, 2)
        XCTAssertEqual(plan.backboneGroup.parameters.count, 2 * 16 + 2)  // layers 1 and 2, pooler
    }

    func testApply_OptimizerStep_ChangesOnlyGroupedParameters() throws {
        let model = mlp()
        var recipe = TransferRecipe.replaceHead(classes: 3)
        recipe.freezing = .firstLayers(1)
        let plan = try recipe.apply(to: model)
        let before = model.stateDict()
        let optimizer = AdamW(groups: plan.parameterGroups)
        let loss = try crossEntropy(logits: model(Variable(Tensor(shape: [2, 4], scalars: [1, 2, 3, 4, -1, 0, 1, 2]))), labels: [0, 2])
        loss.backward()
        optimizer.step()
        let after = model.stateDict()
        for name in model.stateDictKeys {
            if plan.frozenParameters.contains(name) {
                XCTAssertEqual(after[name], before[name], name)
            } else {
                XCTAssertNotEqual(after[name], before[name], name)
            }
        }
    }

    // MARK: JSON

    func testJSON_Recipe_ExactMembersShortestDecimals() throws {
        var recipe = TransferRecipe.replaceHead(classes: 3)
        recipe.freezing = .firstLayers(2)
        recipe.learningRate = 1e-3
        recipe.epochs = 4
        recipe.dataset = .init(name: "topics", size: 60)
        recipe.metrics = ["accuracy": 0.875]
        let expected = #"{"dataset":{"name":"topics","size":60},"epochs":4,"freeze":{"layers":2,"rule":"firstLayers"},"#
            + #""head":{"action":"replace","classes":3},"learningRates":{"backbone":0.0001,"head":0.001},"#
            + #""metrics":{"accuracy":0.875},"type":"zoo.transfer","weightDecay":0}"#
        XCTAssertEqual(String(decoding: recipe.json.canonicalBytes, as: UTF8.self), expected)
        XCTAssertEqual(try TransferRecipe(json: recipe.json), recipe)
    }

    func testJSON_PatternsAndBackboneRate_RoundTrip() throws {
        let recipe = TransferRecipe(
            head: .reuse, headModule: "classifier", freezing: .matching(["bert.embeddings", .prefix("bert.encoder.layer.0."),
                                                                          .glob("*.LayerNorm.*"), try .regex(#"pooler\..*"#)]),
            learningRate: 2e-5, backboneLearningRate: 1e-5, weightDecay: 0.01, epochs: 1, metrics: ["loss": 0.25])
        XCTAssertEqual(try TransferRecipe(json: recipe.json), recipe)
        XCTAssertEqual(recipe.json["freeze"]?["patterns"]?.arrayValue?[1], ["kind": "prefix", "text": "bert.encoder.layer.0."])
    }

    func testJSON_Plan_AddsResolvedNames() throws {
        var recipe = TransferRecipe.replaceHead(classes: 3)
        recipe.freezing = .firstLayers(1)
        var plan = try recipe.apply(to: mlp())
        plan.recipe.metrics["accuracy"] = 1
        let json = plan.json
        XCTAssertEqual(json["frozenParameters"], ["layers.0.weight", "layers.0.bias"])
        XCTAssertEqual(json["head"], ["action": "replace", "classes": 3, "module": "layers.4",
                                      "parameters": ["layers.4.weight", "layers.4.bias"]])
        XCTAssertEqual(json["metrics"], ["accuracy": 1.0])
        XCTAssertEqual(try TransferRecipe(json: json).metrics, ["accuracy": 1])
    }

    func testJSON_Invalid_ThrowsNamingMember() {
        XCTAssertThrowsError(try TransferRecipe(json: ["type": "zoo.transfer", "head": ["action": "swap"]])) {
            XCTAssertEqual($0 as? TransferRecipeError,
                           TransferRecipeError(.invalidJSON(member: "head.action", expected: "\"reuse\" or \"replace\"")))
        }
        XCTAssertThrowsError(try TransferRecipe(json: ["method": "fine-tune"])) {
            XCTAssertEqual(($0 as? TransferRecipeError)?.reason, .invalidJSON(member: "type", expected: "\"zoo.transfer\""))
        }
    }

    func testSummary_PlanJSON_OneLine() throws {
        var recipe = TransferRecipe.replaceHead(classes: 3)
        recipe.freezing = .firstLayers(1)
        recipe.dataset = .init(name: "topics", size: 60)
        var plan = try recipe.apply(to: mlp())
        plan.recipe.metrics = ["accuracy": 0.9]
        XCTAssertEqual(
            TransferRecipe.summary(of: plan.json),
            "replace head layers.4 (3 classes); freeze first 1 layer (2 parameters); lr head 0.001, backbone 0.0001; "
                + "3 epochs; data topics (60 examples); accuracy 0.9")
        XCTAssertEqual(TransferRecipe.summary(of: ["method": "fine-tune", "epochs": 3]), #"{"epochs":3,"method":"fine-tune"}"#)
    }

    func testLoadOptions_ReplaceHead_ExcludesAndAllowsOnlyTheHead() throws {
        let options = try TransferRecipe.replaceHead(classes: 3).loadOptions(for: mlp())
        XCTAssertEqual(options.exclude, ["layers.4"])
        XCTAssertEqual(options.allowMissing, ["layers.4"])
        XCTAssertEqual(options.verify, .all)
        XCTAssertEqual(try TransferRecipe.reuseAsIs.loadOptions(for: mlp()).exclude, [])
    }
}
