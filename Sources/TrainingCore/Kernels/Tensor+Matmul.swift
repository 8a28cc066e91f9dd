/// Matrix products of tensors through BLAS, without materialising transposes.
extension Tensor {
    /// `op(self) * op(other)` for each of `batch` matrix pairs stored back to back.
    ///
    /// `op(self)` is `m x k` and `op(other)` is `k x n`; the result has shape `resultShape`
    /// (batch * m * n elements). Small products are spread over the cores a group of matrices
    /// per core; large ones are split by ``BLAS/gemm`` itself.
    static func batchedProduct(
        _ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool,
        batch: Int, m: Int, n: Int, k: Int, alpha: Float = 1, resultShape: [Int]
    ) -> Tensor {
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor(shape: resultShape) { out in
                    guard let c = out.baseAddress else { return }
                    guard let baseA = pa.baseAddress, let baseB = pb.baseAddress else {
                        c.initialize(repeating: 0, count: out.count)
                        return
                    }
                    // Many small products: one core per group of matrices; otherwise BLAS.gemm
                    // splits each product itself.
                    let splitBatch = batch > 1 && m * n * k < BLAS.splitThreshold
                    let one = { (index: Int) in
                        BLAS.gemm(
                            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                            a: baseA + index * m * k, lda: lda, b: baseB + index * k * n, ldb: ldb,
                            c: c + index * m * n, ldc: n, parallel: !splitBatch)
                    }
                    if splitBatch {
                        Parallel.forEachRange(batch, grain: 1) { range in range.forEach(one) }
                    } else {
                        (0..<batch).forEach(one)
                    }
                }
            }
        }
    }
}
