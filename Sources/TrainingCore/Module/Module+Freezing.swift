/// Freezing and unfreezing parameters by name.
///
/// A frozen parameter gets no gradient (none is even computed for it) and optimisers skip it.
extension Module {
    /// Freezes every parameter.
    public func freeze() {
        for parameter in parameters() { parameter.isTrainable = false }
    }

    /// Unfreezes every parameter.
    public func unfreeze() {
        for parameter in parameters() { parameter.isTrainable = true }
    }

    /// Freezes the parameters matching any pattern; patterns that match nothing are ignored.
    ///
    /// - Returns: the names of the matched parameters, in model order.
    @discardableResult
    public func freeze(matching patterns: [NamePattern]) -> [String] {
        setTrainable(false, matching: patterns)
    }

    /// Unfreezes the parameters matching any pattern; patterns that match nothing are ignored.
    ///
    /// - Returns: the names of the matched parameters, in model order.
    @discardableResult
    public func unfreeze(matching patterns: [NamePattern]) -> [String] {
        setTrainable(true, matching: patterns)
    }

    /// Freezes the parameters matching the patterns; throws, changing nothing, when a pattern
    /// matches no parameter (a typo in a name must not silently train the whole model).
    ///
    /// - Throws: ``ModuleError`` with reason `.noMatch` naming the first such pattern.
    @discardableResult
    public func freeze(strictlyMatching patterns: [NamePattern]) throws(ModuleError) -> [String] {
        try checkEveryPatternMatches(patterns)
        return setTrainable(false, matching: patterns)
    }

    /// Unfreezes the parameters matching the patterns; throws, changing nothing, when a pattern
    /// matches no parameter.
    ///
    /// - Throws: ``ModuleError`` with reason `.noMatch` naming the first such pattern.
    @discardableResult
    public func unfreeze(strictlyMatching patterns: [NamePattern]) throws(ModuleError) -> [String] {
        try checkEveryPatternMatches(patterns)
        return setTrainable(true, matching: patterns)
    }

    private func setTrainable(_ trainable: Bool, matching patterns: [NamePattern]) -> [String] {
        let matched = parameters(matching: patterns)
        for (_, parameter) in matched { parameter.isTrainable = trainable }
        return matched.map(\.name)
    }

    private func checkEveryPatternMatches(_ patterns: [NamePattern]) throws(ModuleError) {
        let names = namedParameters().map(\.name)
        for pattern in patterns {
            let matches = pattern.matcher()
            guard names.contains(where: matches) else { throw ModuleError(reason: .noMatch(pattern)) }
        }
    }
}
