import XCTest

@testable import TrainingCore

final class PoolingTests: XCTestCase {
    func testMeanPooling_Forward_AveragesRealTokens() {
        let x = Tensor(shape: [2, 3, 2], scalars: [1, 2, 3, 4, 100, 100, 5, 6, 7, 8, 9, 10])
        let mask = Tensor(shape: [2, 3], scalars: [1, 1, 0, 1, 1, 1])
        let y = meanPooling(Variable(x), mask: mask).value
        XCTAssertEqual(y, Tensor(shape: [2, 2], scalars: [2, 3, 7, 8]))
    }

    func testMeanPooling_AllPadding_GivesZeros() {
        let y = meanPooling(Variable(Support.random([1, 2, 3], seed: 1)), mask: .zeros([1, 2])).value
        XCTAssertEqual(y, .zeros([1, 3]))
    }

    func testMeanPooling_Gradients_MatchFiniteDifferences() {
        let mask = Tensor(shape: [2, 4], scalars: [1, 1, 1, 0, 1, 0, 0, 0])
        Support.checkGradients([Support.random([2, 4, 3], seed: 2)]) { v in meanPooling(v[0], mask: mask) }
    }

    func testL2Normalized_Forward_GivesUnitRows() {
        let y = Variable(Tensor(shape: [2, 2], scalars: [3, 4, 0, 0])).l2Normalized().value
        XCTAssertEqual(y, Tensor(shape: [2, 2], scalars: [0.6, 0.8, 0, 0]))
    }

    func testL2Normalized_Gradients_MatchFiniteDifferences() {
        Support.checkGradients([Support.random([3, 5], seed: 3)]) { v in v[0].l2Normalized() }
    }

    func testToken_Forward_SelectsPosition() {
        let x = Tensor(shape: [2, 2, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(Variable(x).token(at: 0).value, Tensor(shape: [2, 2], scalars: [1, 2, 5, 6]))
        XCTAssertEqual(Variable(x).token(at: 1).value, Tensor(shape: [2, 2], scalars: [3, 4, 7, 8]))
    }

    func testToken_Gradients_MatchFiniteDifferences() {
        Support.checkGradients([Support.random([2, 3, 4], seed: 4)]) { v in v[0].token(at: 1) }
    }
}
