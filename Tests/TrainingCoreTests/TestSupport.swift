import Foundation
import XCTest

@testable import TrainingCore

/// Helpers shared by the TrainingCore tests.
enum Support {
    /// A tensor of standard-normal values from `seed`, scaled.
    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.randomNormal(shape, standardDeviation: scale, generator: &generator)
    }

    /// Checks the gradients of `function` with respect to each input against central finite
    /// differences.
    ///
    /// The checked objective is `L = Σ f(x) ⊙ R` for a fixed random `R`, so every output element
    /// matters; `L` is summed in Double so its rounding error stays far below the differences.
    /// Each analytic entry `a` must satisfy `|a - n| <= absolute + relative * |n|` against the
    /// numeric `n`, and the whole gradient must agree to `relative` in norm.
    static func checkGradients(
        _ inputs: [Tensor], step: Float = 1e-2, relative: Double = 1e-2, absolute: Double = 1e-3,
        file: StaticString = #filePath, line: UInt = #line,
        _ function: ([Variable]) -> Variable
    ) {
        let probe = function(inputs.map { Variable($0) }).value
        let projection = random(probe.shape, seed: 977)
        func objective(_ values: [Tensor]) -> Double {
            let output = withNoGrad { function(values.map { Variable($0) }).value }
            return zip(output.scalars, projection.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let variables = inputs.map { Variable($0, requiresGrad: true) }
        function(variables).backward(seed: projection)

        for (index, input) in inputs.enumerated() {
            guard let analytic = variables[index].grad else {
                XCTFail("input \(index) got no gradient", file: file, line: line)
                continue
            }
            XCTAssertEqual(analytic.shape, input.shape, "input \(index) gradient shape", file: file, line: line)
            var numeric = [Double](repeating: 0, count: input.count)
            for element in 0..<input.count {
                var values = inputs
                var plus = input, minus = input
                plus.withUnsafeMutableBufferPointer { $0[element] += step }
                minus.withUnsafeMutableBufferPointer { $0[element] -= step }
                values[index] = plus
                let up = objective(values)
                values[index] = minus
                let down = objective(values)
                numeric[element] = (up - down) / Double(2 * step)
            }
            var differenceNorm = 0.0, numericNorm = 0.0
            for element in 0..<input.count {
                let a = Double(analytic.scalars[element]), n = numeric[element]
                differenceNorm += (a - n) * (a - n)
                numericNorm += n * n
                if abs(a - n) > absolute + relative * abs(n) {
                    XCTFail(
                        "input \(index) element \(element): analytic \(a), numeric \(n)", file: file, line: line)
                    return
                }
            }
            XCTAssertGreaterThan(numericNorm, 0, "input \(index): gradient is all zeros", file: file, line: line)
            XCTAssertLessThanOrEqual(
                differenceNorm.squareRoot(), relative * numericNorm.squareRoot() + absolute, "input \(index) norm",
                file: file, line: line)
        }
    }

    /// Checks the gradients a model's `backward()` left in its named parameters, at the given flat
    /// elements, against central finite differences of `loss` (computed without gradients):
    /// `|analytic - numeric| <= 2e-4 + 2e-2 |numeric|`.
    static func checkParameterGradients(
        of model: Module, _ checked: [(name: String, elements: [Int])], step: Float = 1e-2, label: String = "",
        file: StaticString = #filePath, line: UInt = #line, loss: () throws -> Double
    ) throws {
        for (name, elements) in checked {
            let parameter = try XCTUnwrap(model.parameter(named: name), name, file: file, line: line)
            let gradient = try XCTUnwrap(parameter.grad, name, file: file, line: line)
            for element in elements {
                let original = parameter.value
                parameter.value.withUnsafeMutableBufferPointer { $0[element] += step }
                let up = try loss()
                parameter.value = original
                parameter.value.withUnsafeMutableBufferPointer { $0[element] -= step }
                let down = try loss()
                parameter.value = original
                let numeric = (up - down) / Double(2 * step)
                let analytic = Double(gradient.scalars[element])
                XCTAssertEqual(
                    analytic, numeric, accuracy: 2e-4 + 2e-2 * abs(numeric), "\(label)\(name)[\(element)]",
                    file: file, line: line)
            }
        }
    }

    /// Asserts two tensors have the same shape and elements within `accuracy`.
    static func assertClose(
        _ actual: Tensor, _ expected: Tensor, accuracy: Float, _ message: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.shape, expected.shape, "shape \(message)", file: file, line: line)
        guard actual.shape == expected.shape else { return }
        for i in 0..<actual.count where !(abs(actual.scalars[i] - expected.scalars[i]) <= accuracy) {
            XCTFail(
                "element \(i): \(actual.scalars[i]) vs \(expected.scalars[i]) (accuracy \(accuracy)) \(message)",
                file: file, line: line)
            return
        }
    }

    /// Asserts scalars are equal within `accuracy`.
    static func assertClose(
        _ actual: [Float], _ expected: [Float], accuracy: Float, _ message: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) {
        assertClose(
            Tensor(shape: [actual.count], scalars: actual), Tensor(shape: [expected.count], scalars: expected),
            accuracy: accuracy, message, file: file, line: line)
    }

    /// A naive row-major matrix product in Double: `[m, k] x [k, n]`.
    static func naiveProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var total = 0.0
                for p in 0..<k { total += Double(a[i * k + p]) * Double(b[p * n + j]) }
                c[i * n + j] = Float(total)
            }
        }
        return c
    }

    /// The transpose of a row-major `[rows, columns]` matrix.
    static func transpose(_ a: [Float], rows: Int, columns: Int) -> [Float] {
        var t = [Float](repeating: 0, count: a.count)
        for i in 0..<rows {
            for j in 0..<columns { t[j * rows + i] = a[i * columns + j] }
        }
        return t
    }

    /// A tiny BERT configuration for tests.
    static func tinyBertConfig(layers: Int = 2, dropout: Float = 0) -> BertConfig {
        BertConfig(
            vocabSize: 50, hiddenSize: 16, numLayers: layers, numHeads: 4, intermediateSize: 32, maxPositions: 24,
            typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropout: dropout, attentionDropout: dropout, numLabels: 3)
    }
}
