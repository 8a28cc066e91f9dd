/// Softmax over the last dimension.
extension Variable {
    /// `exp(x_i) / Σ_j exp(x_j)` along the last dimension, computed stably (the row maximum is
    /// subtracted first).
    public func softmax() -> Variable {
        let columns = shape.last ?? 1
        let rows = columns == 0 ? 0 : value.count / columns
        var y = value
        y.withUnsafeMutableBufferPointer { buffer in
            guard let p = buffer.baseAddress, rows > 0 else { return }
            Parallel.forEachRange(rows, grain: max(1, Parallel.transcendentalGrain / columns)) { range in
                for row in range { RowKernels.softmax(p + row * columns, columns) }
            }
        }
        return Variable.result(y, inputs: [self]) { gradient in
            var dx = gradient
            dx.withUnsafeMutableBufferPointer { buffer in
                y.withUnsafeBufferPointer { py in
                    guard let g = buffer.baseAddress, let p = py.baseAddress, rows > 0 else { return }
                    Parallel.forEachRange(rows, grain: max(1, Parallel.elementwiseGrain / columns)) { range in
                        for row in range { RowKernels.softmaxBackward(g + row * columns, p + row * columns, columns) }
                    }
                }
            }
            return [dx]
        }
    }
}

/// Loops over one row, shared by softmax, attention and layer norm.
enum RowKernels {
    /// Replaces a row by its softmax.
    @inline(__always)
    static func softmax(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        guard n > 0 else { return }
        let maximum = FastMath.max(p, n)
        for i in 0..<n { p[i] = FastMath.exp(p[i] - maximum) }
        let inverse = 1 / FastMath.sum(p, n)
        for i in 0..<n { p[i] *= inverse }
    }

    /// Replaces the output gradient `g` of a softmax row with output `y` by the input gradient,
    /// `y * (g - Σ g y)`.
    @inline(__always)
    static func softmaxBackward(_ g: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) {
        let dot = FastMath.dot(g, y, n)
        for i in 0..<n { g[i] = y[i] * (g[i] - dot) }
    }
}
