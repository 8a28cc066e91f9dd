import ArgumentParser

/// A byte count given on the command line: `1000000`, `500MB`, `500kB`, `2GiB`, `1.5GB`.
/// Decimal units (kB, MB, GB, TB) are powers of 1000, binary ones (KiB, MiB, GiB, TiB) of 1024;
/// the unit is case-insensitive and a trailing `B` alone means bytes.
struct ByteSize: ExpressibleByArgument, Equatable, CustomStringConvertible {
    let bytes: Int

    init(bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        guard let split = text.firstIndex(where: { !($0.isASCII && ($0.isNumber || $0 == ".")) }) ?? Optional(text.endIndex),
            let number = Double(text[..<split]), number.isFinite, number >= 0,
            text[..<split].first?.isNumber == true
        else { return nil }
        let unit = text[split...].trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Double] = [
            "": 1, "b": 1,
            "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        let value = (number * multiplier).rounded(.down)
        guard value >= 1, value < 9.0e18 else { return nil }
        self.bytes = Int(value)
    }

    var description: String { "\(bytes)" }

    static var defaultCompletionKind: CompletionKind { .default }
}
