import Foundation

/// Elementwise activations: ReLU, GELU (the exact, erf-based form) and tanh.
extension Variable {
    /// `max(x, 0)`.
    public func relu() -> Variable {
        let x = value
        let y = x.mapped { x, out, n in
            for i in 0..<n { out[i] = x[i] > 0 ? x[i] : 0 }
        }
        return Variable.result(y, inputs: [self]) { gradient in
            [gradient.zipped(with: x) { g, x, out, n in
                for i in 0..<n { out[i] = x[i] > 0 ? g[i] : 0 }
            }]
        }
    }

    /// `x * Φ(x) = x / 2 * (1 + erf(x / √2))`: PyTorch's `gelu` (approximate = "none"), BERT's `gelu`.
    public func gelu() -> Variable {
        let x = value
        let y = x.mapped(grain: Parallel.transcendentalGrain) { x, out, n in
            for i in 0..<n {
                let v = x[i]
                out[i] = 0.5 * v * (1 + FastMath.erf(v * 0.707_106_78))
            }
        }
        return Variable.result(y, inputs: [self]) { gradient in
            // d/dx = Φ(x) + x φ(x), φ(x) = exp(-x²/2) / √(2π).
            [gradient.zipped(with: x, grain: Parallel.transcendentalGrain) { g, x, out, n in
                for i in 0..<n {
                    let v = x[i]
                    let cdf = 0.5 * (1 + FastMath.erf(v * 0.707_106_78))
                    let pdf = 0.398_942_28 * FastMath.exp(-0.5 * v * v)
                    out[i] = g[i] * (cdf + v * pdf)
                }
            }]
        }
    }

    /// The hyperbolic tangent.
    public func tanh() -> Variable {
        let y = value.mapped(grain: Parallel.transcendentalGrain) { x, out, n in
            for i in 0..<n { out[i] = Foundation.tanh(x[i]) }
        }
        return Variable.result(y, inputs: [self]) { gradient in
            [gradient.zipped(with: y) { g, y, out, n in
                for i in 0..<n { out[i] = g[i] * (1 - y[i] * y[i]) }
            }]
        }
    }
}
