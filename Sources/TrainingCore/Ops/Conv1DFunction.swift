/// GPT-2's `Conv1D` function, `x W + b` with `weight` `[in, out]` (the transpose of
/// ``linear(_:weight:bias:)``'s layout, as HF stores it: no transpose on load).
///
/// - Parameters:
///   - input: `[..., in]`; all leading dimensions are treated as rows.
///   - weight: `[in, out]`.
///   - bias: `[out]`, or `nil`.
/// - Returns: `[..., out]`.
public func conv1D(_ input: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
    let x = input.value, w = weight.value
    precondition(w.rank == 2 && x.rank >= 1, "conv1D needs an [in, out] weight, got \(w.shape)")
    let (inFeatures, outFeatures) = (w.shape[0], w.shape[1])
    precondition(x.shape.last == inFeatures, "conv1D input \(x.shape) does not end in \(inFeatures)")
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
                    transposeA: false, transposeB: false, m: rows, n: outFeatures, k: inFeatures,
                    a: a, lda: inFeatures, b: b, ldb: outFeatures, beta: beta, c: c, ldc: outFeatures)
            }
        }
    }
    let needX = input.requiresGrad, needW = weight.requiresGrad, needB = bias?.requiresGrad ?? false
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return Variable.result(value, inputs: inputs) { dy in
        // y = x W + b: dx = dy Wᵀ, dW = xᵀ dy, db = Σ_rows dy.
        let gradientX = needX
            ? Tensor.batchedProduct(
                dy, transposeA: false, w, transposeB: true, batch: 1, m: rows, n: inFeatures, k: outFeatures,
                resultShape: x.shape)
            : nil
        let gradientW = needW
            ? Tensor.batchedProduct(
                x, transposeA: true, dy, transposeB: false, batch: 1, m: inFeatures, n: outFeatures, k: rows,
                resultShape: w.shape)
            : nil
        let gradientB = needB ? dy.sumOverRows(columns: outFeatures) : nil
        return [gradientX, gradientW, gradientB]
    }
}
