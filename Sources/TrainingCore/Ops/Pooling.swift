/// Sentence-level reductions of `[batch, sequence, hidden]` token states.
extension Variable {
    /// The states of one position of every sequence: `[batch, sequence, hidden]` to
    /// `[batch, hidden]`; position 0 is BERT's `[CLS]` token.
    public func token(at position: Int) -> Variable {
        precondition(value.rank == 3, "token(at:) needs [batch, sequence, hidden], got \(shape)")
        let (batch, length, hidden) = (shape[0], shape[1], shape[2])
        precondition(position >= 0 && position < length, "position \(position) outside 0..<\(length)")
        let x = value
        let y = x.withUnsafeBufferPointer { px in
            Tensor(shape: [batch, hidden]) { out in
                guard let s = px.baseAddress, let o = out.baseAddress else { return }
                for b in 0..<batch {
                    (o + b * hidden).initialize(from: s + (b * length + position) * hidden, count: hidden)
                }
            }
        }
        return Variable.result(y, inputs: [self]) { gradient in
            var dx = Tensor.zeros(x.shape)
            dx.withUnsafeMutableBufferPointer { pdx in
                gradient.withUnsafeBufferPointer { pg in
                    guard let d = pdx.baseAddress, let g = pg.baseAddress else { return }
                    for b in 0..<batch {
                        (d + (b * length + position) * hidden).update(from: g + b * hidden, count: hidden)
                    }
                }
            }
            return [dx]
        }
    }

    /// Each row divided by its Euclidean norm along the last dimension, as PyTorch's
    /// `F.normalize(x, p: 2, dim: -1)` (norms below `epsilon` are replaced by `epsilon`).
    public func l2Normalized(epsilon: Float = 1e-12) -> Variable {
        let columns = shape.last ?? 1
        let rows = columns == 0 ? 0 : value.count / columns
        var norms = [Float](repeating: 0, count: rows)
        var y = value
        y.withUnsafeMutableBufferPointer { py in
            norms.withUnsafeMutableBufferPointer { pn in
                guard let p = py.baseAddress, let n = pn.baseAddress else { return }
                for row in 0..<rows {
                    let r = p + row * columns
                    let norm = FastMath.dot(r, r, columns).squareRoot()
                    n[row] = norm
                    let inverse = 1 / Swift.max(norm, epsilon)
                    for i in 0..<columns { r[i] *= inverse }
                }
            }
        }
        return Variable.result(y, inputs: [self]) { gradient in
            var dx = gradient
            dx.withUnsafeMutableBufferPointer { pdx in
                y.withUnsafeBufferPointer { py in
                    guard let d = pdx.baseAddress, let p = py.baseAddress else { return }
                    for row in 0..<rows {
                        let g = d + row * columns, yr = p + row * columns
                        let norm = norms[row]
                        if norm > epsilon {
                            // d(x/|x|) = (g - y (g·y)) / |x|
                            let dot = FastMath.dot(g, yr, columns)
                            for i in 0..<columns { g[i] = (g[i] - yr[i] * dot) / norm }
                        } else {
                            for i in 0..<columns { g[i] /= epsilon }
                        }
                    }
                }
            }
            return [dx]
        }
    }
}

/// The mean of each sequence's token states over its real tokens, as sentence-transformers'
/// mean pooling: `Σ_s mask[b, s] x[b, s] / max(Σ_s mask[b, s], 1e-9)`.
///
/// - Parameters:
///   - hidden: `[batch, sequence, features]`.
///   - mask: `[batch, sequence]`, 1 for real tokens and 0 for padding (other weights are allowed).
/// - Returns: `[batch, features]`.
public func meanPooling(_ hidden: Variable, mask: Tensor) -> Variable {
    precondition(hidden.value.rank == 3, "mean pooling needs [batch, sequence, features], got \(hidden.shape)")
    let (batch, length, features) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
    precondition(mask.shape == [batch, length], "mask \(mask.shape) must be [\(batch), \(length)]")
    let x = hidden.value
    // weights[b, s] = mask[b, s] / max(Σ mask[b, :], 1e-9)
    var weights = mask
    weights.withUnsafeMutableBufferPointer { pw in
        guard let w = pw.baseAddress else { return }
        for b in 0..<batch {
            let row = w + b * length
            let inverse = 1 / Swift.max(FastMath.sum(row, length), 1e-9)
            for s in 0..<length { row[s] *= inverse }
        }
    }
    // y[b] = weights[b] · x[b]: a [1, length] x [length, features] product per batch item.
    let y = Tensor.batchedProduct(
        weights, transposeA: false, x, transposeB: false, batch: batch, m: 1, n: features, k: length,
        resultShape: [batch, features])
    return Variable.result(y, inputs: [hidden]) { gradient in
        // dx[b] = weights[b]ᵀ dy[b]: an outer product per batch item.
        [Tensor.batchedProduct(
            weights, transposeA: true, gradient, transposeB: false, batch: batch, m: length, n: features, k: 1,
            resultShape: x.shape)]
    }
}
