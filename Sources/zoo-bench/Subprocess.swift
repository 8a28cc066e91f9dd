#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ZooFormat

/// Runs a peer program (Python, OpenSSL) with posix_spawn: its stdout is captured, its stderr goes
/// straight to ours.
///
/// Not Foundation's `Process`: on Linux its `waitUntilExit()` polls the run loop every 50 ms, which
/// showed up as +50 ms on every timed `openssl` run.
final class Subprocess {
    let program: String
    private let pid: pid_t
    private let output: Int32  // read end of the child's stdout

    /// Starts `executable` (a path, or a name looked up on `$PATH`) with `arguments`.
    init(_ executable: String, _ arguments: [String]) throws(BenchError) {
        guard let path = Self.locate(executable) else {
            throw .peer(program: executable, reason: "not found (looked on PATH: \(Environment.value("PATH") ?? ""))")
        }
        program = executable
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .io(IOError(call: "pipe", path: executable, errno: errno)) }
        let (readEnd, writeEnd) = (fds[0], fds[1])

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // The child starts with no signal blocked (see ScratchDirectory.removeOnSignals).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        var child: pid_t = 0
        let status = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        close(writeEnd)
        guard status == 0 else {
            close(readEnd)
            throw .peer(program: executable, reason: "could not start: \(String(cString: strerror(status)))")
        }
        pid = child
        output = readEnd
    }

    /// Reads the program's stdout to its end and waits for it; throws when it failed.
    func finish() throws(BenchError) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count > 0 { bytes += buffer.prefix(count); continue }
            if count == -1 && errno == EINTR { continue }
            break
        }
        close(output)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw .io(IOError(call: "waitpid", path: program, errno: errno)) }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
        let signal = status & 0x7f
        let exitStatus = (status >> 8) & 0xff
        guard signal == 0, exitStatus == 0 else {
            throw .peer(program: program, reason: signal == 0 ? "failed (exit status \(exitStatus))" : "killed by signal \(signal)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs a program to completion and returns its stdout.
    static func run(_ executable: String, _ arguments: [String]) throws(BenchError) -> String {
        try Subprocess(executable, arguments).finish()
    }

    /// `name` itself when it contains a slash, else the first executable `name` on `$PATH`.
    static func locate(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let directories = (Environment.value("PATH") ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }
}
