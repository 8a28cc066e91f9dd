import XCTest

@testable import TrainingCore

final class EmbeddingTests: XCTestCase {
    private let table = Tensor(shape: [4, 2], scalars: [0, 1, 10, 11, 20, 21, 30, 31])

    func testEmbedding_Forward_CopiesRows() throws {
        let y = try embedding([2, 0, 2, 3], shape: [2, 2], weight: Variable(table)).value
        XCTAssertEqual(y, Tensor(shape: [2, 2, 2], scalars: [20, 21, 0, 1, 20, 21, 30, 31]))
    }

    func testEmbedding_RepeatedIndex_AccumulatesGradient() throws {
        let weight = Variable(table, requiresGrad: true)
        let y = try embedding([2, 0, 2], shape: [3], weight: weight)
        y.backward(seed: Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]))
        XCTAssertEqual(weight.grad, Tensor(shape: [4, 2], scalars: [3, 4, 0, 0, 6, 8, 0, 0]))
    }

    func testEmbedding_PaddingIndex_GetsNoGradient() throws {
        let weight = Variable(table, requiresGrad: true)
        try embedding([1, 0], shape: [2], weight: weight, paddingIndex: 0).backward(seed: .ones([2, 2]))
        XCTAssertEqual(weight.grad, Tensor(shape: [4, 2], scalars: [0, 0, 1, 1, 0, 0, 0, 0]))
    }

    func testEmbedding_Gradients_MatchFiniteDifferences() {
        Support.checkGradients([Support.random([5, 3], seed: 1)]) { v in
            // Indices are valid by construction.
            (try? embedding([4, 1, 1, 0, 3, 4], shape: [2, 3], weight: v[0])) ?? v[0]
        }
    }

    func testEmbedding_IndexOutOfRange_ThrowsWithPositionAndLimit() {
        XCTAssertThrowsError(try embedding([1, 4], shape: [2], weight: Variable(table))) { error in
            XCTAssertEqual(
                error as? ModelInputError,
                ModelInputError(reason: .indexOutOfRange(field: "indices", position: 1, value: 4, limit: 4)))
            XCTAssertEqual("\(error)", "indices entry 1 is 4, outside 0..<4")
        }
        XCTAssertThrowsError(try embedding([-1], shape: [1], weight: Variable(table)))
    }

    func testEmbeddingLayer_PaddingRow_StartsAtZero() {
        var generator = SeededGenerator(seed: 1)
        let layer = Embedding(count: 5, dimension: 3, paddingIndex: 2, generator: &generator)
        XCTAssertEqual(Array(layer.weight.value.scalars[6..<9]), [0, 0, 0])
        XCTAssertNotEqual(Array(layer.weight.value.scalars[0..<3]), [0, 0, 0])
    }
}
