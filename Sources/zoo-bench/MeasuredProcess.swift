#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ZooFormat

/// Runs a program to completion with posix_spawn and measures it from the outside: wall time and
/// the child's own peak resident memory, so a transfer's memory is not mixed with what the
/// benchmark process allocated to generate the model.
///
/// The peak is the child's `VmHWM` (/proc/PID/status), sampled every 10 ms while it runs, not
/// wait4's ru_maxrss: Linux carries the high-water mark of the memory a child was spawned from
/// across exec, so ru_maxrss would report the benchmark's own peak.
struct MeasuredProcess {
    var output: String
    var seconds: Double
    var peakResidentBytes: Int

    /// Runs `path` with `arguments`; stdout is captured, stderr goes to ours. Throws when the
    /// program fails.
    static func run(_ path: String, _ arguments: [String]) throws(BenchError) -> MeasuredProcess {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .io(IOError(call: "pipe", path: path, errno: errno)) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        let start = Timing.now()
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        close(writeEnd)
        guard status == 0 else {
            close(readEnd)
            throw .peer(program: path, reason: "could not start: \(String(cString: strerror(status)))")
        }
        let sampler = PeakSampler(pid: pid)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count > 0 { bytes += buffer.prefix(count); continue }
            if count == -1 && errno == EINTR { continue }
            break
        }
        close(readEnd)
        // Sample once more while the (possibly exited, not yet reaped) child's status is readable.
        sampler.sample()
        var exit: Int32 = 0
        while waitpid(pid, &exit, 0) == -1 {
            guard errno == EINTR else { throw .io(IOError(call: "waitpid", path: path, errno: errno)) }
        }
        let seconds = Timing.now() - start
        let peak = sampler.stop()
        let signal = exit & 0x7f
        let code = (exit >> 8) & 0xff
        guard signal == 0, code == 0 else {
            throw .peer(program: path + " " + arguments.prefix(3).joined(separator: " "),
                        reason: signal == 0 ? "failed (exit status \(code))" : "killed by signal \(signal)")
        }
        return MeasuredProcess(output: String(decoding: bytes, as: UTF8.self), seconds: seconds, peakResidentBytes: peak)
    }
}

/// Samples a process's `VmHWM` on a thread of its own until stopped.
private final class PeakSampler: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    private var running = true
    private var peak = 0
    private let done = DispatchSemaphore(value: 0)

    init(pid: pid_t) {
        path = "/proc/\(pid)/status"
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                sample()
                usleep(10_000)
            }
            done.signal()
        }
        thread.start()
    }

    /// Reads `VmHWM` once (kB) and keeps the largest value seen.
    func sample() {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return }
        lock.withLock { peak = max(peak, kilobytes * 1024) }
    }

    /// Stops sampling and returns the peak in bytes.
    func stop() -> Int {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { peak }
    }
}
