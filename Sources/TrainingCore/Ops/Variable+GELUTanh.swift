import Foundation

extension Variable {
    /// The tanh approximation of GELU, `x / 2 * (1 + tanh(√(2/π) (x + 0.044715 x³)))`: GPT-2's
    /// activation (HF's `gelu_new` and `gelu_pytorch_tanh`, PyTorch's `gelu(approximate: "tanh")`).
    public func geluTanh() -> Variable {
        let x = value
        let c: Float = 0.797_884_56  // √(2/π)
        let a: Float = 0.044_715
        let y = x.mapped(grain: Parallel.transcendentalGrain) { x, out, n in
            for i in 0..<n {
                let v = x[i]
                out[i] = 0.5 * v * (1 + Foundation.tanh(c * (v + a * v * v * v)))
            }
        }
        return Variable.result(y, inputs: [self]) { gradient in
            // d/dx = (1 + t) / 2 + x / 2 (1 - t²) c (1 + 3 a x²), t = tanh(c (x + a x³)).
            [gradient.zipped(with: x, grain: Parallel.transcendentalGrain) { g, x, out, n in
                for i in 0..<n {
                    let v = x[i]
                    let t = Foundation.tanh(c * (v + a * v * v * v))
                    out[i] = g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * a * v * v))
                }
            }]
        }
    }
}
