import Foundation
import XCTest

@testable import TrainingCore

final class ActivationTests: XCTestCase {
    func testReLU_Forward_ZeroesNegatives() {
        let x = Variable(Tensor(shape: [4], scalars: [-2, -0.5, 0.5, 3]))
        XCTAssertEqual(x.relu().value, Tensor(shape: [4], scalars: [0, 0, 0.5, 3]))
    }

    func testGELU_Forward_MatchesErfFormula() {
        let inputs: [Float] = [-3, -1, -0.5, 0, 0.5, 1, 2, 5]
        let y = Variable(Tensor(shape: [inputs.count], scalars: inputs)).gelu().value
        // gelu(1) = Φ(1) = 0.8413447, gelu(-1) = -(1 - Φ(1)) = -0.1586553.
        XCTAssertEqual(y[5], 0.841_344_7, accuracy: 1e-6)
        XCTAssertEqual(y[1], -0.158_655_3, accuracy: 1e-6)
        for (i, x) in inputs.enumerated() {
            let expected = 0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))
            XCTAssertEqual(Double(y[i]), expected, accuracy: 1e-6, "gelu(\(x))")
        }
    }

    func testTanh_Forward_MatchesFoundation() {
        let inputs: [Float] = [-2, -0.1, 0, 0.7, 4]
        let y = Variable(Tensor(shape: [inputs.count], scalars: inputs)).tanh().value
        for (i, x) in inputs.enumerated() { XCTAssertEqual(y[i], Foundation.tanh(x), accuracy: 1e-7) }
    }

    func testActivations_Gradients_MatchFiniteDifferences() {
        // Keep ReLU inputs away from the kink at 0 (|x| > step).
        var x = Support.random([3, 7], seed: 1)
        x.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices where abs(buffer[i]) < 0.05 { buffer[i] = 0.3 }
        }
        Support.checkGradients([x]) { v in v[0].relu() }
        Support.checkGradients([Tensor(shape: x.shape, scalars: x.scalars.map { $0 * 2 })]) { v in v[0].gelu() }
        Support.checkGradients([x]) { v in v[0].tanh() }
    }

    func testFastExp_WholeRange_WithinFourUlp() {
        var x: Float = -87
        while x < 88 {
            let expected = Foundation.exp(Double(x))
            let actual = Double(FastMath.exp(x))
            XCTAssertEqual(actual, expected, accuracy: expected * 4e-7, "exp(\(x))")
            x += 0.173
        }
        XCTAssertEqual(FastMath.exp(0), 1)
        XCTAssertEqual(FastMath.exp(-100), 0)
        XCTAssertEqual(FastMath.exp(-Float.greatestFiniteMagnitude), 0)
    }

    func testFastErf_WholeRange_WithinFourTenMillionths() {
        var x: Float = -6
        while x < 6 {
            XCTAssertEqual(Double(FastMath.erf(x)), Foundation.erf(Double(x)), accuracy: 4e-7, "erf(\(x))")
            x += 0.0137
        }
    }
}
