import Foundation
import ZooFormat

/// A one-line progress bar on standard error: bytes done (of the total, when known) and rate.
/// Drawn only when standard error is a terminal; otherwise every call is a no-op, so output
/// piped to a file or a test stays clean. Safe to update from several threads.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let total: Int?
    let enabled: Bool
    private let lock = NSLock()
    private var done = 0
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    /// A bar for `total` bytes (`nil`: unknown, no percentage); `enabled` defaults to
    /// "standard error is a terminal".
    init(label: String, total: Int?, enabled: Bool = Terminal.stderrIsTerminal) {
        self.label = label
        self.total = total.map { max(0, $0) }
        self.enabled = enabled && total != 0
    }

    /// The callback to hand to a library call: adds the bytes just processed.
    var callback: (@Sendable (Int) -> Void)? {
        guard enabled else { return nil }
        return { [self] count in self.update { $0 += count } }
    }

    /// Sets the bytes done so far (for progress measured from outside, see ``watch(_:)``).
    func set(_ count: Int) {
        update { $0 = count }
    }

    /// Erases the bar.
    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if drawn { Terminal.writeErrorRaw("\r\u{1B}[K") }
        drawn = false
    }

    /// Polls the bytes of every file under `directory` while a library call that reports no
    /// progress writes there, and shows them. Stop it with ``DirectoryWatch/stop()``.
    func watch(_ directory: String) -> DirectoryWatch {
        DirectoryWatch(directory: directory, bar: self)
    }

    private func update(_ change: (inout Int) -> Void) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        change(&done)
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        draw(now: now)
    }

    private func draw(now: Date) {
        let seconds = max(now.timeIntervalSince(start), 0.001)
        let rate = Formatting.bytes(Int(Double(done) / seconds)) + "/s"
        guard let total else {
            Terminal.writeErrorRaw("\r\u{1B}[K\(label) \(Formatting.bytes(done)) \(rate)")
            drawn = true
            return
        }
        let fraction = min(1, Double(done) / Double(max(1, total)))
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        Terminal.writeErrorRaw("\r\u{1B}[K\(label) [\(bar)] \(Int(fraction * 100))% "
            + "\(Formatting.bytes(min(done, total))) / \(Formatting.bytes(total)) \(rate)")
        drawn = true
    }
}

/// A background thread that sums the sizes of the files under a directory five times a second.
final class DirectoryWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private let finished = DispatchSemaphore(value: 0)

    fileprivate init(directory: String, bar: ProgressBar) {
        guard bar.enabled else {
            running = false
            finished.signal()
            return
        }
        let thread = Thread { [self] in
            while isRunning {
                bar.set(Self.byteCount(under: directory))
                usleep(200_000)
            }
            finished.signal()
        }
        thread.start()
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Stops polling and waits for the thread to end.
    func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        if wasRunning { finished.wait() }
    }

    private static func byteCount(under directory: String) -> Int {
        var total = 0
        for name in (try? FileSystem.listDirectory(directory)) ?? [] {
            let path = directory + "/" + name
            switch FileSystem.kind(of: path) {
            case .directory: total += byteCount(under: path)
            case .regular: total += (try? FileSystem.fileSize(path)) ?? 0
            default: break
            }
        }
        return total
    }
}
