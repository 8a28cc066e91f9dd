import ZooFormat

/// `zoo import` refusing a checkpoint whose tensors contradict its declared architecture.
struct ArchitectureMismatch: Error, CustomStringConvertible {
    var path: String
    var report: ArchitectureReport

    var description: String {
        "\(path): the tensors contradict the \(report.architecture ?? report.type) config"
            + (report.shapeDescription.map { " (\($0))" } ?? "") + ": "
            + ArchitectureReport.listing(report.contradictions, limit: ArchitectureText.listed)
            + ". Import anyway with --no-architecture-check."
    }
}
