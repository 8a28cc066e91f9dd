import XCTest

@testable import TrainingCore

final class InitializationTests: XCTestCase {
    func testSeededGenerator_SameSeed_SameSequence() {
        var a = SeededGenerator(seed: 123), b = SeededGenerator(seed: 123), c = SeededGenerator(seed: 124)
        let first = (0..<5).map { _ in a.next() }
        XCTAssertEqual(first, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(first, (0..<5).map { _ in c.next() })
        XCTAssertEqual(Set(first).count, 5)
    }

    func testSeededGenerator_Samples_HaveExpectedMoments() {
        var generator = SeededGenerator(seed: 7)
        let count = 100_000
        let normals = (0..<count).map { _ in Double(generator.nextNormal()) }
        let mean = normals.reduce(0, +) / Double(count)
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count)
        XCTAssertEqual(mean, 0, accuracy: 0.01)
        XCTAssertEqual(variance, 1, accuracy: 0.02)
        let uniforms = (0..<count).map { _ in generator.nextUniform() }
        XCTAssertTrue(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(Double(uniforms.reduce(0, +)) / Double(count), 0.5, accuracy: 0.01)
    }

    func testBert_SameSeed_BitIdenticalWeights() {
        let config = Support.tinyBertConfig()
        let a = BertForSequenceClassification(config: config, seed: 42).stateDict()
        let b = BertForSequenceClassification(config: config, seed: 42).stateDict()
        let c = BertForSequenceClassification(config: config, seed: 43).stateDict()
        XCTAssertEqual(a, b)
        XCTAssertEqual(
            a["bert.encoder.layer.1.attention.self.key.weight"]?.scalars.map(\.bitPattern),
            b["bert.encoder.layer.1.attention.self.key.weight"]?.scalars.map(\.bitPattern))
        XCTAssertNotEqual(a["classifier.weight"], c["classifier.weight"])
    }

    func testBert_Initialization_FollowsHuggingFace() {
        let config = BertConfig(
            vocabSize: 500, hiddenSize: 64, numLayers: 1, numHeads: 4, intermediateSize: 128, padTokenID: 0)
        let state = BertForSequenceClassification(config: config, seed: 1).stateDict()
        for (key, tensor) in state {
            if key.hasSuffix("LayerNorm.weight") {
                XCTAssertTrue(tensor.scalars.allSatisfy { $0 == 1 }, key)
            } else if key.hasSuffix(".bias") {
                XCTAssertTrue(tensor.scalars.allSatisfy { $0 == 0 }, key)
            } else {
                let values = tensor.scalars.map(Double.init)
                let std = (values.map { $0 * $0 }.reduce(0, +) / Double(values.count)).squareRoot()
                XCTAssertEqual(std, 0.02, accuracy: key.hasPrefix("classifier") ? 0.01 : 0.003, key)
            }
        }
        let words = state["bert.embeddings.word_embeddings.weight"]
        XCTAssertEqual(Array(words?.scalars[0..<64] ?? []), [Float](repeating: 0, count: 64), "padding row is zero")
    }

    func testLinear_PyTorchDefault_UniformWithinBound() {
        var generator = SeededGenerator(seed: 2)
        let layer = Linear(inFeatures: 16, outFeatures: 32, generator: &generator)
        let bound: Float = 0.25
        XCTAssertTrue(layer.weight.value.scalars.allSatisfy { abs($0) <= bound })
        XCTAssertTrue(layer.bias?.value.scalars.allSatisfy { abs($0) <= bound } ?? false)
        XCTAssertGreaterThan(layer.weight.value.scalars.map(abs).max() ?? 0, 0.2)
    }

    func testMLP_SameSeed_SameWeights() {
        XCTAssertEqual(
            MLPClassifier(inputSize: 3, hiddenSizes: [4], classCount: 2, seed: 8).stateDict(),
            MLPClassifier(inputSize: 3, hiddenSizes: [4], classCount: 2, seed: 8).stateDict())
    }
}
