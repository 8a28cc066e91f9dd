import ZooFormat

/// How the CLI prints an ``ArchitectureReport`` (show, verify --deep, import).
enum ArchitectureText {
    /// How many findings of one kind a line lists before "and N more".
    static let listed = 5

    /// `bert, 12 x 768 x 12: 109.5M — BERT-base`, with the count the config implies when the
    /// tensors hold another; `nil` when the tensors were not checked.
    static func configurationLine(_ report: ArchitectureSummary) -> String? {
        guard report.isChecked, let shape = report.shape else { return nil }
        var line = "\(report.architecture ?? "?"), \(shape): \(Formatting.count(report.parameterCount))"
        if let name = report.configurationName { line += " — \(name)" }
        if let expected = report.expectedParameterCount, expected != report.parameterCount {
            line += " (the config implies \(Formatting.count(expected)))"
        }
        return line
    }

    /// The findings that fail `verify --deep`, one line each (contradictions, then missing),
    /// at most `limit` and a last line with how many more.
    static func failureLines(_ report: ArchitectureReport, limit: Int = 20) -> [String] {
        let failing = report.findings.filter { $0.isContradiction || $0.kind == .missing }
        var lines = failing.prefix(limit).map(\.description)
        if failing.count > limit { lines.append("and \(failing.count - limit) more") }
        return lines
    }

    /// The report as `verify --json` and `show --json` give it.
    static func json(_ report: ArchitectureReport) -> JSONValue {
        var object: [String: JSONValue] = [
            "type": .string(report.type),
            "checked": .bool(report.isChecked),
            "passes": .bool(report.passes),
            "consistent": .bool(report.isConsistent),
            "verdict": .string(report.verdict),
            "parameterCount": .int(report.parameterCount),
            "expectedParameterCount": report.expectedParameterCount.map { .int($0) } ?? .null,
            "bufferCount": .int(report.bufferCount),
            "configuration": .optionalString(report.configurationName),
            "scheme": .optionalString(report.scheme),
            "note": .optionalString(report.note?.description),
            "findings": .array(report.findings.map { finding in
                .object([
                    "kind": .string(finding.kind.rawValue), "name": .string(finding.name),
                    "expectedShape": finding.expectedShape.map { .array($0.map { $0.map { .int($0) } ?? .null }) } ?? .null,
                    "foundShape": finding.foundShape.map { .array($0.map { .int($0) }) } ?? .null,
                    "description": .string(finding.description),
                ])
            }),
        ]
        if let d = report.dimensions {
            var dims: [String: JSONValue] = ["layers": .int(d.layers), "hidden": .int(d.hidden), "heads": .int(d.heads)]
            for (key, value) in [("keyValueHeads", d.keyValueHeads), ("intermediate", d.intermediate),
                                 ("vocabulary", d.vocabulary), ("positions", d.positions)]
            {
                if let value { dims[key] = .int(value) }
            }
            object["dimensions"] = .object(dims)
        }
        return .object(object)
    }
}
