import XCTest

@testable import TrainingCore

final class CrossEntropyTests: XCTestCase {
    func testCrossEntropy_Forward_MatchesHandComputedValue() throws {
        // -log(e^3 / (e + e^2 + e^3)) = 0.40760596; -log(1/2) = 0.69314718.
        let logits = Variable(Tensor(shape: [2, 3], scalars: [1, 2, 3, 5, 5, -1e30]))
        let loss = try crossEntropy(logits: logits, labels: [2, 0]).value
        XCTAssertEqual(loss.shape, [])
        XCTAssertEqual(loss.scalar, (0.407_605_96 + 0.693_147_18) / 2, accuracy: 1e-6)
    }

    func testCrossEntropy_HugeLogits_StaysFinite() throws {
        let loss = try crossEntropy(logits: Variable(Tensor(shape: [1, 2], scalars: [1000, 0])), labels: [1]).value
        XCTAssertEqual(loss.scalar, 1000, accuracy: 1e-3)
    }

    func testCrossEntropy_Gradients_MatchFiniteDifferences() {
        Support.checkGradients([Support.random([4, 5], seed: 1, scale: 2)]) { v in
            (try? crossEntropy(logits: v[0], labels: [0, 4, 2, 2])) ?? v[0]
        }
    }

    func testCrossEntropy_Gradient_IsSoftmaxMinusOneHotOverN() throws {
        let logits = Variable(Tensor(shape: [1, 2], scalars: [0, 0]), requiresGrad: true)
        try crossEntropy(logits: logits, labels: [1]).backward()
        XCTAssertEqual(logits.grad, Tensor(shape: [1, 2], scalars: [0.5, -0.5]))
    }

    func testCrossEntropy_BadLabels_Throw() {
        let logits = Variable(.zeros([2, 3]))
        XCTAssertThrowsError(try crossEntropy(logits: logits, labels: [0])) { error in
            XCTAssertEqual(
                error as? ModelInputError,
                ModelInputError(reason: .countMismatch(field: "labels", expected: 2, actual: 1)))
        }
        XCTAssertThrowsError(try crossEntropy(logits: logits, labels: [0, 3])) { error in
            XCTAssertEqual(
                error as? ModelInputError,
                ModelInputError(reason: .indexOutOfRange(field: "labels", position: 1, value: 3, limit: 3)))
        }
    }

    func testAccuracy_CountsArgmaxHits() {
        let logits = Tensor(shape: [4, 2], scalars: [1, 0, 0, 1, 2, 3, 5, -5])
        XCTAssertEqual(accuracy(logits: logits, labels: [0, 1, 0, 0]), 0.75)
    }
}
