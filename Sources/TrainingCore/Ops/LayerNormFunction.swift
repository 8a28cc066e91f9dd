/// Layer normalisation over the last dimension, as PyTorch's `F.layer_norm`:
/// `(x - mean) / sqrt(var + eps) * weight + bias`, with the biased variance.
///
/// - Parameters:
///   - input: `[..., features]`.
///   - weight, bias: `[features]`.
public func layerNorm(_ input: Variable, weight: Variable, bias: Variable, epsilon: Float) -> Variable {
    let x = input.value
    let columns = x.shape.last ?? 1
    precondition(weight.shape == [columns] && bias.shape == [columns], "layer norm parameters must be [\(columns)]")
    let rows = columns == 0 ? 0 : x.count / columns
    let recording = Variable.isRecording(input, weight, bias)
    let w = weight.value, b = bias.value
    // Per-row mean and 1/std, kept for backward.
    var means = [Float](repeating: 0, count: recording ? rows : 0)
    var inverseStds = [Float](repeating: 0, count: recording ? rows : 0)
    let grain = max(1, Parallel.elementwiseGrain / max(columns, 1))

    let y = x.withUnsafeBufferPointer { px in
        w.withUnsafeBufferPointer { pw in
            b.withUnsafeBufferPointer { pb in
                means.withUnsafeMutableBufferPointer { pMeans in
                    inverseStds.withUnsafeMutableBufferPointer { pInverse in
                        Tensor(shape: x.shape) { out in
                            guard rows > 0, let xs = px.baseAddress, let ws = pw.baseAddress, let bs = pb.baseAddress,
                                let ys = out.baseAddress
                            else { return }
                            let saveMean = recording ? pMeans.baseAddress : nil
                            let saveInverse = recording ? pInverse.baseAddress : nil
                            Parallel.forEachRange(rows, grain: grain) { range in
                                for row in range {
                                    let xr = xs + row * columns, yr = ys + row * columns
                                    let mean = FastMath.sum(xr, columns) / Float(columns)
                                    for i in 0..<columns { yr[i] = xr[i] - mean }
                                    let variance = FastMath.dot(yr, yr, columns) / Float(columns)
                                    let inverseStd = 1 / (variance + epsilon).squareRoot()
                                    for i in 0..<columns { yr[i] = yr[i] * inverseStd * ws[i] + bs[i] }
                                    saveMean?[row] = mean
                                    saveInverse?[row] = inverseStd
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let needX = input.requiresGrad, needW = weight.requiresGrad, needB = bias.requiresGrad
    return Variable.result(y, inputs: [input, weight, bias]) { dy in
        let ranges = Parallel.ranges(rows, grain: grain)
        var dx = needX ? Tensor.zeros(x.shape) : Tensor.zeros([0])
        // One [2, columns] partial (dweight, dbias) per range, summed at the end.
        var partials = [Float](repeating: 0, count: ranges.count * 2 * columns)
        dx.withUnsafeMutableBufferPointer { pdx in
            partials.withUnsafeMutableBufferPointer { pPartials in
                x.withUnsafeBufferPointer { px in
                    dy.withUnsafeBufferPointer { pdy in
                        w.withUnsafeBufferPointer { pw in
                            guard let xs = px.baseAddress, let gs = pdy.baseAddress, let ws = pw.baseAddress,
                                let partialBase = pPartials.baseAddress
                            else { return }
                            let dxs = needX ? pdx.baseAddress : nil
                            Parallel.forEachIndex(ranges.count) { part in
                                let dw = partialBase + part * 2 * columns, db = dw + columns
                                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * columns)
                                defer { scratch.deallocate() }
                                let xhat = scratch, dxhat = scratch + columns
                                for row in ranges[part] {
                                    let xr = xs + row * columns, gr = gs + row * columns
                                    let mean = means[row], inverseStd = inverseStds[row]
                                    for i in 0..<columns {
                                        xhat[i] = (xr[i] - mean) * inverseStd
                                        dxhat[i] = gr[i] * ws[i]
                                        dw[i] += gr[i] * xhat[i]
                                        db[i] += gr[i]
                                    }
                                    guard let dxs else { continue }
                                    let c1 = FastMath.sum(dxhat, columns) / Float(columns)
                                    let c2 = FastMath.dot(dxhat, xhat, columns) / Float(columns)
                                    let dxr = dxs + row * columns
                                    for i in 0..<columns { dxr[i] = inverseStd * (dxhat[i] - c1 - xhat[i] * c2) }
                                }
                            }
                        }
                    }
                }
            }
        }
        var dw = Tensor.zeros([columns]), db = Tensor.zeros([columns])
        for part in 0..<ranges.count {
            let start = part * 2 * columns
            dw.add(Tensor(shape: [columns], scalars: Array(partials[start..<(start + columns)])))
            db.add(Tensor(shape: [columns], scalars: Array(partials[(start + columns)..<(start + 2 * columns)])))
        }
        return [needX ? dx : nil, needW ? dw : nil, needB ? db : nil]
    }
}
