import Foundation
import TrainingCore

/// The training and evaluation loops the examples share.
enum Training {
    /// Rows `indices` of a `[n, features]` tensor.
    static func rows(_ tensor: Tensor, _ indices: [Int]) -> Tensor {
        let width = tensor.shape[1]
        var scalars = [Float]()
        scalars.reserveCapacity(indices.count * width)
        tensor.withUnsafeBufferPointer { all in
            for index in indices { scalars += all[(index * width)..<((index + 1) * width)] }
        }
        return Tensor(shape: [indices.count, width], scalars: scalars)
    }

    /// `steps` optimiser steps of cross-entropy on minibatches of `batchSize` (a fresh seeded
    /// shuffle every epoch; the whole set when it is smaller). Returns the last step's loss.
    @discardableResult
    static func fit<Model: Module & UnaryLayer, State>(
        _ model: Model, optimizer: Optimizer<State>, inputs: Tensor, labels: [Int], steps: Int, batchSize: Int,
        seed: UInt64
    ) throws -> Float {
        var generator = SeededGenerator(seed: seed)
        var order: [Int] = []
        var loss: Float = .nan
        model.train()
        for _ in 0..<steps {
            if order.count < min(batchSize, labels.count) { order += Array(labels.indices).shuffled(using: &generator) }
            let batch = Array(order.prefix(batchSize))
            order.removeFirst(batch.count)
            optimizer.zeroGrad()
            let objective = try crossEntropy(logits: model(Variable(rows(inputs, batch))), labels: batch.map { labels[$0] })
            objective.backward()
            optimizer.step()
            loss = objective.value.scalar
        }
        model.eval()
        return loss
    }

    /// The fraction of `inputs` classified as `labels`.
    static func accuracy<Model: Module & UnaryLayer>(_ model: Model, inputs: Tensor, labels: [Int]) -> Float {
        model.eval()
        let logits = withNoGrad { model(Variable(inputs)).value }
        return TrainingCore.accuracy(logits: logits, labels: labels)
    }

    /// Runs `body` and returns its result with the seconds it took.
    static func timed<R>(_ body: () throws -> R) rethrows -> (R, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// `0.934` as `93.4%`.
    static func percent(_ value: Float) -> String {
        String(format: "%.1f%%", Double(value) * 100)
    }

    /// Seconds with two decimals, `0.42 s`.
    static func seconds(_ value: Double) -> String {
        String(format: "%.2f s", value)
    }

    /// A byte count for people: `167.2 KB`, `88.1 MB` (powers of 1000).
    static func bytes(_ count: Int) -> String {
        let value = Double(count)
        if value < 1e3 { return "\(count) B" }
        if value < 1e6 { return String(format: "%.1f KB", value / 1e3) }
        if value < 1e9 { return String(format: "%.1f MB", value / 1e6) }
        return String(format: "%.2f GB", value / 1e9)
    }
}
