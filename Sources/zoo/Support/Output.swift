import Foundation
import ZooFormat

/// What a command says, as `-q`/`--quiet` and `-v`/`--verbose` ask (``GlobalOptions/output``).
///
/// Results go to standard output and diagnostics to standard error. Quiet drops progress bars
/// and informational notes (errors and warnings still print) and makes a command that prints a
/// result line print only its identifier (``result(_:quiet:)``), as `docker pull -q` does.
/// Verbose adds detail lines: the files an import stored, the bytes an export wrote, the time the
/// command took (``ZooMain``). Passed by value from the parsed options: there is no process-wide
/// verbosity.
///
/// ```swift
/// let out = global.output
/// out.note("Reclaimed 12 MB of interrupted imports")     // not with -q
/// out.detail("read pytorch_model.bin (4.2 MB)")         // only with -v
/// out.result("Imported bert:latest \(digest)", quiet: digest.description)
/// ```
struct Output: Sendable {
    enum Level: Int, Comparable, Sendable {
        case quiet, normal, verbose
        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    var level: Level
    /// When the command started, for the timings verbose prints.
    var start = Date()

    init(level: Level = .normal) {
        self.level = level
    }

    var isQuiet: Bool { level == .quiet }
    var isVerbose: Bool { level == .verbose }

    /// Whether progress bars are drawn: standard error is a terminal and `-q` was not given.
    var showsProgress: Bool { level != .quiet && Terminal.stderrIsTerminal }

    /// An informational line on standard error (what was reclaimed, what was not imported); not with `-q`.
    func note(_ text: String) {
        if level >= .normal { Terminal.writeError(text) }
    }

    /// A detail line on standard error, only with `-v`.
    func detail(_ text: String) {
        if level >= .verbose { Terminal.writeError(text) }
    }

    /// `-v`: one line per file of `manifest` (shards, then assets) with its size.
    func detailFiles(of manifest: Manifest) {
        guard level >= .verbose else { return }
        for file in manifest.shards + manifest.assets { detail("  \(file.path) \(Formatting.bytes(file.length))") }
    }

    /// `-v`: `what` and the seconds since the command started, on standard error.
    func timing(_ what: String) {
        guard level >= .verbose else { return }
        detail("\(what) in " + Formatting.seconds(Date().timeIntervalSince(start)))
    }

    /// A warning on standard error: printed whatever the level (it says something went
    /// differently than asked, as an error does).
    func warning(_ text: String) {
        Terminal.writeError("warning: " + text)
    }

    /// A command's result line on standard output: `full`, or with `-q` only `quiet` (the
    /// identifier a script wants: a digest, a reference, a path); nothing when `quiet` is nil.
    func result(_ full: String, quiet: String?) {
        if level == .quiet {
            if let quiet { print(quiet) }
        } else {
            print(full)
        }
    }

    /// A progress bar drawn only when ``showsProgress``.
    func progressBar(label: String, total: Int?) -> ProgressBar {
        ProgressBar(label: label, total: total, enabled: showsProgress)
    }

    /// A transfer progress line drawn only when ``showsProgress``.
    func transferProgress(label: String) -> TransferProgress {
        TransferProgress(label: label, enabled: showsProgress)
    }
}
