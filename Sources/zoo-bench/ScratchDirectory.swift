#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import ZooFormat

/// The benchmark's scratch folder: a fresh `zoo-bench.XXXXXX` (mkdtemp) inside the chosen parent,
/// holding several GiB while the benchmark runs, removed at exit and on SIGINT / SIGTERM.
final class ScratchDirectory: @unchecked Sendable {
    let path: String
    private var signalSources: [DispatchSourceSignal] = []

    /// Makes the folder inside `parent`, else `$TMPDIR`, else `/tmp`.
    init(parent: String?) throws(BenchError) {
        let base = parent ?? Environment.value("TMPDIR") ?? "/tmp"
        var template = Array((base + "/zoo-bench.XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
        guard let made else { throw .io(IOError(call: "mkdtemp", path: base, errno: errno)) }
        path = made
    }

    /// Removes the folder when the process is interrupted, then exits with the usual 128 + signal.
    ///
    /// libdispatch on Linux receives signals through a signalfd, which only sees a signal that is
    /// blocked (an ignored one is discarded), so the signals are blocked here, in the main thread,
    /// before any worker thread exists (threads inherit the mask; ``Subprocess`` resets it for
    /// children so that Ctrl-C still stops them).
    func removeOnSignals() {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        for number in [SIGINT, SIGTERM] { sigaddset(&blocked, number) }
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        for number in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let path = self.path
            source.setEventHandler {
                try? FileSystem.removeTree(path)
                Console.diagnostic("zoo-bench: interrupted; removed \(path)")
                exit(128 + number)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    /// Removes the folder and everything in it.
    func remove() {
        do { try FileSystem.removeTree(path) } catch {
            Console.diagnostic("zoo-bench: could not remove \(path): \(error)")
        }
    }
}
