import Foundation
import ZooFormat

/// A measured quantity: a median of timed runs, or a single value (a throughput, a size).
struct Figure {
    enum Unit: String { case seconds, bytesPerSecond = "bytes/s", bytes, count, fraction }

    var value: Double
    var unit: Unit
    /// The runs behind a median, when there were several.
    var samples: Samples?
    /// Bytes processed, to show a throughput next to a time.
    var bytes: Int?

    static func time(_ samples: Samples, bytes: Int? = nil) -> Figure {
        Figure(value: samples.median, unit: .seconds, samples: samples, bytes: bytes)
    }

    /// A throughput from timed runs over `bytes` bytes each (the median run's rate).
    static func throughput(_ samples: Samples, bytes: Int) -> Figure {
        Figure(value: Double(bytes) / samples.median, unit: .bytesPerSecond, samples: samples, bytes: bytes)
    }

    static func size(_ bytes: Int) -> Figure { Figure(value: Double(bytes), unit: .bytes) }

    /// A number of things (shards, files).
    static func count(_ n: Int) -> Figure { Figure(value: Double(n), unit: .count) }

    /// A share between 0 and 1, shown as a percentage.
    static func fraction(_ x: Double) -> Figure { Figure(value: x, unit: .fraction) }

    var text: String {
        switch unit {
        case .seconds:
            let time = Self.duration(value)
            guard let bytes, value > 0 else { return time }
            return "\(time) (\(Self.rate(Double(bytes) / value)))"
        case .bytesPerSecond: return Self.rate(value)
        case .bytes: return Self.byteSize(value)
        case .count: return String(Int(value))
        case .fraction: return Self.fixed(value * 100, digits: value >= 0.1 ? 1 : 2) + "%"
        }
    }

    static func duration(_ seconds: Double) -> String {
        switch seconds {
        case ..<1e-3: format(seconds * 1e6, "µs")
        case ..<1: format(seconds * 1e3, "ms")
        default: format(seconds, "s")
        }
    }

    /// Decimal GB/s (1 GB = 10^9 bytes), as disk and hash speeds are usually quoted.
    static func rate(_ bytesPerSecond: Double) -> String { format(bytesPerSecond / 1e9, "GB/s") }

    static func byteSize(_ bytes: Double) -> String {
        bytes >= Double(1 << 30) ? format(bytes / Double(1 << 30), "GiB") : format(bytes / Double(1 << 20), "MiB")
    }

    /// Three significant digits.
    static func format(_ value: Double, _ unit: String) -> String {
        let digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
        return fixed(value, digits: digits) + " " + unit
    }

    static func fixed(_ value: Double, digits: Int) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "n/a"
    }
}

/// A goal for zoo / peer: at most (times, memory) or at least (throughputs).
enum Target {
    case atMost(Double)
    case atLeast(Double)

    func isMet(by ratio: Double) -> Bool {
        switch self {
        case let .atMost(limit): ratio <= limit
        case let .atLeast(limit): ratio >= limit
        }
    }

    var text: String {
        switch self {
        case let .atMost(limit): "<= " + Figure.fixed(limit, digits: 2)
        case let .atLeast(limit): ">= " + Figure.fixed(limit, digits: 2)
        }
    }
}

/// One line of the results table: zoo's figure, the peer's, their ratio (zoo / peer) and the target.
struct Row {
    var operation: String
    var zoo: Figure
    /// What the peer column holds (e.g. `safe_open`, `openssl x2`).
    var peerName: String
    var peer: Figure?
    var target: Target?

    var ratio: Double? { peer.map { zoo.value / $0.value } }

    /// "PASS" / "MISS" against the target, "info" for rows without one, "skipped" without a peer.
    var verdict: String {
        guard let ratio else { return "skipped" }
        guard let target else { return "info" }
        return target.isMet(by: ratio) ? "PASS" : "MISS"
    }
}

/// The whole report: header facts, the table, notes; as text or JSON.
struct Report {
    var facts: [(String, String)] = []
    var rows: [Row] = []
    var notes: [String] = []

    var table: String {
        let header = ["operation", "zoo", "peer", "peer figure", "zoo/peer", "target", "result"]
        let lines = rows.map { row in
            [row.operation, row.zoo.text, row.peerName, row.peer?.text ?? "-",
             row.ratio.map { Figure.fixed($0, digits: 2) + "x" } ?? "-", row.target?.text ?? "-", row.verdict]
        }
        let widths = header.indices.map { column in ([header] + lines).map { $0[column].count }.max() ?? 0 }
        func render(_ cells: [String]) -> String {
            zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([render(header), rule] + lines.map(render)).joined(separator: "\n")
    }

    var text: String {
        let keyWidth = facts.map(\.0.count).max() ?? 0
        var out = facts.map { $0 + ":" + String(repeating: " ", count: keyWidth - $0.count + 1) + $1 }
        out += ["", table, ""]
        out += notes.map { "- " + $0 }
        return out.joined(separator: "\n")
    }

    var json: JSONValue {
        func number(_ value: Double) -> JSONValue { value.isFinite ? .number(value) : .null }
        func figure(_ figure: Figure?) -> JSONValue {
            guard let figure else { return .null }
            var object: [String: JSONValue] = ["value": number(figure.value), "unit": .string(figure.unit.rawValue)]
            if let samples = figure.samples { object["runs_seconds"] = .array(samples.seconds.map(number)) }
            if let bytes = figure.bytes { object["bytes"] = .integer(Int64(bytes)) }
            return .object(object)
        }
        let rows: [JSONValue] = rows.map { row in
            .object([
                "operation": .string(row.operation),
                "zoo": figure(row.zoo),
                "peer_name": .string(row.peerName),
                "peer": figure(row.peer),
                "ratio_zoo_over_peer": row.ratio.map(number) ?? .null,
                "target": row.target.map { .string($0.text) } ?? .null,
                "result": .string(row.verdict),
            ])
        }
        return .object([
            "facts": .object(Dictionary(facts.map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { $1 })),
            "rows": .array(rows),
            "notes": .array(notes.map { .string($0) }),
        ])
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
