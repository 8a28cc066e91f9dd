import Foundation
import XCTest

@testable import TrainingCore

final class SoftmaxTests: XCTestCase {
    func testSoftmax_Forward_MatchesHandComputedValues() {
        let y = Variable(Tensor(shape: [2, 3], scalars: [1, 2, 3, 0, 0, 0])).softmax().value
        // e^1, e^2, e^3 over their sum 30.19287.
        Support.assertClose(y.scalars, [0.090_030_57, 0.244_728_47, 0.665_240_96, 1 / 3, 1 / 3, 1 / 3], accuracy: 1e-6)
    }

    func testSoftmax_HugeLogits_StaysFinite() {
        let y = Variable(Tensor(shape: [1, 3], scalars: [1000, 1001, -1e30])).softmax().value
        Support.assertClose(y.scalars, [0.268_941_43, 0.731_058_6, 0], accuracy: 1e-6)
    }

    func testSoftmax_Gradients_MatchFiniteDifferences() {
        Support.checkGradients([Support.random([4, 6], seed: 1, scale: 2)]) { v in v[0].softmax() }
        Support.checkGradients([Support.random([2, 3, 5], seed: 2)]) { v in v[0].softmax() }
    }
}
