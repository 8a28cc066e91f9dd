/// Looks up rows of an embedding table, as PyTorch's `F.embedding`.
///
/// - Parameters:
///   - indices: row numbers, flat in row-major order of `shape`.
///   - shape: the shape of the index array.
///   - weight: `[rows, dimension]`.
///   - paddingIndex: a row that receives no gradient (PyTorch's `padding_idx`).
/// - Returns: `shape + [dimension]`.
/// - Throws: ``ModelInputError`` when an index is outside the table.
public func embedding(
    _ indices: [Int], shape: [Int], weight: Variable, paddingIndex: Int? = nil
) throws(ModelInputError) -> Variable {
    precondition(weight.value.rank == 2, "embedding weight must be [rows, dimension], got \(weight.shape)")
    precondition(Tensor.elementCount(of: shape) == indices.count, "\(indices.count) indices for shape \(shape)")
    let (rows, dimension) = (weight.shape[0], weight.shape[1])
    try ModelInputError.checkIndices(indices, field: "indices", limit: rows)
    let table = weight.value
    let value = table.withUnsafeBufferPointer { pw in
        indices.withUnsafeBufferPointer { pi in
            Tensor(shape: shape + [dimension]) { out in
                guard let w = pw.baseAddress, let o = out.baseAddress, dimension > 0 else { return }
                Parallel.forEachRange(indices.count, grain: max(1, Parallel.elementwiseGrain / dimension)) { range in
                    for position in range {
                        (o + position * dimension).initialize(from: w + pi[position] * dimension, count: dimension)
                    }
                }
            }
        }
    }
    return Variable.result(value, inputs: [weight]) { gradient in
        var dw = Tensor.zeros(table.shape)
        dw.withUnsafeMutableBufferPointer { pdw in
            gradient.withUnsafeBufferPointer { pg in
                guard let d = pdw.baseAddress, let g = pg.baseAddress else { return }
                // Serial: two positions may share a row.
                for (position, row) in indices.enumerated() where row != paddingIndex {
                    let target = d + row * dimension, source = g + position * dimension
                    for i in 0..<dimension { target[i] += source[i] }
                }
            }
        }
        return [dw]
    }
}
