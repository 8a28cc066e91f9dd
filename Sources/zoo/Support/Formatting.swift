/// Human-readable numbers for tables and summaries.
enum Formatting {
    /// `17.6 MB`, `512 B`, `1.2 GB` (decimal units).
    static func bytes(_ count: Int) -> String {
        scaled(count, units: ["B", "kB", "MB", "GB", "TB", "PB"], separator: " ")
    }

    /// `110.1M`, `4.4k`, `7.2B` (parameter counts).
    static func count(_ count: Int) -> String {
        scaled(count, units: ["", "k", "M", "B", "T"], separator: "")
    }

    private static func scaled(_ value: Int, units: [String], separator: String) -> String {
        var scaled = Double(value)
        var unit = 0
        while abs(scaled) >= 999.95 && unit < units.count - 1 {
            scaled /= 1000
            unit += 1
        }
        if unit == 0 { return "\(value)" + (units[0].isEmpty ? "" : separator + units[0]) }
        let tenths = (scaled * 10).rounded()
        let text = "\(Int(tenths) / 10).\(abs(Int(tenths)) % 10)"
        return text + separator + units[unit]
    }

    /// Left-aligned columns separated by three spaces.
    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            var line = ""
            for (i, cell) in row.enumerated() {
                if i == row.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[i] - cell.count + 3)
                }
            }
            return line
        }.joined(separator: "\n")
    }
}
