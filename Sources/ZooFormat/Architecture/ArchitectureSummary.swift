/// The part of an ``ArchitectureReport`` that `zoo show` prints, small enough to keep in the
/// store's per-model summary (so that `show` needs no manifest).
public struct ArchitectureSummary: Sendable, Equatable {
    /// The table's name for the architecture; `nil` when unknown.
    public var architecture: String?
    /// Whether the tensors were compared (else ``verdict`` is the note).
    public var isChecked: Bool
    /// `12 x 768 x 12`, when the config had the sizes.
    public var shape: String?
    /// Elements of every tensor but buffers.
    public var parameterCount: Int
    public var expectedParameterCount: Int?
    /// `BERT-base`, when the sizes are a named configuration.
    public var configurationName: String?
    /// ``ArchitectureReport/verdict``.
    public var verdict: String
    public var findingCount: Int

    public init(_ report: ArchitectureReport) {
        architecture = report.architecture
        isChecked = report.isChecked
        shape = report.shapeDescription
        parameterCount = report.parameterCount
        expectedParameterCount = report.expectedParameterCount
        configurationName = report.configurationName
        verdict = report.verdict
        findingCount = report.findings.count
    }

    public var jsonValue: JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        return .object([
            "architecture": optional(architecture), "checked": .bool(isChecked), "shape": optional(shape),
            "parameterCount": .integer(Int64(parameterCount)),
            "expectedParameterCount": expectedParameterCount.map { .integer(Int64($0)) } ?? .null,
            "configuration": optional(configurationName), "verdict": .string(verdict),
            "findingCount": .integer(Int64(findingCount)),
        ])
    }

    /// Reads ``jsonValue``; `nil` for anything else.
    public init?(json: JSONValue) {
        guard let object = json.objectValue, case let .bool(checked)? = object["checked"],
            let parameters = object["parameterCount"]?.integerValue.flatMap({ Int(exactly: $0) }), parameters >= 0,
            let verdict = object["verdict"]?.stringValue,
            let findings = object["findingCount"]?.integerValue.flatMap({ Int(exactly: $0) }), findings >= 0
        else { return nil }
        func text(_ key: String) -> String?? {
            switch object[key] {
            case .null?: .some(nil)
            case let .string(value)?: .some(value)
            default: nil
            }
        }
        guard let architecture = text("architecture"), let shape = text("shape"), let name = text("configuration")
        else { return nil }
        var expected: Int?
        if let value = object["expectedParameterCount"], value != .null {
            guard let count = value.integerValue.flatMap({ Int(exactly: $0) }), count >= 0 else { return nil }
            expected = count
        }
        self.architecture = architecture
        isChecked = checked
        self.shape = shape
        parameterCount = parameters
        expectedParameterCount = expected
        configurationName = name
        self.verdict = verdict
        findingCount = findings
    }
}
