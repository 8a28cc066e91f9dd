/// What ``Module/load(stateDict:verify:)`` found when matching a state dict to a model, like the
/// result of PyTorch's `load_state_dict` (plus the shape mismatches it raises on).
public struct LoadReport: Equatable, Sendable {
    /// Keys whose tensors were copied into the model, in model order.
    public var loadedKeys: [String]
    /// Model parameters the state dict lacks, in model order.
    public var missingKeys: [String]
    /// State-dict keys the model has no parameter for, sorted.
    public var unexpectedKeys: [String]
    /// State-dict keys the model declares as ignorable (buffers such as `position_ids`), sorted.
    public var ignoredKeys: [String]
    /// Keys present on both sides with different shapes, in model order; never loaded.
    public var shapeMismatches: [ShapeMismatch]

    public init(
        loadedKeys: [String] = [], missingKeys: [String] = [], unexpectedKeys: [String] = [],
        ignoredKeys: [String] = [], shapeMismatches: [ShapeMismatch] = []
    ) {
        self.loadedKeys = loadedKeys
        self.missingKeys = missingKeys
        self.unexpectedKeys = unexpectedKeys
        self.ignoredKeys = ignoredKeys
        self.shapeMismatches = shapeMismatches
    }

    /// Whether every parameter was loaded and every key was used (ignored keys aside).
    public var isComplete: Bool {
        missingKeys.isEmpty && unexpectedKeys.isEmpty && shapeMismatches.isEmpty
    }

    /// The checks of `verify` that this report fails.
    public func failures(of verify: LoadVerification) -> LoadVerification {
        var failed: LoadVerification = []
        if verify.contains(.noMissingKeys) && !missingKeys.isEmpty { failed.insert(.noMissingKeys) }
        if verify.contains(.noUnexpectedKeys) && !unexpectedKeys.isEmpty { failed.insert(.noUnexpectedKeys) }
        if verify.contains(.matchingShapes) && !shapeMismatches.isEmpty { failed.insert(.matchingShapes) }
        return failed
    }
}

/// A state-dict key whose tensor has another shape than the model's parameter.
public struct ShapeMismatch: Equatable, Sendable, CustomStringConvertible {
    public var key: String
    /// The model parameter's shape.
    public var expected: [Int]
    /// The state dict's shape.
    public var actual: [Int]

    public init(key: String, expected: [Int], actual: [Int]) {
        self.key = key
        self.expected = expected
        self.actual = actual
    }

    public var description: String { "\(key): model has shape \(expected), state dict has \(actual)" }
}

/// The checks ``Module/load(stateDict:verify:)`` enforces before loading anything.
public struct LoadVerification: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Every model parameter must be in the state dict.
    public static let noMissingKeys = LoadVerification(rawValue: 1 << 0)
    /// Every state-dict key must name a model parameter (or an ignorable key).
    public static let noUnexpectedKeys = LoadVerification(rawValue: 1 << 1)
    /// Shared keys must have equal shapes.
    public static let matchingShapes = LoadVerification(rawValue: 1 << 2)
    /// All checks: PyTorch's `strict=True`.
    public static let all: LoadVerification = [.noMissingKeys, .noUnexpectedKeys, .matchingShapes]
}

/// A state dict that failed the requested checks; the model was left unchanged.
public struct LoadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Everything found while matching keys.
    public var report: LoadReport
    /// The checks that failed.
    public var failedChecks: LoadVerification

    public init(report: LoadReport, failedChecks: LoadVerification) {
        self.report = report
        self.failedChecks = failedChecks
    }

    public var description: String {
        var parts: [String] = []
        if failedChecks.contains(.noMissingKeys) {
            parts.append(Self.listing(report.missingKeys, "missing key"))
        }
        if failedChecks.contains(.noUnexpectedKeys) {
            parts.append(Self.listing(report.unexpectedKeys, "unexpected key"))
        }
        if failedChecks.contains(.matchingShapes) {
            let count = report.shapeMismatches.count
            let shown = report.shapeMismatches.prefix(10).map(\.description).joined(separator: "; ")
            parts.append("\(count) shape mismatch\(count == 1 ? "" : "es"): \(shown)\(count > 10 ? "; ..." : "")")
        }
        return "state dict does not fit the model: " + parts.joined(separator: "; ")
    }

    private static func listing(_ keys: [String], _ noun: String) -> String {
        let shown = keys.prefix(10).joined(separator: ", ")
        return "\(keys.count) \(noun)\(keys.count == 1 ? "" : "s") (\(shown)\(keys.count > 10 ? ", ..." : ""))"
    }
}
