import Dispatch
import Foundation

/// Splits loops over the machine's cores.
///
/// Work is cut into one contiguous range per worker; small loops run inline on the caller's
/// thread, because waking a worker costs a few microseconds.
enum Parallel {
    /// The number of workers: the active cores, at most 16.
    static let workerCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 16))

    /// Calls `body` on disjoint ranges covering `0..<count`, in parallel when each worker gets at
    /// least `grain` items.
    ///
    /// `body` must only write to memory that belongs to its range.
    static func forEachRange(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(workerCount, count / max(grain, 1))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        concurrentPerform(chunks) { chunk in
            body((count * chunk / chunks)..<(count * (chunk + 1) / chunks))
        }
    }

    /// The ranges `forEachRange` would use, in order; for reductions with per-range partial results.
    static func ranges(_ count: Int, grain: Int) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let chunks = max(1, min(workerCount, count / max(grain, 1)))
        return (0..<chunks).map { chunk in (count * chunk / chunks)..<(count * (chunk + 1) / chunks) }
    }

    /// Runs `body(i)` for every `i` in `0..<count` in parallel, one call per index.
    static func forEachIndex(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 {
            body(0)
        } else if count > 1 {
            concurrentPerform(count, body)
        }
    }

    /// `DispatchQueue.concurrentPerform` for a closure that is not `Sendable`.
    ///
    /// The kernels here hand each iteration raw pointers to disjoint parts of their buffers and
    /// return only after every iteration has finished, which is what makes the capture safe.
    private static func concurrentPerform(_ iterations: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            let box = UncheckedSendableBox(escapable)
            DispatchQueue.concurrentPerform(iterations: iterations) { box.value($0) }
        }
    }

    /// Grain for cheap elementwise loops (an add or a multiply per element).
    static let elementwiseGrain = 1 << 15
    /// Grain for elementwise loops with a transcendental function per element.
    static let transcendentalGrain = 1 << 12
}

/// Carries a value into a `@Sendable` closure; see ``Parallel``.
private struct UncheckedSendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
