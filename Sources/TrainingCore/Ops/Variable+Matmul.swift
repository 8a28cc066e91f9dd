/// Matrix products: `matmul` (plain and batched) and `linear` (`x W^T + b`).
extension Variable {
    /// The matrix product `op(self) * op(other)`, where `op` optionally transposes the last two
    /// dimensions.
    ///
    /// Both operands are rank 2 (`[m, k] x [k, n]`), or rank 3 with equal batch size
    /// (`[b, m, k] x [b, k, n]`). Transposes are passed to BLAS, never materialised.
    public func matmul(_ other: Variable, transposeSelf: Bool = false, transposeOther: Bool = false) -> Variable {
        let a = value, b = other.value
        precondition(
            (a.rank == 2 && b.rank == 2) || (a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0]),
            "matmul needs two matrices or two equal-sized batches of matrices, got \(a.shape) and \(b.shape)")
        let batch = a.rank == 3 ? a.shape[0] : 1
        let (rowsA, columnsA) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (rowsB, columnsB) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeSelf ? (columnsA, rowsA) : (rowsA, columnsA)
        let (kB, n) = transposeOther ? (columnsB, rowsB) : (rowsB, columnsB)
        precondition(k == kB, "matmul inner dimensions differ: \(a.shape) and \(b.shape)")
        let tA = transposeSelf, tB = transposeOther
        let value = Tensor.batchedProduct(
            a, transposeA: tA, b, transposeB: tB, batch: batch, m: m, n: n, k: k,
            resultShape: a.rank == 3 ? [batch, m, n] : [m, n])
        let needA = requiresGrad, needB = other.requiresGrad
        return Variable.result(value, inputs: [self, other]) { dC in
            // C = op(A) op(B): dA = dC op(B)^T (or its transpose), dB = op(A)^T dC (or its transpose).
            let gradientA = needA
                ? (tA
                    ? Tensor.batchedProduct(
                        b, transposeA: tB, dC, transposeB: true, batch: batch, m: k, n: m, k: n, resultShape: a.shape)
                    : Tensor.batchedProduct(
                        dC, transposeA: false, b, transposeB: !tB, batch: batch, m: m, n: k, k: n,
                        resultShape: a.shape))
                : nil
            let gradientB = needB
                ? (tB
                    ? Tensor.batchedProduct(
                        dC, transposeA: true, a, transposeB: tA, batch: batch, m: n, n: k, k: m, resultShape: b.shape)
                    : Tensor.batchedProduct(
                        a, transposeA: !tA, dC, transposeB: false, batch: batch, m: k, n: n, k: m,
                        resultShape: b.shape))
                : nil
            return [gradientA, gradientB]
        }
    }
}

/// A fully connected layer's function, `x W^T + b`, as PyTorch's `F.linear`.
///
/// - Parameters:
///   - input: `[..., in]`; all leading dimensions are treated as rows.
///   - weight: `[out, in]`.
///   - bias: `[out]`, or `nil`.
/// - Returns: `[..., out]`.
public func linear(_ input: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
    affine(input, weight: weight, bias: bias, transposedWeight: true, function: "linear")
}

/// `x op(W) + b`, the body of ``linear(_:weight:bias:)`` (`transposedWeight`: `W` is `[out, in]`,
/// `op(W) = Wᵀ`) and ``conv1D(_:weight:bias:)`` (`W` is `[in, out]`, `op(W) = W`). The transpose
/// is passed to BLAS, never materialised.
func affine(_ input: Variable, weight: Variable, bias: Variable?, transposedWeight: Bool, function: String) -> Variable {
    let x = input.value, w = weight.value
    precondition(
        w.rank == 2 && x.rank >= 1,
        "\(function) needs a \(transposedWeight ? "[out, in]" : "[in, out]") weight, got \(w.shape)")
    let (outFeatures, inFeatures) = transposedWeight ? (w.shape[0], w.shape[1]) : (w.shape[1], w.shape[0])
    precondition(x.shape.last == inFeatures, "\(function) input \(x.shape) does not end in \(inFeatures)")
    if let bias { precondition(bias.shape == [outFeatures], "bias \(bias.shape) for \(outFeatures) outputs") }
    let rows = x.count / max(inFeatures, 1)
    let outShape = Array(x.shape.dropLast()) + [outFeatures]

    let value = x.withUnsafeBufferPointer { px in
        w.withUnsafeBufferPointer { pw in
            Tensor(shape: outShape) { out in
                guard let c = out.baseAddress, out.count > 0 else { return }
                var beta: Float = 0
                if let bias {
                    bias.value.withUnsafeBufferPointer { pb in
                        guard let b = pb.baseAddress else { return }
                        Parallel.forEachRange(rows, grain: max(1, Parallel.elementwiseGrain / outFeatures)) { range in
                            for row in range { (c + row * outFeatures).initialize(from: b, count: outFeatures) }
                        }
                    }
                    beta = 1
                }
                guard let a = px.baseAddress, let b = pw.baseAddress else {
                    if beta == 0 { c.initialize(repeating: 0, count: out.count) }
                    return
                }
                BLAS.gemm(
                    transposeA: false, transposeB: transposedWeight, m: rows, n: outFeatures, k: inFeatures,
                    a: a, lda: inFeatures, b: b, ldb: w.shape[1], beta: beta, c: c, ldc: outFeatures)
            }
        }
    }
    let needX = input.requiresGrad, needW = weight.requiresGrad, needB = bias?.requiresGrad ?? false
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return Variable.result(value, inputs: inputs) { dy in
        // y = x op(W) + b: dx = dy op(W)ᵀ; dW = dyᵀ x for W [out, in], xᵀ dy for W [in, out]; db = Σ_rows dy.
        let gradientX = needX
            ? Tensor.batchedProduct(
                dy, transposeA: false, w, transposeB: !transposedWeight, batch: 1, m: rows, n: inFeatures,
                k: outFeatures, resultShape: x.shape)
            : nil
        let gradientW = needW
            ? (transposedWeight
                ? Tensor.batchedProduct(
                    dy, transposeA: true, x, transposeB: false, batch: 1, m: outFeatures, n: inFeatures, k: rows,
                    resultShape: w.shape)
                : Tensor.batchedProduct(
                    x, transposeA: true, dy, transposeB: false, batch: 1, m: inFeatures, n: outFeatures, k: rows,
                    resultShape: w.shape))
            : nil
        let gradientB = needB ? dy.sumOverRows(columns: outFeatures) : nil
        return [gradientX, gradientW, gradientB]
    }
}
