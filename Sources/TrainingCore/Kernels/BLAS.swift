import CBLAS

/// Single-precision matrix products through OpenBLAS (row-major).
///
/// OpenBLAS runs single-threaded here: large products are split into one block of rows (or
/// columns) per core by ``Parallel``, the same workers that run the elementwise loops. With
/// OpenBLAS's own thread pool, its idle workers spin (`sched_yield`) between calls and fight
/// those workers for the cores.
enum BLAS {
    /// Products with fewer multiply-adds than this run on one core.
    static let splitThreshold = 1 << 21

    /// Sets OpenBLAS to one thread, once per process, before the first product.
    private static let configureThreads: Void = {
        openblas_set_num_threads(1)
    }()

    /// `C = alpha * op(A) * op(B) + beta * C` with row-major matrices; `op(A)` is `m x k`,
    /// `op(B)` is `k x n`, `C` is `m x n`. Leading dimensions are row strides in elements.
    ///
    /// - Parameter parallel: whether a large product may be split over the cores; `false` inside
    ///   loops that are already parallel.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // BLAS leaves C untouched when k == 0 only if beta == 1: make the zero product explicit.
            for row in 0..<m {
                let rowStart = c + row * ldc
                for column in 0..<n { rowStart[column] = beta == 0 ? 0 : beta * rowStart[column] }
            }
            return
        }
        _ = configureThreads
        let parts = parallel && m * n * k >= splitThreshold ? min(Parallel.workerCount, max(m, n) / 16) : 1
        guard parts > 1 else {
            sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        if m >= n {
            // Rows of C need the matching rows of op(A): rows of A, or columns when transposed.
            Parallel.forEachIndex(parts) { part in
                let start = m * part / parts, end = m * (part + 1) / parts
                sgemm(
                    transposeA, transposeB, end - start, n, k, alpha, a + (transposeA ? start : start * lda), lda, b,
                    ldb, beta, c + start * ldc, ldc)
            }
        } else {
            // Columns of C need the matching columns of op(B): columns of B, or rows when transposed.
            Parallel.forEachIndex(parts) { part in
                let start = n * part / parts, end = n * (part + 1) / parts
                sgemm(
                    transposeA, transposeB, m, end - start, k, alpha, a, lda, b + (transposeB ? start * ldb : start),
                    ldb, beta, c + start, ldc)
            }
        }
    }

    @inline(__always)
    private static func sgemm(
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `y = alpha * op(A) * x + beta * y` for a row-major `rows x columns` matrix `A`.
    static func gemv(
        transpose: Bool, rows: Int, columns: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0, columns > 0 else {
            let outCount = transpose ? columns : rows
            for i in 0..<outCount { y[i] = beta == 0 ? 0 : beta * y[i] }
            return
        }
        _ = configureThreads
        cblas_sgemv(
            CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(rows), Int32(columns), alpha, a,
            Int32(lda), x, 1, beta, y, 1)
    }
}
