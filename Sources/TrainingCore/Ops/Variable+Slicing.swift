/// Copies of parts of a variable, with gradients sent back to where the parts came from: a
/// column block of the last dimension, rows of a matrix, and two sequences joined.
extension Variable {
    /// Columns `start ..< start + count` of the last dimension: `[..., n]` to `[..., count]`
    /// (GPT-2 splits its fused `c_attn` output into query, key and value this way).
    public func slicingLastDimension(start: Int, count: Int) -> Variable {
        let columns = shape.last ?? 0
        precondition(start >= 0 && count >= 0 && start + count <= columns, "columns \(start)..<\(start + count) of \(columns)")
        let rows = columns == 0 ? 0 : value.count / columns
        let x = value
        let oldShape = shape
        let y = x.withUnsafeBufferPointer { px in
            Tensor(shape: Array(oldShape.dropLast()) + [count]) { out in
                guard let s = px.baseAddress, let o = out.baseAddress else { return }
                for row in 0..<rows { (o + row * count).initialize(from: s + row * columns + start, count: count) }
            }
        }
        return Variable.result(y, inputs: [self]) { gradient in
            var dx = Tensor.zeros(oldShape)
            dx.withUnsafeMutableBufferPointer { pdx in
                gradient.withUnsafeBufferPointer { pg in
                    guard let d = pdx.baseAddress, let g = pg.baseAddress else { return }
                    for row in 0..<rows { (d + row * columns + start).update(from: g + row * count, count: count) }
                }
            }
            return [dx]
        }
    }

    /// Rows `indices` of a `[rows, features]` variable, in that order (an index may repeat):
    /// `[indices.count, features]`. Used to pick each sequence's last token or the positions
    /// that have a next-token label.
    public func gatheringRows(_ indices: [Int]) -> Variable {
        precondition(value.rank == 2, "gatheringRows needs [rows, features], got \(shape)")
        let (rows, features) = (shape[0], shape[1])
        precondition(indices.allSatisfy { $0 >= 0 && $0 < rows }, "row index outside 0..<\(rows)")
        let x = value
        let y = x.withUnsafeBufferPointer { px in
            Tensor(shape: [indices.count, features]) { out in
                guard let s = px.baseAddress, let o = out.baseAddress else { return }
                for (i, row) in indices.enumerated() { (o + i * features).initialize(from: s + row * features, count: features) }
            }
        }
        return Variable.result(y, inputs: [self]) { gradient in
            var dx = Tensor.zeros(x.shape)
            dx.withUnsafeMutableBufferPointer { pdx in
                gradient.withUnsafeBufferPointer { pg in
                    guard let d = pdx.baseAddress, let g = pg.baseAddress else { return }
                    for (i, row) in indices.enumerated() {
                        let target = d + row * features, source = g + i * features
                        for j in 0..<features { target[j] += source[j] }
                    }
                }
            }
            return [dx]
        }
    }

    /// `first` and `second` joined along the sequence dimension: `[batch, s1, features]` and
    /// `[batch, s2, features]` to `[batch, s1 + s2, features]` (a key/value cache and the new keys).
    public static func concatenatingSequences(_ first: Variable, _ second: Variable) -> Variable {
        let a = first.value, b = second.value
        precondition(
            a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0] && a.shape[2] == b.shape[2],
            "cannot join sequences \(a.shape) and \(b.shape)")
        let (batch, s1, s2, features) = (a.shape[0], a.shape[1], b.shape[1], a.shape[2])
        let rowA = s1 * features, rowB = s2 * features
        let y = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor(shape: [batch, s1 + s2, features]) { out in
                    guard let o = out.baseAddress else { return }
                    for item in 0..<batch {
                        let target = o + item * (rowA + rowB)
                        if let sa = pa.baseAddress { target.initialize(from: sa + item * rowA, count: rowA) }
                        if let sb = pb.baseAddress { (target + rowA).initialize(from: sb + item * rowB, count: rowB) }
                    }
                }
            }
        }
        let needA = first.requiresGrad, needB = second.requiresGrad
        return Variable.result(y, inputs: [first, second]) { gradient in
            gradient.withUnsafeBufferPointer { pg in
                let g = pg.baseAddress
                let da = needA
                    ? Tensor(shape: a.shape) { out in
                        guard let o = out.baseAddress, let g else { return }
                        for item in 0..<batch { (o + item * rowA).initialize(from: g + item * (rowA + rowB), count: rowA) }
                    } : nil
                let db = needB
                    ? Tensor(shape: b.shape) { out in
                        guard let o = out.baseAddress, let g else { return }
                        for item in 0..<batch {
                            (o + item * rowB).initialize(from: g + item * (rowA + rowB) + rowA, count: rowB)
                        }
                    } : nil
                return [da, db]
            }
        }
    }
}
