import TrainingCore
import ZooFormat

/// Everything ``CheckpointLoader/loadDetailed(_:into:options:)`` did: TrainingCore's
/// ``TrainingCore/LoadReport`` (loaded, missing, unexpected, ignored and shape-mismatched keys)
/// plus what happened on the checkpoint side.
public struct LoadSummary: Sendable, Equatable {
    /// The report of ``TrainingCore/Module/load(stateDict:verify:)``, keyed by model names.
    public var report: LoadReport
    /// Checkpoint tensors left out by ``LoadOptions/prefix`` or ``LoadOptions/exclude``
    /// (checkpoint names, storage order).
    public var skippedTensors: [String]
    /// Loaded keys whose checkpoint dtype was not F32, with that dtype (converted to Float32).
    public var convertedKeys: [String: DType]
    /// Loaded keys read in place from the memory map (no copy), in model order.
    public var borrowedKeys: [String]
    /// Loaded keys holding NaN or infinity (only with ``LoadOptions/rejectNonFinite`` off).
    public var nonFiniteKeys: [String]

    public init(
        report: LoadReport, skippedTensors: [String] = [], convertedKeys: [String: DType] = [:],
        borrowedKeys: [String] = [], nonFiniteKeys: [String] = []
    ) {
        self.report = report
        self.skippedTensors = skippedTensors
        self.convertedKeys = convertedKeys
        self.borrowedKeys = borrowedKeys
        self.nonFiniteKeys = nonFiniteKeys
    }
}

extension LoadSummary: CustomStringConvertible {
    /// One line per finding, e.g. for a CLI or a log:
    /// `loaded 39 of 41 parameters; 2 missing: classifier.weight, classifier.bias`.
    public var description: String {
        let total = report.loadedKeys.count + report.missingKeys.count + report.shapeMismatches.count
        var lines = ["loaded \(report.loadedKeys.count) of \(total) parameters"]
        func list(_ keys: [String], _ what: String) {
            guard !keys.isEmpty else { return }
            let shown = keys.prefix(10).joined(separator: ", ") + (keys.count > 10 ? ", ..." : "")
            lines.append("\(keys.count) \(what): \(shown)")
        }
        list(report.missingKeys, "missing")
        list(report.unexpectedKeys, "unexpected")
        list(report.shapeMismatches.map(\.description), "with another shape")
        list(report.ignoredKeys, "ignored")
        list(skippedTensors, "skipped")
        list(nonFiniteKeys, "with NaN or infinity")
        if report.loadedKeys.isEmpty && total > 0 {
            lines.append("no checkpoint tensor fits the model: is it the right architecture?")
        }
        return lines.joined(separator: "; ")
    }
}
