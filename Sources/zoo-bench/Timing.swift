#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock timing on the monotonic clock.
enum Timing {
    /// Seconds since an arbitrary fixed point.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Runs `body` once and returns its result and how long it took, in seconds.
    static func measure<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> (value: T, seconds: Double) {
        let start = now()
        let value = try body()
        return (value, now() - start)
    }

    /// Seconds per call of `body`, averaged over `repeats` calls: for operations far shorter than
    /// the clock's jitter (opening a checkpoint takes well under a millisecond).
    static func perCall<E: Error>(repeats: Int, _ body: () throws(E) -> Void) throws(E) -> Double {
        let start = now()
        for _ in 0..<repeats { try body() }
        return (now() - start) / Double(repeats)
    }
}

/// The timings of one measurement, one per run. The report uses the median: on a shared machine a
/// single run can be hit by someone else's compile, and the median ignores one outlier of three.
struct Samples: Sendable {
    var seconds: [Double]

    init(_ seconds: [Double]) { self.seconds = seconds }

    var median: Double {
        let sorted = seconds.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    var minimum: Double { seconds.min() ?? .nan }
    var maximum: Double { seconds.max() ?? .nan }

    /// Runs `body` `runs` times, timing each.
    static func collect<E: Error>(runs: Int, _ body: (_ run: Int) throws(E) -> Double) throws(E) -> Samples {
        var seconds: [Double] = []
        for run in 0..<runs { seconds.append(try body(run)) }
        return Samples(seconds)
    }
}
