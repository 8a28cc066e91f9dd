/// Compares a checkpoint's tensors with the ones its declared architecture implies
/// (spec/architectures.md).
///
/// For an architecture of ``ArchitectureTable``, the sizes come from `architecture.config`,
/// the expected names and shapes from the naming scheme the tensors use most, and the report
/// lists mis-shaped, missing and unexpected tensors by name. An unknown architecture, a config
/// without the sizes, or names of no known scheme give a report with a ``ArchitectureReport/note``
/// and no finding: never a false error. Linear in the number of tensors.
///
/// ```swift
/// let report = ArchitectureCheck.run(on: manifest)
/// if !report.isConsistent { print(ArchitectureReport.listing(report.contradictions)) }
/// ```
public enum ArchitectureCheck {
    /// Checks `manifest`'s tensors against its `architecture`.
    public static func run(on manifest: Manifest) -> ArchitectureReport {
        run(type: manifest.architecture.type, config: manifest.architecture.config, tensors: manifest.tensors)
    }

    /// Checks `tensors` against architecture `type` with `config`.
    public static func run(type: String, config: [String: JSONValue], tensors: [TensorEntry]) -> ArchitectureReport {
        var report = ArchitectureReport(type: type, findings: [], parameterCount: sum(tensors.map(\.elementCount)),
                                        bufferCount: 0)
        guard let architecture = ArchitectureTable.architecture(forType: type) else {
            report.note = .unknownArchitecture(type: type)
            return report
        }
        report.architecture = architecture.name
        let settings = ArchitectureConfig(config)
        let dimensions: ArchitectureDimensions
        do {
            dimensions = try architecture.dimensions(from: settings)
        } catch {
            report.note = error
            return report
        }
        report.dimensions = dimensions
        report.configurationName = architecture.namedConfigurations.first { $0.matches(dimensions) }?.name

        // Pick the scheme: names of its non-layer and layer-0 tensors present (which tells fused
        // from separate projections under one prefix), plus tensors under its layer prefix.
        var index = [String: Int](minimumCapacity: tensors.count)
        for (i, tensor) in tensors.enumerated() { index[tensor.name] = i }
        let skeletons = architecture.layouts(for: dimensions, config: settings, layerLimit: 1)
        var best: (layout: Int, score: Int, layers: Set<Int>)?
        for (i, layout) in skeletons.enumerated() {
            var layers = Set<Int>()
            var score = layout.tensors.reduce(0) { $0 + (index[$1.name] == nil ? 0 : 1) }
            for tensor in tensors {
                if let layer = layout.layerIndex(of: tensor.name) {
                    layers.insert(layer)
                    score += 1
                }
            }
            if score > (best?.score ?? 0) { best = (i, score, layers) }
        }
        guard let best else {
            report.note = .unrecognisedNames(architecture: architecture.name,
                                             example: skeletons.first?.tensors.first?.name ?? "?")
            return report
        }

        // Layer tensors are expected up to the highest layer present: layers the config declares
        // beyond it are one layer-count finding, not thousands of missing names.
        let found = best.layers.sorted()
        let generated = min(dimensions.layers, (found.last ?? -1) + 1, tensors.count)
        // A config can imply far more names than the checkpoint holds (thousands of experts per
        // layer): past a budget the tensors cannot be this config's, and listing them all would
        // only cost time, so the check stops with a note.
        if skeletons.indices.contains(best.layout) {
            let perLayer = skeletons[best.layout].tensors.reduce(0) { $0 + (skeletons[best.layout].layerIndex(of: $1.name) == 0 ? 1 : 0) }
            let implied = multiply(perLayer, generated) ?? Int.max
            if implied > maxExpectedTensors(present: tensors.count) {
                report.note = .tooManyExpected(implied: implied, layers: generated, present: tensors.count)
                return report
            }
        }
        let layouts = architecture.layouts(for: dimensions, config: settings, layerLimit: generated)
        guard layouts.indices.contains(best.layout) else { return report }  // an architecture's layouts are fixed
        let layout = layouts[best.layout]
        report.scheme = layout.scheme

        var headFindings: [ArchitectureFinding] = []
        if found.count != dimensions.layers || found.last != dimensions.layers - 1 {
            headFindings.append(ArchitectureFinding(
                kind: .layerCount, name: "layers",
                detail: "the config declares \(dimensions.layers) layer\(dimensions.layers == 1 ? "" : "s"), the tensors hold "
                    + "\(found.count)" + (found.isEmpty ? "" : " (\(describe(found)))")))
        }
        headFindings += headCountFindings(dimensions)

        var matched = [Bool](repeating: false, count: tensors.count)
        var misshaped: [ArchitectureFinding] = []
        var missing: [ArchitectureFinding] = []
        var expectedCount: Int? = 0
        var perLayerRequired: Int? = 0
        for expected in layout.tensors {
            let present = index[expected.name]
            if let present { matched[present] = true }
            if expected.role == .buffer {
                if present != nil { report.bufferCount += 1 }
                continue
            }
            let known = knownCount(expected.shape)
            if let present {
                let tensor = tensors[present]
                if !expected.accepts(tensor.shape) {
                    misshaped.append(ArchitectureFinding(kind: .misshaped, name: expected.name, expectedShape: expected.shape,
                                                         foundShape: tensor.shape))
                }
                expectedCount = add(expectedCount, known ?? tensor.elementCount)
            } else if expected.role == .required {
                missing.append(ArchitectureFinding(kind: .missing, name: expected.name, expectedShape: expected.shape))
                expectedCount = add(expectedCount, known)
            }
            if expected.role == .required, layout.layerIndex(of: expected.name) == 0 {
                perLayerRequired = add(perLayerRequired, known)
            }
        }
        // The declared layers not generated (beyond the last one present) count as complete layers.
        if dimensions.layers > generated {
            let extra = generated == 0 ? nil : perLayerRequired.flatMap { multiply($0, dimensions.layers - generated) }
            expectedCount = add(expectedCount, extra)
        }

        // Unmatched tensors: buffers by suffix (position ids, masks), else unexpected. Buffers are
        // no parameters, neither are tensors matched to an expected buffer.
        var unexpected: [ArchitectureFinding] = []
        var isBuffer = [Bool](repeating: false, count: tensors.count)
        for expected in layout.tensors where expected.role == .buffer {
            if let present = index[expected.name] { isBuffer[present] = true }
        }
        for (i, tensor) in tensors.enumerated() where !matched[i] {
            if layout.isBuffer(tensor.name) {
                isBuffer[i] = true
                report.bufferCount += 1
            } else {
                unexpected.append(ArchitectureFinding(kind: .unexpected, name: tensor.name, foundShape: tensor.shape))
            }
        }
        var parameters = 0
        for (i, tensor) in tensors.enumerated() where !isBuffer[i] { parameters = add(parameters, tensor.elementCount) ?? Int.max }
        report.parameterCount = parameters
        report.expectedParameterCount = expectedCount
        report.findings = headFindings + misshaped + missing + unexpected
        return report
    }

    /// How many expected layer tensors the check generates at most for `present` tensors.
    static func maxExpectedTensors(present: Int) -> Int { 4 * present + 100_000 }

    /// Head counts that cannot work: hidden not a multiple of heads (without a stated head
    /// size), heads not a multiple of the key/value heads.
    private static func headCountFindings(_ d: ArchitectureDimensions) -> [ArchitectureFinding] {
        var findings: [ArchitectureFinding] = []
        if d.headSize == nil, d.hidden % d.heads != 0 {
            findings.append(ArchitectureFinding(
                kind: .headCount, name: "heads",
                detail: "the hidden size \(d.hidden) is not a multiple of the \(d.heads) attention heads"))
        }
        if let kv = d.keyValueHeads, d.heads % kv != 0 {
            findings.append(ArchitectureFinding(
                kind: .headCount, name: "kv heads",
                detail: "the \(d.heads) attention heads are not a multiple of the \(kv) key/value heads"))
        }
        return findings
    }

    /// `0-11` for a run, else the first few indices.
    private static func describe(_ layers: [Int]) -> String {
        guard let first = layers.first, let last = layers.last else { return "" }
        if last - first + 1 == layers.count { return layers.count == 1 ? "layer \(first)" : "layers \(first)-\(last)" }
        let shown = layers.prefix(8).map(String.init).joined(separator: ", ")
        return "layers " + shown + (layers.count > 8 ? ", ..." : "")
    }

    private static func knownCount(_ shape: [Int?]) -> Int? {
        var count: Int? = 1
        for dimension in shape { count = count.flatMap { c in dimension.flatMap { multiply(c, $0) } } }
        return count
    }

    private static func add(_ a: Int?, _ b: Int?) -> Int? {
        guard let a, let b else { return nil }
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : value
    }

    private static func multiply(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }

    private static func sum(_ counts: [Int]) -> Int {
        counts.reduce(0) { add($0, $1) ?? Int.max }
    }
}
