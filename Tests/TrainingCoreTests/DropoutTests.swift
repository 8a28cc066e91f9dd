import XCTest

@testable import TrainingCore

final class DropoutTests: XCTestCase {
    func testDropout_Training_DropsAboutPAndScalesTheRest() {
        var generator = SeededGenerator(seed: 3)
        let y = dropout(Variable(.ones([100_000])), probability: 0.25, generator: &generator).value
        let kept = y.scalars.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / 100_000, 0.75, accuracy: 0.01)
        XCTAssertTrue(kept.allSatisfy { $0 == 1 / 0.75 })
    }

    func testDropout_SameSeed_SameMask() {
        var first = SeededGenerator(seed: 9), second = SeededGenerator(seed: 9)
        let x = Variable(Support.random([50], seed: 1))
        XCTAssertEqual(
            dropout(x, probability: 0.5, generator: &first).value, dropout(x, probability: 0.5, generator: &second).value)
        // The generator advances: the next mask differs.
        let firstMask = dropout(x, probability: 0.5, generator: &first).value
        let nextMask = dropout(x, probability: 0.5, generator: &first).value
        XCTAssertNotEqual(firstMask, nextMask)
    }

    func testDropout_ProbabilityZeroOrOne_IsIdentityOrZero() {
        var generator = SeededGenerator(seed: 1)
        let x = Variable(Support.random([10], seed: 2))
        XCTAssertTrue(dropout(x, probability: 0, generator: &generator) === x)
        XCTAssertEqual(dropout(x, probability: 1, generator: &generator).value, .zeros([10]))
    }

    func testDropout_Gradient_IsTheMask() {
        var generator = SeededGenerator(seed: 4)
        let x = Variable(.ones([1000]), requiresGrad: true)
        let y = dropout(x, probability: 0.5, generator: &generator)
        y.sum().backward()
        XCTAssertEqual(x.grad, y.value)
    }

    func testDropout_Gradients_MatchFiniteDifferences() {
        Support.checkGradients([Support.random([4, 5], seed: 5)]) { v in
            var generator = SeededGenerator(seed: 6)  // the same mask on every evaluation
            return dropout(v[0], probability: 0.3, generator: &generator)
        }
    }

    func testDropoutLayer_EvalMode_IsIdentity() {
        let layer = Dropout(probability: 0.5, generator: SeededGenerator(seed: 1))
        let x = Variable(Support.random([20], seed: 2))
        layer.eval()
        XCTAssertEqual(layer(x).value, x.value)
        layer.train()
        XCTAssertNotEqual(layer(x).value, x.value)
    }
}
