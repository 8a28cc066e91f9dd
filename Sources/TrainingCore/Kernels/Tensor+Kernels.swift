/// Vectorised elementwise building blocks shared by the operations.
///
/// Each helper allocates its result once and runs a plain loop over raw pointers, split over the
/// cores when the tensor is large. `kernel` gets input and output pointers offset to its range.
extension Tensor {
    /// A new tensor of the same shape, `kernel(source, destination, count)` applied per range.
    @inline(__always)
    func mapped(
        grain: Int = Parallel.elementwiseGrain,
        _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    ) -> Tensor {
        let count = self.count
        return withUnsafeBufferPointer { source in
            Tensor(shape: shape) { destination in
                guard count > 0, let s = source.baseAddress, let d = destination.baseAddress else { return }
                Parallel.forEachRange(count, grain: grain) { range in
                    kernel(s + range.lowerBound, d + range.lowerBound, range.count)
                }
            }
        }
    }

    /// A new tensor of `self`'s shape from two equally sized tensors, `kernel(a, b, destination, count)`.
    @inline(__always)
    func zipped(
        with other: Tensor, grain: Int = Parallel.elementwiseGrain,
        _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    ) -> Tensor {
        precondition(count == other.count, "element counts differ: \(shape) and \(other.shape)")
        let count = self.count
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                Tensor(shape: shape) { destination in
                    guard count > 0, let pa = a.baseAddress, let pb = b.baseAddress,
                        let d = destination.baseAddress
                    else { return }
                    Parallel.forEachRange(count, grain: grain) { range in
                        let offset = range.lowerBound
                        kernel(pa + offset, pb + offset, d + offset, range.count)
                    }
                }
            }
        }
    }

    /// Changes every element in place with `kernel(elements, count)` per range.
    @inline(__always)
    mutating func updateEach(
        grain: Int = Parallel.elementwiseGrain, _ kernel: (UnsafeMutablePointer<Float>, Int) -> Void
    ) {
        let count = self.count
        withUnsafeMutableBufferPointer { buffer in
            guard count > 0, let p = buffer.baseAddress else { return }
            Parallel.forEachRange(count, grain: grain) { range in kernel(p + range.lowerBound, range.count) }
        }
    }

    /// Changes every element in place with `kernel(elements, others, count)`, reading `other` alongside.
    @inline(__always)
    mutating func update(
        with other: Tensor, grain: Int = Parallel.elementwiseGrain,
        _ kernel: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void
    ) {
        precondition(count == other.count, "element counts differ: \(shape) and \(other.shape)")
        let count = self.count
        other.withUnsafeBufferPointer { b in
            withUnsafeMutableBufferPointer { buffer in
                guard count > 0, let p = buffer.baseAddress, let pb = b.baseAddress else { return }
                Parallel.forEachRange(count, grain: grain) { range in
                    kernel(p + range.lowerBound, pb + range.lowerBound, range.count)
                }
            }
        }
    }

    /// `self += other`, elementwise; the shapes must have equal element counts.
    mutating func add(_ other: Tensor) {
        update(with: other) { a, b, n in
            for i in 0..<n { a[i] += b[i] }
        }
    }

    /// `self *= factor`.
    mutating func scale(by factor: Float) {
        updateEach { a, n in
            for i in 0..<n { a[i] *= factor }
        }
    }

    /// `self += factor * other`.
    mutating func add(_ other: Tensor, scaledBy factor: Float) {
        update(with: other) { a, b, n in
            for i in 0..<n { a[i] += factor * b[i] }
        }
    }

    /// The sum of all elements, in Double for accuracy.
    func sumOfElements() -> Double {
        withUnsafeBufferPointer { buffer in
            var total = 0.0
            for value in buffer { total += Double(value) }
            return total
        }
    }

    /// Sums a `[rows, columns]` view of this tensor over its rows: the gradient of a broadcast add.
    func sumOverRows(columns: Int) -> Tensor {
        let rows = columns == 0 ? 0 : count / columns
        let ones = [Float](repeating: 1, count: rows)
        return withUnsafeBufferPointer { source in
            Tensor(shape: [columns]) { destination in
                guard let d = destination.baseAddress, columns > 0 else { return }
                d.initialize(repeating: 0, count: columns)
                guard rows > 0, let s = source.baseAddress else { return }
                ones.withUnsafeBufferPointer { o in
                    BLAS.gemv(
                        transpose: true, rows: rows, columns: columns, a: s, lda: columns, x: o.baseAddress ?? s,
                        y: d)
                }
            }
        }
    }
}
