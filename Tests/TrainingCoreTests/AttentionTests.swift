import Foundation
import XCTest

@testable import TrainingCore

final class AttentionTests: XCTestCase {
    /// Attention computed with plain loops in Double; masked keys are left out.
    private func reference(q: Tensor, k: Tensor, v: Tensor, heads: Int, mask: Tensor?) -> Tensor {
        let (batch, queries, hidden) = (q.shape[0], q.shape[1], q.shape[2])
        let keys = k.shape[1], size = hidden / heads
        var out = [Float](repeating: 0, count: q.count)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<queries {
                    var scores: [Double] = []
                    var used: [Int] = []
                    for j in 0..<keys where (mask?.scalars[b * keys + j] ?? 1) != 0 {
                        var dot = 0.0
                        for d in 0..<size {
                            dot += Double(q.scalars[(b * queries + i) * hidden + h * size + d])
                                * Double(k.scalars[(b * keys + j) * hidden + h * size + d])
                        }
                        scores.append(dot / Double(size).squareRoot())
                        used.append(j)
                    }
                    let top = scores.max() ?? 0
                    let weights = scores.map { Foundation.exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for d in 0..<size {
                        var value = 0.0
                        for (w, j) in zip(weights, used) {
                            value += w / total * Double(v.scalars[(b * keys + j) * hidden + h * size + d])
                        }
                        out[(b * queries + i) * hidden + h * size + d] = Float(value)
                    }
                }
            }
        }
        return Tensor(shape: q.shape, scalars: out)
    }

    func testAttention_Forward_MatchesNaiveLoops() {
        let q = Support.random([2, 5, 8], seed: 1), k = Support.random([2, 5, 8], seed: 2)
        let v = Support.random([2, 5, 8], seed: 3)
        let mask = Tensor(shape: [2, 5], scalars: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
        for heads in [1, 2, 4] {
            for m in [nil, mask] {
                let y = multiHeadAttention(query: Variable(q), key: Variable(k), value: Variable(v), heads: heads, mask: m)
                Support.assertClose(
                    y.value, reference(q: q, k: k, v: v, heads: heads, mask: m), accuracy: 1e-5, "heads \(heads)")
            }
        }
    }

    func testAttention_OneKey_ReturnsItsValue() {
        let q = Support.random([1, 3, 4], seed: 4), k = Support.random([1, 1, 4], seed: 5)
        let v = Tensor(shape: [1, 1, 4], scalars: [1, 2, 3, 4])
        let y = multiHeadAttention(query: Variable(q), key: Variable(k), value: Variable(v), heads: 2).value
        XCTAssertEqual(y.scalars, [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4])
    }

    func testAttention_PaddedBatch_RealTokensIndependentOfPadding() {
        let hidden = 8
        let q = Support.random([2, 6, hidden], seed: 6), k = Support.random([2, 6, hidden], seed: 7)
        let v = Support.random([2, 6, hidden], seed: 8)
        // Row 1 has 4 real tokens; its padding holds garbage.
        let mask = Tensor(shape: [2, 6], scalars: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
        let batched = multiHeadAttention(query: Variable(q), key: Variable(k), value: Variable(v), heads: 2, mask: mask)
        func realPart(_ t: Tensor) -> Tensor {
            Tensor(shape: [1, 4, hidden], scalars: Array(t.scalars[(6 * hidden)..<(6 * hidden + 4 * hidden)]))
        }
        let alone = multiHeadAttention(
            query: Variable(realPart(q)), key: Variable(realPart(k)), value: Variable(realPart(v)), heads: 2)
        Support.assertClose(realPart(batched.value), alone.value, accuracy: 1e-6)
    }

    func testAttention_Gradients_MatchFiniteDifferences() {
        let q = Support.random([2, 4, 6], seed: 9), k = Support.random([2, 4, 6], seed: 10)
        let v = Support.random([2, 4, 6], seed: 11)
        Support.checkGradients([q, k, v]) { x in
            multiHeadAttention(query: x[0], key: x[1], value: x[2], heads: 2)
        }
    }

    func testAttention_PaddingMaskGradients_MatchFiniteDifferences() {
        let q = Support.random([2, 4, 6], seed: 12), k = Support.random([2, 4, 6], seed: 13)
        let v = Support.random([2, 4, 6], seed: 14)
        let mask = Tensor(shape: [2, 4], scalars: [1, 1, 1, 0, 1, 1, 0, 0])
        Support.checkGradients([q, k, v]) { x in
            multiHeadAttention(query: x[0], key: x[1], value: x[2], heads: 3, mask: mask)
        }
        // Masked keys and values get no gradient.
        let key = Variable(k, requiresGrad: true), value = Variable(v, requiresGrad: true)
        multiHeadAttention(query: Variable(q), key: key, value: value, heads: 3, mask: mask).sum().backward()
        XCTAssertEqual(Array(key.grad?.scalars[18..<24] ?? []), [Float](repeating: 0, count: 6))
        XCTAssertEqual(Array(value.grad?.scalars[36..<48] ?? []), [Float](repeating: 0, count: 12))
    }

    func testAttention_DropoutGradients_MatchFiniteDifferences() {
        let q = Support.random([1, 5, 4], seed: 15), k = Support.random([1, 5, 4], seed: 16)
        let v = Support.random([1, 5, 4], seed: 17)
        Support.checkGradients([q, k, v]) { x in
            var generator = SeededGenerator(seed: 18)  // the same dropout mask on every evaluation
            return multiHeadAttention(
                query: x[0], key: x[1], value: x[2], heads: 2, mask: nil, dropout: 0.3, generator: &generator)
        }
    }

    func testAttention_CrossAttention_DifferentKeyLength() {
        let q = Support.random([2, 3, 4], seed: 19), k = Support.random([2, 5, 4], seed: 20)
        let v = Support.random([2, 5, 4], seed: 21)
        let y = multiHeadAttention(query: Variable(q), key: Variable(k), value: Variable(v), heads: 2)
        Support.assertClose(y.value, reference(q: q, k: k, v: v, heads: 2, mask: nil), accuracy: 1e-5)
        Support.checkGradients([q, k, v]) { x in multiHeadAttention(query: x[0], key: x[1], value: x[2], heads: 2) }
    }
}
