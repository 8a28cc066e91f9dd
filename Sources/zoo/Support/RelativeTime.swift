#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Times for tables ("3 minutes ago", as docker and Ollama print them) and for JSON (ISO 8601, UTC).
enum RelativeTime {
    /// `just now`, `1 minute ago`, `5 hours ago`, `3 days ago`; older than two weeks, or in the
    /// future (a clock that moved back), the UTC date `2026-11-02`.
    static func text(_ seconds: Int, now: Int) -> String {
        let age = now - seconds
        func ago(_ count: Int, _ unit: String) -> String { "\(count) \(unit)\(count == 1 ? "" : "s") ago" }
        switch age {
        case ..<(-60): return String(iso8601(seconds).prefix(10))
        case ..<60: return "just now"
        case ..<3600: return ago(age / 60, "minute")
        case ..<86_400: return ago(age / 3600, "hour")
        case ..<(14 * 86_400): return ago(age / 86_400, "day")
        default: return String(iso8601(seconds).prefix(10))
        }
    }

    /// `2026-12-03T14:20:05Z`.
    static func iso8601(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "1970-01-01T00:00:00Z" }
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
