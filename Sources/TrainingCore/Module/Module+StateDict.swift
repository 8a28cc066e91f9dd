/// State dicts: every parameter's value under its dotted name, as PyTorch's `state_dict()`.
extension Module {
    /// Every parameter's current value by dotted name (a shared parameter under each name).
    public func stateDict() -> [String: Tensor] {
        Dictionary(allNamedParameters().map { ($0.name, $0.parameter.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The state-dict keys in model order.
    public var stateDictKeys: [String] {
        allNamedParameters().map(\.name)
    }

    /// Compares a state dict with the model without changing anything.
    public func matchReport(for stateDict: [String: Tensor]) -> LoadReport {
        let named = allNamedParameters()
        var report = LoadReport()
        var known = Set<String>()
        for (name, parameter) in named {
            known.insert(name)
            guard let tensor = stateDict[name] else {
                report.missingKeys.append(name)
                continue
            }
            if tensor.shape == parameter.shape {
                report.loadedKeys.append(name)
            } else {
                report.shapeMismatches.append(ShapeMismatch(key: name, expected: parameter.shape, actual: tensor.shape))
            }
        }
        let ignorable = ignoredStateDictKeys
        for key in stateDict.keys.sorted() where !known.contains(key) {
            if ignorable.contains(key) {
                report.ignoredKeys.append(key)
            } else {
                report.unexpectedKeys.append(key)
            }
        }
        return report
    }

    /// Sets parameters from a state dict: the single entry point for giving parameters values
    /// from outside (checkpoints, other models).
    ///
    /// The checks in `verify` run first; if any fails, nothing is loaded and ``LoadError`` carries
    /// the full report. Otherwise every key with a matching shape is loaded and the report is
    /// returned (with whatever the unchecked categories found). Gradients of loaded parameters
    /// are cleared; `isTrainable` is kept.
    ///
    /// ```swift
    /// let report = try model.load(stateDict: tensors)                       // strict, like PyTorch
    /// let partial = try model.load(stateDict: tensors, verify: .matchingShapes)  // new head: missing keys allowed
    /// ```
    @discardableResult
    public func load(stateDict: [String: Tensor], verify: LoadVerification = .all) throws(LoadError) -> LoadReport {
        let report = matchReport(for: stateDict)
        let failed = report.failures(of: verify)
        guard failed.isEmpty else { throw LoadError(report: report, failedChecks: failed) }
        let loaded = Set(report.loadedKeys)
        for (name, parameter) in allNamedParameters() where loaded.contains(name) {
            guard let tensor = stateDict[name] else { continue }
            parameter.value = tensor
            parameter.grad = nil
        }
        return report
    }
}

extension Module {
    /// Full dotted names of the buffers checkpoints may carry that this model does not keep
    /// (e.g. BERT's `embeddings.position_ids`): loading ignores them, exporting may pass them on.
    public var ignoredStateDictKeys: Set<String> {
        Set(namedModules().flatMap { path, module in
            module.ignoredStateKeys.map { path.isEmpty ? $0 : path + "." + $0 }
        })
    }
}
