import Foundation

/// Runs jobs on a few threads of their own (transfers wait on the network and the disk, so
/// more of them than cores pays off). Each thread makes its own context once (e.g. a
/// registry connection with its libcurl handle) and reuses it for every job it takes.
///
/// The first job to fail cancels the rest: queued jobs are skipped, and running ones see
/// ``Cancellation/isCancelled`` and stop at their next chunk. That first error is rethrown.
enum WorkerPool {
    static func run<Job: Sendable, Context>(
        _ jobs: [Job], threads: Int, cancellation: Cancellation,
        makeContext: @escaping @Sendable () throws(RemoteError) -> Context,
        _ body: @escaping @Sendable (Job, Context) throws(RemoteError) -> Void
    ) throws(RemoteError) {
        guard !jobs.isEmpty else { return }
        let state = PoolState()
        let count = max(1, min(threads, jobs.count))
        let group = DispatchGroup()
        for _ in 0..<count {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                var context: Context?
                while let index = state.next(limit: jobs.count), !cancellation.isCancelled {
                    do throws(RemoteError) {
                        if context == nil { context = try makeContext() }
                        guard let context else { return }
                        try body(jobs[index], context)
                    } catch {
                        state.fail(error)
                        cancellation.cancel()
                        return
                    }
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        if let error = state.error { throw error }
    }
}

/// The next job index and the first error, shared by the pool's threads.
private final class PoolState: @unchecked Sendable {
    private let lock = NSLock()
    private var index = 0
    private(set) var error: RemoteError?

    func next(limit: Int) -> Int? {
        lock.withLock {
            guard index < limit else { return nil }
            defer { index += 1 }
            return index
        }
    }

    func fail(_ error: RemoteError) {
        lock.withLock {
            if self.error == nil || self.error == Cancellation.error { self.error = error }
        }
    }
}
