import XCTest

@testable import TrainingCore

final class ModuleTests: XCTestCase {
    private func mlp() -> MLPClassifier {
        MLPClassifier(inputSize: 4, hiddenSizes: [8, 6], classCount: 3, seed: 1)
    }

    func testNamedParameters_MLP_FollowSequentialNames() {
        XCTAssertEqual(
            mlp().namedParameters().map(\.name),
            [
                "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.4.weight",
                "layers.4.bias",
            ])
        XCTAssertEqual(mlp().namedParameters().map(\.parameter.shape), [[8, 4], [8], [6, 8], [6], [3, 6], [3]])
        XCTAssertEqual(mlp().parameterCount, 8 * 4 + 8 + 6 * 8 + 6 + 3 * 6 + 3)
    }

    func testNamedModules_ListsPathsParentsFirst() {
        XCTAssertEqual(
            mlp().namedModules().map(\.name), ["", "layers", "layers.0", "layers.1", "layers.2", "layers.3", "layers.4"])
    }

    func testNamePattern_Kinds_MatchAsDocumented() throws {
        let name = "bert.encoder.layer.10.attention.self.query.weight"
        XCTAssertTrue(NamePattern.name(name).matches(name))
        XCTAssertTrue(NamePattern.name("bert.encoder").matches(name))
        XCTAssertFalse(NamePattern.name("bert.enc").matches(name))
        XCTAssertTrue(NamePattern.prefix("bert.enc").matches(name))
        XCTAssertFalse(NamePattern.prefix("bert.encoder.layer.1.").matches(name))
        XCTAssertTrue(NamePattern.glob("bert.encoder.layer.*.attention.*").matches(name))
        XCTAssertTrue(NamePattern.glob("*.query.weigh?").matches(name))
        XCTAssertFalse(NamePattern.glob("*.key.*").matches(name))
        XCTAssertTrue(try NamePattern.regex(#"bert\.encoder\.layer\.(10|11)\..*"#).matches(name))
        XCTAssertFalse(try NamePattern.regex("encoder").matches(name), "regexes match the whole name")
        let literal: NamePattern = "*.bias"
        XCTAssertEqual(literal, .glob("*.bias"))
        let plain: NamePattern = "bert.pooler"
        XCTAssertEqual(plain, .name("bert.pooler"))
    }

    func testNamePattern_BadRegex_Throws() {
        XCTAssertThrowsError(try NamePattern.regex("layer.(")) { error in
            guard case let .invalidPattern(text, _)? = (error as? ModuleError)?.reason else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(text, "layer.(")
        }
    }

    func testFreeze_ByPattern_FreezesOnlyMatches() {
        let model = mlp()
        let frozen = model.freeze(matching: ["layers.0", .glob("*.4.bias")])
        XCTAssertEqual(frozen, ["layers.0.weight", "layers.0.bias", "layers.4.bias"])
        XCTAssertEqual(
            model.trainableParameters().map(\.name), ["layers.2.weight", "layers.2.bias", "layers.4.weight"])
        model.unfreeze(matching: [.prefix("layers.0.w")])
        XCTAssertEqual(model.parameter(named: "layers.0.weight")?.isTrainable, true)
        model.freeze()
        XCTAssertTrue(model.trainableParameters().isEmpty)
        model.unfreeze()
        XCTAssertEqual(model.trainableParameters().count, 6)
    }

    func testFreezeStrictly_PatternMatchingNothing_ThrowsAndChangesNothing() {
        let model = mlp()
        XCTAssertThrowsError(try model.freeze(strictlyMatching: ["layers.0", "layers.1"])) { error in
            XCTAssertEqual(error as? ModuleError, ModuleError(reason: .noMatch("layers.1")))
            XCTAssertEqual("\(error)", "no parameter matches \"layers.1\"")
        }
        XCTAssertEqual(model.trainableParameters().count, 6)
        XCTAssertEqual(try model.freeze(strictlyMatching: ["layers.2.weight"]), ["layers.2.weight"])
        model.freeze()
        XCTAssertThrowsError(try model.unfreeze(strictlyMatching: [.prefix("head.")]))
        XCTAssertEqual(try model.unfreeze(strictlyMatching: [.prefix("layers.4.")]), ["layers.4.weight", "layers.4.bias"])
    }

    func testFrozenParameter_Backward_ComputesNoGradient() {
        let model = mlp()
        model.freeze(matching: ["layers.0"])
        let x = Variable(Support.random([5, 4], seed: 2))
        (try? crossEntropy(logits: model(x), labels: [0, 1, 2, 0, 1]))?.backward()
        XCTAssertNil(model.parameter(named: "layers.0.weight")?.grad)
        XCTAssertNil(model.parameter(named: "layers.0.bias")?.grad)
        XCTAssertNotNil(model.parameter(named: "layers.2.weight")?.grad)
        model.zeroGrad()
        XCTAssertNil(model.parameter(named: "layers.2.weight")?.grad)
    }

    func testTrainEval_Recursive_SetsEveryModule() {
        let model = BertModel(config: Support.tinyBertConfig(layers: 1), seed: 1)
        model.eval()
        XCTAssertTrue(model.namedModules().allSatisfy { !$0.module.isTraining })
        model.train()
        XCTAssertTrue(model.namedModules().allSatisfy { $0.module.isTraining })
    }
}
