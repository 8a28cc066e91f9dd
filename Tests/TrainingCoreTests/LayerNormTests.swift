import XCTest

@testable import TrainingCore

final class LayerNormTests: XCTestCase {
    func testLayerNorm_Forward_MatchesHandComputedValues() {
        // Row [1, 2, 3, 4]: mean 2.5, biased variance 1.25.
        let x = Variable(Tensor(shape: [1, 4], scalars: [1, 2, 3, 4]))
        let w = Variable(Tensor(shape: [4], scalars: [1, 1, 2, 1]))
        let b = Variable(Tensor(shape: [4], scalars: [0, 0, 0, 10]))
        let y = layerNorm(x, weight: w, bias: b, epsilon: 0).value
        let s = Float(1.25).squareRoot()
        Support.assertClose(y.scalars, [-1.5 / s, -0.5 / s, 2 * 0.5 / s, 1.5 / s + 10], accuracy: 1e-6)
    }

    func testLayerNorm_Epsilon_EntersUnderTheRoot() {
        let x = Variable(Tensor(shape: [1, 2], scalars: [0, 2]))
        let y = layerNorm(x, weight: Variable(.ones([2])), bias: Variable(.zeros([2])), epsilon: 3).value
        // variance 1, so x̂ = ±1 / sqrt(1 + 3) = ±0.5.
        Support.assertClose(y.scalars, [-0.5, 0.5], accuracy: 1e-7)
    }

    func testLayerNorm_Gradients_MatchFiniteDifferences() {
        let x = Support.random([3, 2, 8], seed: 1)
        let w = Support.random([8], seed: 2), b = Support.random([8], seed: 3)
        Support.checkGradients([x, w, b]) { v in layerNorm(v[0], weight: v[1], bias: v[2], epsilon: 1e-5) }
    }

    func testLayerNorm_ManyRows_ParallelPathMatchesGradientCheck() {
        // Enough rows for the row loop to split over the cores in forward and backward.
        let x = Support.random([600, 64], seed: 4)
        let w = Support.random([64], seed: 5), b = Support.random([64], seed: 6)
        let xv = Variable(x, requiresGrad: true), wv = Variable(w, requiresGrad: true)
        let bv = Variable(b, requiresGrad: true)
        let seed = Support.random([600, 64], seed: 7)
        layerNorm(xv, weight: wv, bias: bv, epsilon: 1e-5).backward(seed: seed)
        // dbias = Σ_rows seed; compare with a serial sum.
        for column in [0, 31, 63] {
            var total = 0.0
            for row in 0..<600 { total += Double(seed.scalars[row * 64 + column]) }
            XCTAssertEqual(Double(bv.grad?.scalars[column] ?? .nan), total, accuracy: 1e-3)
        }
        // Each row of dx sums to zero (the mean is subtracted).
        let dx = xv.grad ?? Tensor.zeros([0])
        for row in [0, 299, 599] {
            XCTAssertEqual(dx.scalars[(row * 64)..<((row + 1) * 64)].reduce(0, +), 0, accuracy: 1e-4)
        }
    }
}
