import XCTest

@testable import TrainingCore

final class MLPTrainingTests: XCTestCase {
    /// Three Gaussian blobs in the plane, one per class, well apart.
    private func blobs(count: Int, seed: UInt64) -> (Tensor, [Int]) {
        var generator = SeededGenerator(seed: seed)
        let centers: [(Float, Float)] = [(0, 3), (-3, -2), (3, -2)]
        var points: [Float] = []
        var labels: [Int] = []
        for i in 0..<count {
            let label = i % 3
            points += [centers[label].0 + generator.nextNormal(), centers[label].1 + generator.nextNormal()]
            labels.append(label)
        }
        return (Tensor(shape: [count, 2], scalars: points), labels)
    }

    func testTraining_SeparableBlobs_ReachesLowLossAndHighAccuracy() throws {
        let (x, labels) = blobs(count: 300, seed: 11)
        let model = MLPClassifier(inputSize: 2, hiddenSizes: [16], classCount: 3, seed: 12)
        let optimizer = SGD(parameters: model.parameters(), learningRate: 0.1, momentum: 0.9)
        var losses: [Float] = []
        for _ in 0..<150 {
            optimizer.zeroGrad()
            let loss = try crossEntropy(logits: model(Variable(x)), labels: labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.value.scalar)
        }
        let (testX, testLabels) = blobs(count: 300, seed: 13)
        let testLogits = withNoGrad { model(Variable(testX)) }.value
        XCTAssertGreaterThan(losses[0], 0.5)
        XCTAssertLessThan(losses.last ?? .infinity, 0.1)
        XCTAssertGreaterThan(accuracy(logits: testLogits, labels: testLabels), 0.95)
    }

    func testTraining_SameSeeds_IdenticalRuns() throws {
        func run() throws -> [String: Tensor] {
            let (x, labels) = blobs(count: 60, seed: 1)
            let model = MLPClassifier(inputSize: 2, hiddenSizes: [8], classCount: 3, seed: 2)
            let optimizer = AdamW(parameters: model.parameters(), learningRate: 0.01)
            for _ in 0..<10 {
                optimizer.zeroGrad()
                try crossEntropy(logits: model(Variable(x)), labels: labels).backward()
                optimizer.step()
            }
            return model.stateDict()
        }
        XCTAssertEqual(try run(), try run())
    }
}
