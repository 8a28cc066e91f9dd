import XCTest

@testable import TrainingCore

final class ArithmeticTests: XCTestCase {
    func testAdd_SameShape_AddsElementwise() {
        let a = Variable(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        let b = Variable(Tensor(shape: [2, 2], scalars: [10, 20, 30, 40]))
        XCTAssertEqual((a + b).value, Tensor(shape: [2, 2], scalars: [11, 22, 33, 44]))
    }

    func testAdd_TrailingShape_BroadcastsOverRows() {
        let a = Variable(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        let b = Variable(Tensor(shape: [3], scalars: [10, 20, 30]))
        XCTAssertEqual((a + b).value, Tensor(shape: [2, 3], scalars: [11, 22, 33, 14, 25, 36]))
        XCTAssertEqual((b + a).value, (a + b).value)
    }

    func testMul_Broadcast_MultipliesElementwise() {
        let a = Variable(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        let b = Variable(Tensor(shape: [2], scalars: [2, -1]))
        XCTAssertEqual((a * b).value, Tensor(shape: [2, 2], scalars: [2, -2, 6, -4]))
        XCTAssertEqual((a * 0.5).value, Tensor(shape: [2, 2], scalars: [0.5, 1, 1.5, 2]))
        XCTAssertEqual((a - b).value, Tensor(shape: [2, 2], scalars: [-1, 3, 1, 5]))
    }

    func testSumAndMean_Forward_ReduceToScalars() {
        let a = Variable(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        XCTAssertEqual(a.sum().value, Tensor(10))
        XCTAssertEqual(a.mean().value, Tensor(2.5))
    }

    func testAddAndMul_Gradients_MatchFiniteDifferences() {
        let a = Support.random([3, 4, 5], seed: 1), b = Support.random([3, 4, 5], seed: 2), c = Support.random([4, 5], seed: 3)
        Support.checkGradients([a, b]) { x in x[0] + x[1] }
        Support.checkGradients([a, c]) { x in x[0] + x[1] }
        Support.checkGradients([a, b]) { x in x[0] * x[1] }
        Support.checkGradients([a, c]) { x in x[0] * x[1] }
        Support.checkGradients([c, a]) { x in x[0] * x[1] - x[0] * 3 }
    }

    func testSumAndMean_Gradients_MatchFiniteDifferences() {
        let a = Support.random([3, 4], seed: 4)
        Support.checkGradients([a]) { x in (x[0] * x[0]).sum() }
        Support.checkGradients([a]) { x in (x[0] * x[0]).mean() }
    }

    func testReshaped_Gradients_MatchFiniteDifferences() {
        let a = Support.random([2, 6], seed: 7), b = Support.random([3, 4], seed: 8)
        Support.checkGradients([a, b]) { x in x[0].reshaped([3, 4]) * x[1] }
    }

    func testBackward_SharedInput_AccumulatesBothPaths() {
        // y = x * x + x: dy/dx = 2x + 1.
        let x = Variable(Tensor(shape: [3], scalars: [1, -2, 0.5]), requiresGrad: true)
        (x * x + x).sum().backward()
        XCTAssertEqual(x.grad, Tensor(shape: [3], scalars: [3, -3, 2]))
    }

    func testBackward_CalledTwice_AccumulatesIntoLeaf() {
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        let y = (x * x).sum()
        y.backward()
        y.backward()
        XCTAssertEqual(x.grad, Tensor(shape: [2], scalars: [4, 8]))
    }

    func testWithNoGrad_Operations_RecordNothing() {
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        let y = withNoGrad { (x * x).sum() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertFalse(GradMode.isEnabled == false, "recording is back on after the block")
        y.backward()
        XCTAssertNil(x.grad)
        XCTAssertEqual(y.value, Tensor(5))
    }

    func testLargeTensors_ParallelKernels_MatchSerialResults() {
        // Over the parallel grain, so both cores take part.
        let count = 200_003
        let a = Support.random([count], seed: 5), b = Support.random([count], seed: 6)
        let sum = (Variable(a) + Variable(b)).value
        let product = (Variable(a) * Variable(b)).value
        for i in stride(from: 0, to: count, by: 997) {
            XCTAssertEqual(sum.scalars[i], a.scalars[i] + b.scalars[i])
            XCTAssertEqual(product.scalars[i], a.scalars[i] * b.scalars[i])
        }
        XCTAssertEqual(sum.scalars[count - 1], a.scalars[count - 1] + b.scalars[count - 1])
    }
}
