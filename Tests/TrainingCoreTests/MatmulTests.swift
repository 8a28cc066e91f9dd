import XCTest

@testable import TrainingCore

final class MatmulTests: XCTestCase {
    func testMatmul_AllTransposes_MatchNaiveLoop() {
        let (m, n, k) = (5, 7, 3)
        let a = Support.random([m, k], seed: 1), b = Support.random([k, n], seed: 2)
        let expected = Support.naiveProduct(a.scalars, b.scalars, m: m, n: n, k: k)
        let aT = Tensor(shape: [k, m], scalars: Support.transpose(a.scalars, rows: m, columns: k))
        let bT = Tensor(shape: [n, k], scalars: Support.transpose(b.scalars, rows: k, columns: n))
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
            let left = Variable(transposeA ? aT : a), right = Variable(transposeB ? bT : b)
            let product = left.matmul(right, transposeSelf: transposeA, transposeOther: transposeB).value
            Support.assertClose(
                product, Tensor(shape: [m, n], scalars: expected), accuracy: 1e-5, "transposes \(transposeA) \(transposeB)")
        }
    }

    func testMatmul_LargeMatrices_MatchNaiveLoop() {
        // Big enough for OpenBLAS to use several threads.
        let (m, n, k) = (300, 200, 150)
        let a = Support.random([m, k], seed: 3), b = Support.random([k, n], seed: 4)
        let product = Variable(a).matmul(Variable(b)).value
        let expected = Support.naiveProduct(a.scalars, b.scalars, m: m, n: n, k: k)
        Support.assertClose(product, Tensor(shape: [m, n], scalars: expected), accuracy: 1e-3)
    }

    func testMatmul_LargeProductsSplitOverCores_MatchNaiveLoopForAllTransposes() {
        // Over BLAS.splitThreshold: wide results split by columns, tall ones by rows.
        for (m, n, k) in [(40, 400, 200), (400, 40, 200)] {
            XCTAssertGreaterThanOrEqual(m * n * k, BLAS.splitThreshold)
            let a = Support.random([m, k], seed: 21), b = Support.random([k, n], seed: 22)
            let expected = Tensor(shape: [m, n], scalars: Support.naiveProduct(a.scalars, b.scalars, m: m, n: n, k: k))
            let aT = Tensor(shape: [k, m], scalars: Support.transpose(a.scalars, rows: m, columns: k))
            let bT = Tensor(shape: [n, k], scalars: Support.transpose(b.scalars, rows: k, columns: n))
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                let product = Variable(transposeA ? aT : a).matmul(
                    Variable(transposeB ? bT : b), transposeSelf: transposeA, transposeOther: transposeB
                ).value
                Support.assertClose(product, expected, accuracy: 1e-3, "\(m)x\(n) transposes \(transposeA) \(transposeB)")
            }
        }
    }

    func testMatmul_Batched_MatchesEachMatrix() {
        let (batch, m, n, k) = (6, 4, 3, 5)
        let a = Support.random([batch, m, k], seed: 5), b = Support.random([batch, k, n], seed: 6)
        let product = Variable(a).matmul(Variable(b)).value
        XCTAssertEqual(product.shape, [batch, m, n])
        for item in 0..<batch {
            let expected = Support.naiveProduct(
                Array(a.scalars[(item * m * k)..<((item + 1) * m * k)]),
                Array(b.scalars[(item * k * n)..<((item + 1) * k * n)]), m: m, n: n, k: k)
            Support.assertClose(Array(product.scalars[(item * m * n)..<((item + 1) * m * n)]), expected, accuracy: 1e-5)
        }
    }

    func testMatmul_Gradients_MatchFiniteDifferences() {
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = Support.random(transposeA ? [3, 4] : [4, 3], seed: 7)
            let b = Support.random(transposeB ? [5, 3] : [3, 5], seed: 8)
            Support.checkGradients([a, b]) { x in
                x[0].matmul(x[1], transposeSelf: transposeA, transposeOther: transposeB)
            }
        }
    }

    func testMatmul_BatchedGradients_MatchFiniteDifferences() {
        Support.checkGradients([Support.random([3, 2, 4], seed: 9), Support.random([3, 5, 4], seed: 10)]) { x in
            x[0].matmul(x[1], transposeOther: true)
        }
    }

    func testLinear_Forward_IsInputTimesWeightTransposedPlusBias() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let w = Tensor(shape: [2, 3], scalars: [1, 0, -1, 0.5, 0.5, 0.5])
        let b = Tensor(shape: [2], scalars: [10, 20])
        let y = linear(Variable(x), weight: Variable(w), bias: Variable(b)).value
        // Row 0: [1-3, 3] + b = [8, 23]; row 1: [4-6, 7.5] + b = [8, 27.5].
        XCTAssertEqual(y, Tensor(shape: [2, 2], scalars: [8, 23, 8, 27.5]))
        let noBias = linear(Variable(x), weight: Variable(w)).value
        XCTAssertEqual(noBias, Tensor(shape: [2, 2], scalars: [-2, 3, -2, 7.5]))
    }

    func testLinear_RankThreeInput_TreatsLeadingDimensionsAsRows() {
        let x = Support.random([2, 3, 4], seed: 11), w = Support.random([5, 4], seed: 12)
        let y = linear(Variable(x), weight: Variable(w)).value
        XCTAssertEqual(y.shape, [2, 3, 5])
        let expected = Support.naiveProduct(x.scalars, Support.transpose(w.scalars, rows: 5, columns: 4), m: 6, n: 5, k: 4)
        Support.assertClose(y.scalars, expected, accuracy: 1e-5)
    }

    func testLinear_Gradients_MatchFiniteDifferences() {
        let x = Support.random([2, 3, 4], seed: 13), w = Support.random([5, 4], seed: 14), b = Support.random([5], seed: 15)
        Support.checkGradients([x, w, b]) { v in linear(v[0], weight: v[1], bias: v[2]) }
    }
}
