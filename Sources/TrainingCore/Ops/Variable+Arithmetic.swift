/// Elementwise arithmetic with broadcasting of a trailing shape, and reductions to a scalar.
///
/// Two shapes combine when they are equal or one is a suffix of the other (`[4, 3] + [3]`,
/// `[2, 5, 8] * [5, 8]`): the shorter operand repeats over the leading dimensions, as in PyTorch.
extension Variable {
    /// Elementwise sum, broadcasting a trailing shape.
    public static func + (lhs: Variable, rhs: Variable) -> Variable {
        guard lhs.shape.count >= rhs.shape.count else { return rhs + lhs }
        let columns = broadcastColumns(lhs.shape, rhs.shape)
        let value = lhs.value.broadcasting(rhs.value, columns: columns) { a, b, out, n in
            for i in 0..<n { out[i] = a[i] + b[i] }
        }
        let needA = lhs.requiresGrad, needB = rhs.requiresGrad, isBroadcast = lhs.shape != rhs.shape
        return result(value, inputs: [lhs, rhs]) { gradient in
            let gradientB = needB ? (isBroadcast ? gradient.sumOverRows(columns: columns) : gradient) : nil
            return [needA ? gradient : nil, gradientB?.reshaped(rhs.shape)]
        }
    }

    /// Elementwise difference, broadcasting a trailing shape of `rhs`.
    public static func - (lhs: Variable, rhs: Variable) -> Variable {
        lhs + rhs * -1
    }

    /// Elementwise product, broadcasting a trailing shape.
    public static func * (lhs: Variable, rhs: Variable) -> Variable {
        guard lhs.shape.count >= rhs.shape.count else { return rhs * lhs }
        let columns = broadcastColumns(lhs.shape, rhs.shape)
        let a = lhs.value, b = rhs.value
        let value = a.broadcasting(b, columns: columns) { a, b, out, n in
            for i in 0..<n { out[i] = a[i] * b[i] }
        }
        let needA = lhs.requiresGrad, needB = rhs.requiresGrad, isBroadcast = lhs.shape != rhs.shape
        return result(value, inputs: [lhs, rhs]) { gradient in
            let gradientA = needA
                ? gradient.broadcasting(b, columns: columns) { g, b, out, n in
                    for i in 0..<n { out[i] = g[i] * b[i] }
                } : nil
            var gradientB: Tensor? = nil
            if needB {
                let product = gradient.zipped(with: a) { g, a, out, n in
                    for i in 0..<n { out[i] = g[i] * a[i] }
                }
                gradientB = (isBroadcast ? product.sumOverRows(columns: columns) : product).reshaped(rhs.shape)
            }
            return [gradientA, gradientB]
        }
    }

    /// Every element times a constant.
    public static func * (lhs: Variable, factor: Float) -> Variable {
        let value = lhs.value.mapped { x, out, n in
            for i in 0..<n { out[i] = x[i] * factor }
        }
        return result(value, inputs: [lhs]) { gradient in
            [gradient.mapped { g, out, n in for i in 0..<n { out[i] = g[i] * factor } }]
        }
    }

    /// The sum of all elements, as a one-element variable of shape `[]`.
    public func sum() -> Variable {
        let shape = self.shape
        let total = Float(value.sumOfElements())
        return Variable.result(Tensor(total), inputs: [self]) { gradient in
            [Tensor(shape: shape, repeating: gradient.scalar)]
        }
    }

    /// The mean of all elements, as a one-element variable of shape `[]`.
    public func mean() -> Variable {
        sum() * (1 / Float(max(value.count, 1)))
    }

    /// The same elements with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Variable {
        let oldShape = shape
        return Variable.result(value.reshaped(newShape), inputs: [self]) { gradient in
            [gradient.reshaped(oldShape)]
        }
    }

    /// The length of the repeated trailing block when `short` broadcasts over `long`.
    private static func broadcastColumns(_ long: [Int], _ short: [Int]) -> Int {
        precondition(
            Array(long.suffix(short.count)) == short,
            "shapes \(long) and \(short) do not broadcast: the second must be a suffix of the first")
        return Tensor.elementCount(of: short)
    }
}

extension Tensor {
    /// `kernel(a row, b, out row, columns)` for each `columns`-long row of `self`, with `other`
    /// (of `columns` elements, or as many as `self`) repeated over the rows.
    @inline(__always)
    func broadcasting(
        _ other: Tensor, columns: Int,
        _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    ) -> Tensor {
        if other.count == count {
            return zipped(with: other, kernel)
        }
        let rows = columns == 0 ? 0 : count / columns
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                Tensor(shape: shape) { out in
                    guard rows > 0, columns > 0, let pa = a.baseAddress, let pb = b.baseAddress,
                        let po = out.baseAddress
                    else { return }
                    Parallel.forEachRange(rows, grain: max(1, Parallel.elementwiseGrain / columns)) { range in
                        for row in range {
                            kernel(pa + row * columns, pb, po + row * columns, columns)
                        }
                    }
                }
            }
        }
    }
}
