import Foundation

/// The mean cross-entropy between logits and class labels, as PyTorch's `F.cross_entropy`
/// (mean reduction): `-(1/N) Σ_n log softmax(logits[n])[labels[n]]`, computed with a stable
/// log-sum-exp.
///
/// - Parameters:
///   - logits: `[N, classes]`.
///   - labels: `N` class indices.
/// - Returns: a one-element variable of shape `[]`.
/// - Throws: ``ModelInputError`` when the label count differs from `N` or a label is out of range.
public func crossEntropy(logits: Variable, labels: [Int]) throws(ModelInputError) -> Variable {
    precondition(logits.value.rank == 2, "cross-entropy needs [N, classes] logits, got \(logits.shape)")
    let (rows, classes) = (logits.shape[0], logits.shape[1])
    guard labels.count == rows else {
        throw ModelInputError(reason: .countMismatch(field: "labels", expected: rows, actual: labels.count))
    }
    try ModelInputError.checkIndices(labels, field: "labels", limit: classes)
    guard rows > 0 else { return Variable(Tensor(0)) }
    // Softmax of each row, kept for backward, and the loss in Double.
    var probabilities = logits.value
    var total = 0.0
    probabilities.withUnsafeMutableBufferPointer { buffer in
        guard let p = buffer.baseAddress else { return }
        for row in 0..<rows {
            let r = p + row * classes
            let maximum = FastMath.max(r, classes)
            var sum = 0.0
            for i in 0..<classes { sum += Double(FastMath.exp(r[i] - maximum)) }
            let logSumExp = Double(maximum) + Foundation.log(sum)
            total += logSumExp - Double(r[labels[row]])
            RowKernels.softmax(r, classes)
        }
    }
    let loss = Tensor(Float(total / Double(rows)))
    return Variable.result(loss, inputs: [logits]) { gradient in
        // d loss / d logits = (softmax - onehot) / N
        var dx = probabilities
        let factor = gradient.scalar / Float(rows)
        dx.withUnsafeMutableBufferPointer { buffer in
            guard let p = buffer.baseAddress else { return }
            for row in 0..<rows { p[row * classes + labels[row]] -= 1 }
            for i in 0..<(rows * classes) { p[i] *= factor }
        }
        return [dx]
    }
}

/// The fraction of rows of `logits` (`[N, classes]`) whose largest entry is at the label.
public func accuracy(logits: Tensor, labels: [Int]) -> Float {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count, "accuracy needs [N, classes] and N labels")
    let classes = logits.shape[1]
    guard !labels.isEmpty, classes > 0 else { return 0 }
    var correct = 0
    logits.withUnsafeBufferPointer { p in
        for (row, label) in labels.enumerated() {
            let r = p[(row * classes)..<((row + 1) * classes)]
            if r.indices.max(by: { r[$0] < r[$1] }) == row * classes + label { correct += 1 }
        }
    }
    return Float(correct) / Float(labels.count)
}
