import Foundation
import XCTest

@testable import TrainingCore

final class OptimizerTests: XCTestCase {
    private func parameter(_ values: [Float], grad: [Float]) -> Parameter {
        let p = Parameter(Tensor(shape: [values.count], scalars: values))
        p.accumulateGradient(Tensor(shape: [grad.count], scalars: grad))
        return p
    }

    func testSGD_Momentum_MatchesHandComputedSteps() {
        let p = parameter([1, -2], grad: [0.5, 1])
        let sgd = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9)
        sgd.step()
        // v = g; p -= 0.1 v
        Support.assertClose(p.value.scalars, [0.95, -2.1], accuracy: 1e-7)
        sgd.step()
        // v = 0.9 g + g = 1.9 g
        Support.assertClose(p.value.scalars, [0.95 - 0.095, -2.1 - 0.19], accuracy: 1e-6)
        XCTAssertEqual(sgd.stepCount, 2)
        Support.assertClose(sgd.state(for: p)?.velocity?.scalars ?? [], [0.95, 1.9], accuracy: 1e-6)
    }

    func testSGD_WeightDecay_AddsL2Gradient() {
        let p = parameter([2], grad: [1])
        SGD(parameters: [p], learningRate: 0.5, weightDecay: 0.1).step()
        // g + 0.1 p = 1.2; p = 2 - 0.6
        Support.assertClose(p.value.scalars, [1.4], accuracy: 1e-6)
    }

    func testAdamW_TwoGroups_FirstStepMatchesHandComputedUpdate() {
        let body = parameter([1, -1], grad: [0.2, -0.4])
        let head = parameter([0.5], grad: [3])
        let adam = AdamW(
            groups: [
                ParameterGroup(parameters: [body], learningRate: 0.01, weightDecay: 0.1),
                ParameterGroup(parameters: [head], learningRate: 0.1),
            ],
            betas: (0.9, 0.999), epsilon: 1e-8)
        adam.step()
        // Step 1: m̂ = g, v̂ = g², so the Adam step is lr * g / (|g| + eps) ≈ lr * sign(g);
        // decoupled decay first: p * (1 - lr * wd).
        func expected(_ p: Double, _ g: Double, lr: Double, wd: Double) -> Float {
            let m = 0.1 * g, v = 0.001 * g * g
            let mHat = m / (1 - 0.9), vHat = v / (1 - 0.999)
            return Float(p * (1 - lr * wd) - lr * mHat / (vHat.squareRoot() + 1e-8))
        }
        Support.assertClose(
            body.value.scalars, [expected(1, 0.2, lr: 0.01, wd: 0.1), expected(-1, -0.4, lr: 0.01, wd: 0.1)],
            accuracy: 1e-6)
        Support.assertClose(head.value.scalars, [expected(0.5, 3, lr: 0.1, wd: 0)], accuracy: 1e-6)
        // In numbers: 1 * 0.999 - 0.01 and 0.5 - 0.1.
        Support.assertClose(body.value.scalars, [0.989, -0.9890], accuracy: 1e-5)
        Support.assertClose(head.value.scalars, [0.4], accuracy: 1e-5)
    }

    func testAdamW_SecondStep_UsesBiasCorrection() {
        let p = parameter([0], grad: [1])
        let adam = AdamW(parameters: [p], learningRate: 0.1, weightDecay: 0)
        adam.step()
        p.zeroGrad()
        p.accumulateGradient(Tensor(shape: [1], scalars: [-1]))
        adam.step()
        // m = 0.9 * 0.1 - 0.1 = -0.01, v = 0.999 * 0.001 + 0.001 = 0.001999
        let mHat = -0.01 / (1 - 0.81), vHat = 0.001999 / (1 - 0.998001)
        Support.assertClose(p.value.scalars, [Float(-0.1 - 0.1 * mHat / (vHat.squareRoot() + 1e-8))], accuracy: 1e-6)
    }

    func testStep_FrozenParameters_StayUnchangedAndUnfrozenChange() throws {
        let model = MLPClassifier(inputSize: 3, hiddenSizes: [5], classCount: 2, seed: 3)
        model.freeze(matching: ["layers.0"])
        let before = model.stateDict()
        let optimizer = AdamW(parameters: model.parameters(), learningRate: 0.01)
        let x = Variable(Support.random([4, 3], seed: 4))
        try crossEntropy(logits: model(x), labels: [0, 1, 1, 0]).backward()
        optimizer.step()
        let after = model.stateDict()
        XCTAssertEqual(after["layers.0.weight"], before["layers.0.weight"])
        XCTAssertEqual(after["layers.0.bias"], before["layers.0.bias"])
        XCTAssertNotEqual(after["layers.2.weight"], before["layers.2.weight"])
        XCTAssertNotEqual(after["layers.2.bias"], before["layers.2.bias"])
    }

    func testStep_FrozenAfterBackward_IsStillSkipped() throws {
        let model = MLPClassifier(inputSize: 3, hiddenSizes: [], classCount: 2, seed: 5)
        try crossEntropy(logits: model(Variable(Support.random([2, 3], seed: 6))), labels: [0, 1]).backward()
        model.freeze()
        let before = model.stateDict()
        SGD(parameters: model.parameters(), learningRate: 1).step()
        XCTAssertEqual(model.stateDict(), before)
    }

    func testZeroGrad_ClearsGroupGradients() {
        let p = parameter([1], grad: [1])
        let sgd = SGD(parameters: [p], learningRate: 0.1)
        sgd.zeroGrad()
        XCTAssertNil(p.grad)
        sgd.step()
        XCTAssertEqual(p.value.scalars, [1], "no gradient, no update")
    }

    func testParameterGroup_FromPatterns_SelectsMatchingParameters() {
        let model = MLPClassifier(inputSize: 3, hiddenSizes: [5], classCount: 2, seed: 3)
        let group = ParameterGroup(model, matching: [.glob("*.bias")], learningRate: 0.1)
        XCTAssertEqual(group.parameters.count, 2)
        XCTAssertTrue(group.parameters.allSatisfy { $0.shape.count == 1 })
    }
}
