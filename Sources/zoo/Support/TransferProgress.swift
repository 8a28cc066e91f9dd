import Foundation
import ZooRemote

/// The one progress line of a pull or push on standard error: bytes done of the total, rate and
/// time left, fed by every transfer thread at once. Drawn only when standard error is a
/// terminal, at most ten times a second; otherwise silent.
final class TransferProgress: @unchecked Sendable {
    private let label: String
    private let enabled: Bool
    private let lock = NSLock()
    private var total = 0
    private var done = 0
    private var start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(label: String, enabled: Bool = Terminal.stderrIsTerminal) {
        self.label = label
        self.enabled = enabled
    }

    /// The callbacks to hand to ``RemoteClient``; `nil` when nothing is drawn.
    var observer: TransferObserver? {
        guard enabled else { return nil }
        return TransferObserver(
            started: { [self] total in
                lock.withLock {
                    self.total = total
                    start = Date()
                }
            },
            advanced: { [self] count in
                lock.withLock {
                    done += count
                    let now = Date()
                    guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
                    lastDraw = now
                    draw(now: now)
                }
            })
    }

    /// Erases the line.
    func finish() {
        guard enabled else { return }
        lock.withLock {
            if drawn { Terminal.writeErrorRaw("\r\u{1B}[K") }
            drawn = false
        }
    }

    private func draw(now: Date) {
        let seconds = max(now.timeIntervalSince(start), 0.001)
        let shown = min(done, total)
        let rate = Double(shown) / seconds
        let fraction = total > 0 ? Double(shown) / Double(total) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        var line = "\(label) [\(bar)] \(Int(fraction * 100))% \(Formatting.bytes(shown)) / \(Formatting.bytes(total)) "
            + "\(Formatting.bytes(Int(rate)))/s"
        if rate > 0, shown < total {
            let left = Int(Double(total - shown) / rate)
            line += " ETA " + (left >= 60 ? "\(left / 60)m\(String(format: "%02d", left % 60))s" : "\(left)s")
        }
        Terminal.writeErrorRaw("\r\u{1B}[K" + line)
        drawn = true
    }
}
