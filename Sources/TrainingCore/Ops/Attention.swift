/// Scaled dot-product attention over several heads, with a key padding mask.
///
/// `query` is `[batch, queries, hidden]`, `key` and `value` are `[batch, keys, hidden]`, with
/// `hidden = heads * headSize`; head `h` uses columns `h * headSize ..< (h + 1) * headSize`, which
/// is the layout of HF BERT's `transpose_for_scores`. For each batch item and head:
/// `softmax(Q Kᵀ / √headSize + maskBias) V`, written back into the same column block of the
/// `[batch, queries, hidden]` result. Keys whose `mask` entry is 0 get a bias of `-Float.greatestFiniteMagnitude`
/// (HF's `finfo.min`), so their weight is exactly 0 and real tokens do not depend on padding.
///
/// Every product is one BLAS call on strided views (no transposed copies); batch items and
/// heads are spread over the cores.
///
/// - Parameter mask: `[batch, keys]`, 1 for real tokens and 0 for padding; `nil` attends everywhere.
public func multiHeadAttention(
    query: Variable, key: Variable, value: Variable, heads: Int, mask: Tensor? = nil
) -> Variable {
    var unused = SeededGenerator(seed: 0)
    return multiHeadAttention(
        query: query, key: key, value: value, heads: heads, mask: mask, dropout: 0, generator: &unused)
}

/// ``multiHeadAttention(query:key:value:heads:mask:)`` with dropout on the attention weights
/// (HF BERT's `attention_probs_dropout_prob` in training mode).
///
/// - Parameter causalOffset: with a value `c`, query `i` attends only keys `0...c + i` (causal
///   self-attention, GPT-2's `bias` buffer): `c` is the number of cached keys before the queries,
///   0 without a cache. The hidden keys get weight exactly 0, as HF's `finfo.min` fill gives.
public func multiHeadAttention(
    query: Variable, key: Variable, value: Variable, heads: Int, mask: Tensor?,
    dropout probability: Float, causalOffset: Int? = nil, generator: inout SeededGenerator
) -> Variable {
    let q = query.value, k = key.value, v = value.value
    precondition(q.rank == 3 && k.rank == 3 && v.shape == k.shape, "attention needs [batch, sequence, hidden] inputs")
    let (batch, queries, hidden) = (q.shape[0], q.shape[1], q.shape[2])
    let keys = k.shape[1]
    precondition(k.shape[0] == batch && k.shape[2] == hidden, "query \(q.shape) and key \(k.shape) disagree")
    precondition(heads > 0 && hidden % heads == 0, "hidden size \(hidden) is not a multiple of \(heads) heads")
    if let mask { precondition(mask.shape == [batch, keys], "mask \(mask.shape) must be [\(batch), \(keys)]") }
    precondition(probability >= 0 && probability <= 1, "dropout probability \(probability) is outside [0, 1]")
    if let causalOffset {
        precondition(causalOffset >= 0 && causalOffset + queries == keys, "causal offset \(causalOffset) for \(queries) queries and \(keys) keys")
    }

    let geometry = AttentionGeometry(
        batch: batch, heads: heads, queries: queries, keys: keys, hidden: hidden, headSize: hidden / heads,
        causalOffset: causalOffset)
    let recording = Variable.isRecording(query, key, value)
    let maskBias = mask.map { mask in
        mask.mapped { m, out, n in
            for i in 0..<n { out[i] = m[i] == 0 ? -Float.greatestFiniteMagnitude : 0 }
        }
    }
    let dropMask = probability > 0
        ? Tensor.dropoutMask([batch, heads, queries, keys], probability: probability, generator: &generator)
        : nil
    // The attention weights before dropout are kept for backward when recording.
    let (output, weights) = geometry.forward(
        q: q, k: k, v: v, maskBias: maskBias, dropMask: dropMask, keepWeights: recording)
    return Variable.result(output, inputs: [query, key, value]) { gradient in
        guard let weights else { return [nil, nil, nil] }
        let (dq, dk, dv) = geometry.backward(
            gradient: gradient, q: q, k: k, v: v, weights: weights, dropMask: dropMask,
            need: (query.requiresGrad, key.requiresGrad, value.requiresGrad))
        return [dq, dk, dv]
    }
}

/// Sizes and kernels of one attention call.
private struct AttentionGeometry {
    let batch, heads, queries, keys, hidden, headSize: Int
    /// Query `i` sees keys `0...causalOffset + i`; `nil` sees all keys.
    let causalOffset: Int?

    var scale: Float { 1 / Float(headSize).squareRoot() }
    var pairCount: Int { batch * heads }

    /// Offset of head `pair % heads` of batch item `pair / heads` in a `[batch, length, hidden]` tensor.
    func headOffset(_ pair: Int, length: Int) -> Int {
        (pair / heads) * length * hidden + (pair % heads) * headSize
    }

    /// The attention output and, with `keepWeights`, the attention weights before dropout.
    func forward(q: Tensor, k: Tensor, v: Tensor, maskBias: Tensor?, dropMask: Tensor?, keepWeights: Bool)
        -> (Tensor, Tensor?)
    {
        let block = queries * keys
        var saved = Tensor.zeros(keepWeights ? [batch, heads, queries, keys] : [0])
        let output = Tensor(shape: [batch, queries, hidden]) { out in
            q.withUnsafeBufferPointer { pq in
                k.withUnsafeBufferPointer { pk in
                    v.withUnsafeBufferPointer { pv in
                        saved.withUnsafeMutableBufferPointer { pSaved in
                            guard let qs = pq.baseAddress, let ks = pk.baseAddress, let vs = pv.baseAddress,
                                let os = out.baseAddress
                            else { return }
                            let savedBase = keepWeights ? pSaved.baseAddress : nil
                            Parallel.forEachRange(pairCount, grain: 1) { range in
                                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * block)
                                defer { scratch.deallocate() }
                                for pair in range {
                                    let p = savedBase.map { $0 + pair * block } ?? scratch
                                    let qOffset = headOffset(pair, length: queries)
                                    let kOffset = headOffset(pair, length: keys)
                                    BLAS.gemm(
                                        transposeA: false, transposeB: true, m: queries, n: keys, k: headSize,
                                        alpha: scale, a: qs + qOffset, lda: hidden, b: ks + kOffset, ldb: hidden,
                                        c: p, ldc: keys, parallel: false)
                                    maskBias?.withUnsafeBufferPointer { pb in
                                        guard let bias = pb.baseAddress.map({ $0 + (pair / heads) * keys }) else { return }
                                        for row in 0..<queries {
                                            let r = p + row * keys
                                            for j in 0..<keys { r[j] += bias[j] }
                                        }
                                    }
                                    if let causalOffset {
                                        // Hidden keys get weight 0; backward then sends them no gradient.
                                        for row in 0..<queries {
                                            let visible = Swift.min(keys, causalOffset + row + 1)
                                            RowKernels.softmax(p + row * keys, visible)
                                            (p + row * keys + visible).update(repeating: 0, count: keys - visible)
                                        }
                                    } else {
                                        for row in 0..<queries { RowKernels.softmax(p + row * keys, keys) }
                                    }
                                    var used = UnsafePointer(p)
                                    dropMask?.withUnsafeBufferPointer { pm in
                                        guard let m = pm.baseAddress.map({ $0 + pair * block }) else { return }
                                        let dropped = scratch + block
                                        for i in 0..<block { dropped[i] = p[i] * m[i] }
                                        used = UnsafePointer(dropped)
                                    }
                                    BLAS.gemm(
                                        transposeA: false, transposeB: false, m: queries, n: headSize, k: keys,
                                        a: used, lda: keys, b: vs + kOffset, ldb: hidden,
                                        c: os + qOffset, ldc: hidden, parallel: false)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (output, keepWeights ? saved : nil)
    }

    func backward(
        gradient: Tensor, q: Tensor, k: Tensor, v: Tensor, weights: Tensor, dropMask: Tensor?,
        need: (query: Bool, key: Bool, value: Bool)
    ) -> (Tensor?, Tensor?, Tensor?) {
        let block = queries * keys
        var dq = Tensor.zeros(need.query ? q.shape : [0])
        var dk = Tensor.zeros(need.key ? k.shape : [0])
        var dv = Tensor.zeros(need.value ? v.shape : [0])
        gradient.withUnsafeBufferPointer { pg in
            q.withUnsafeBufferPointer { pq in
                k.withUnsafeBufferPointer { pk in
                    v.withUnsafeBufferPointer { pv in
                        weights.withUnsafeBufferPointer { pw in
                            dq.withUnsafeMutableBufferPointer { pdq in
                                dk.withUnsafeMutableBufferPointer { pdk in
                                    dv.withUnsafeMutableBufferPointer { pdv in
                                        guard let gs = pg.baseAddress, let qs = pq.baseAddress,
                                            let ks = pk.baseAddress, let vs = pv.baseAddress,
                                            let ws = pw.baseAddress
                                        else { return }
                                        let dqs = need.query ? pdq.baseAddress : nil
                                        let dks = need.key ? pdk.baseAddress : nil
                                        let dvs = need.value ? pdv.baseAddress : nil
                                        Parallel.forEachRange(pairCount, grain: 1) { range in
                                            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * block)
                                            defer { scratch.deallocate() }
                                            for pair in range {
                                                backwardPair(
                                                    pair, gs: gs, qs: qs, ks: ks, vs: vs, ws: ws + pair * block,
                                                    dropMask: dropMask, dqs: dqs, dks: dks, dvs: dvs, scratch: scratch)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (need.query ? dq : nil, need.key ? dk : nil, need.value ? dv : nil)
    }

    /// The gradients of one (batch item, head) pair; `scratch` holds `2 * queries * keys` floats.
    private func backwardPair(
        _ pair: Int, gs: UnsafePointer<Float>, qs: UnsafePointer<Float>, ks: UnsafePointer<Float>,
        vs: UnsafePointer<Float>, ws: UnsafePointer<Float>, dropMask: Tensor?,
        dqs: UnsafeMutablePointer<Float>?, dks: UnsafeMutablePointer<Float>?, dvs: UnsafeMutablePointer<Float>?,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let block = queries * keys
        let qOffset = headOffset(pair, length: queries)
        let kOffset = headOffset(pair, length: keys)
        let dWeights = scratch, dropped = scratch + block
        // dP = dO Vᵀ (gradient of the weights after dropout).
        BLAS.gemm(
            transposeA: false, transposeB: true, m: queries, n: keys, k: headSize,
            a: gs + qOffset, lda: hidden, b: vs + kOffset, ldb: hidden, c: dWeights, ldc: keys, parallel: false)
        var used = ws
        dropMask?.withUnsafeBufferPointer { pm in
            guard let m = pm.baseAddress.map({ $0 + pair * block }) else { return }
            for i in 0..<block {
                dropped[i] = ws[i] * m[i]
                dWeights[i] *= m[i]
            }
            used = UnsafePointer(dropped)
        }
        // dV = Pᵀ dO.
        if let dvs {
            BLAS.gemm(
                transposeA: true, transposeB: false, m: keys, n: headSize, k: queries,
                a: used, lda: keys, b: gs + qOffset, ldb: hidden, c: dvs + kOffset, ldc: hidden, parallel: false)
        }
        guard dqs != nil || dks != nil else { return }
        // dS = P * (dP - Σ dP P), row by row; the mask bias is constant.
        for row in 0..<queries {
            RowKernels.softmaxBackward(dWeights + row * keys, ws + row * keys, keys)
        }
        // dQ = scale dS K, dK = scale dSᵀ Q.
        if let dqs {
            BLAS.gemm(
                transposeA: false, transposeB: false, m: queries, n: headSize, k: keys, alpha: scale,
                a: dWeights, lda: keys, b: ks + kOffset, ldb: hidden, c: dqs + qOffset, ldc: hidden, parallel: false)
        }
        if let dks {
            BLAS.gemm(
                transposeA: true, transposeB: false, m: keys, n: headSize, k: queries, alpha: scale,
                a: dWeights, lda: keys, b: qs + qOffset, ldb: hidden, c: dks + kOffset, ldc: hidden, parallel: false)
        }
    }
}
