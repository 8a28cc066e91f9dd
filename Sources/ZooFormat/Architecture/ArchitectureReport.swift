/// What the architecture check found for one checkpoint (``ArchitectureCheck``).
public struct ArchitectureReport: Sendable, Equatable {
    /// `architecture.type` as declared.
    public var type: String
    /// The table's name for it (`bert`, `gpt2`, `llama`), when known.
    public var architecture: String?
    /// The sizes read from the config, when it had them.
    public var dimensions: ArchitectureDimensions?
    /// The naming scheme the tensors were compared under.
    public var scheme: String?
    /// Why the tensors were not compared (unknown architecture, a key missing from the config,
    /// names of no known scheme): the checkpoint passes.
    public var note: ArchitectureNote?
    /// Contradictions first (layer and head counts, then shapes), then missing, then unexpected
    /// tensors; each group in the checkpoint's or the architecture's order.
    public var findings: [ArchitectureFinding]
    /// Elements of every tensor but buffers (position ids, causal masks).
    public var parameterCount: Int
    /// What the config implies, with the optional tensors the checkpoint has (pooler, heads, a
    /// separate `lm_head`); `nil` when unchecked or a needed size is unknown.
    public var expectedParameterCount: Int?
    /// Tensors accepted as buffers.
    public var bufferCount: Int
    /// The named configuration the dimensions match (`BERT-base`), if any.
    public var configurationName: String?

    /// Whether the tensors were compared with the architecture.
    public var isChecked: Bool { note == nil }
    /// The findings that contradict the config: an import refuses the checkpoint over them.
    public var contradictions: [ArchitectureFinding] { findings.filter(\.isContradiction) }
    /// No contradiction (missing and unexpected tensors are allowed).
    public var isConsistent: Bool { !findings.contains(where: \.isContradiction) }
    /// No contradiction and no missing tensor: what `verify --deep` requires. Unexpected
    /// tensors alone pass, as Hugging Face loads such checkpoints with a warning.
    public var passes: Bool { !findings.contains { $0.isContradiction || $0.kind == .missing } }
    /// Findings of one kind.
    public func findings(_ kind: ArchitectureFinding.Kind) -> [ArchitectureFinding] { findings.filter { $0.kind == kind } }

    /// `12 x 768 x 12` (layers x hidden x heads), with ` (8 kv heads)` for grouped-query attention,
    /// ` (8 kv heads, 8 experts)` for a mixture of experts.
    public var shapeDescription: String? {
        guard let d = dimensions else { return nil }
        var text = "\(d.layers) x \(d.hidden) x \(d.heads)"
        var extras: [String] = []
        if let kv = d.keyValueHeads, kv != d.heads { extras.append("\(kv) kv heads") }
        if let experts = d.experts { extras.append("\(experts) experts") }
        if !extras.isEmpty { text += " (" + extras.joined(separator: ", ") + ")" }
        return text
    }

    /// The first `limit` findings of `list`, joined, with how many more there are.
    public static func listing(_ list: [ArchitectureFinding], limit: Int = 5) -> String {
        var text = list.prefix(limit).map(\.description).joined(separator: "; ")
        if list.count > limit { text += "; and \(list.count - limit) more" }
        return text
    }

    /// One line: `bert (Hugging Face BertModel) 6 x 384 x 12: tensors match` or what is wrong.
    public var verdict: String {
        if let note { return note.description }
        var head = architecture ?? type
        if let scheme { head += " (\(scheme))" }
        if let shape = shapeDescription { head += " \(shape)" }
        if findings.isEmpty { return head + ": tensors match" }
        var counts: [String] = []
        for (kind, label) in [(ArchitectureFinding.Kind.layerCount, "layer count"), (.headCount, "head count"),
                              (.misshaped, "mis-shaped"), (.missing, "missing"), (.unexpected, "unexpected")]
        {
            let n = findings(kind).count
            if n > 0 { counts.append(kind == .layerCount || kind == .headCount ? label : "\(n) \(label)") }
        }
        return head + ": " + counts.joined(separator: ", ")
    }
}
