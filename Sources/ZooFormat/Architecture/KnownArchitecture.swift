/// One architecture zoo can check: how to read its sizes from `architecture.config`, and the
/// tensors (names and shapes) those sizes imply under each naming scheme it is stored with.
///
/// Adding an architecture is one file: a value conforming to this protocol, listed in
/// ``ArchitectureTable/known``.
///
/// ```swift
/// struct MyArchitecture: KnownArchitecture {
///     let name = "mine"
///     let types: Set<String> = ["mine"]
///     func dimensions(from config: ArchitectureConfig) throws(ArchitectureNote) -> ArchitectureDimensions { ... }
///     func layouts(for dimensions: ArchitectureDimensions, config: ArchitectureConfig) -> [TensorLayout] { ... }
/// }
/// ```
public protocol KnownArchitecture: Sendable {
    /// The name printed in reports, e.g. `bert`.
    var name: String { get }
    /// The lowercased `architecture.type` values (Hugging Face `model_type`, GGUF
    /// `general.architecture`) this architecture describes.
    var types: Set<String> { get }
    /// Named sizes (BERT-base, GPT-2 medium...), matched on the derived dimensions.
    var namedConfigurations: [NamedConfiguration] { get }
    /// The sizes the tensors follow from; throws a note when the config lacks a key it needs
    /// (the check then passes: a missing key is never an error).
    func dimensions(from config: ArchitectureConfig) throws(ArchitectureNote) -> ArchitectureDimensions
    /// The tensors `dimensions` imply, one layout per naming scheme; the check compares the
    /// checkpoint with the layout whose names it uses most. Layer tensors are listed for layers
    /// `0..<layerLimit` only (the check bounds them by what the checkpoint holds).
    func layouts(for dimensions: ArchitectureDimensions, config: ArchitectureConfig, layerLimit: Int) -> [TensorLayout]
}

/// The sizes an architecture's tensors are derived from. `nil` means the config does not say,
/// and the dimensions that depend on it are not checked.
public struct ArchitectureDimensions: Sendable, Equatable {
    public var layers: Int
    public var hidden: Int
    public var heads: Int
    /// Key/value heads (grouped-query attention); `nil` when every head has its own.
    public var keyValueHeads: Int?
    /// Per-head size, when the config states it (else hidden / heads).
    public var headSize: Int?
    public var intermediate: Int?
    public var vocabulary: Int?
    public var positions: Int?

    public init(layers: Int, hidden: Int, heads: Int, keyValueHeads: Int? = nil, headSize: Int? = nil,
                intermediate: Int? = nil, vocabulary: Int? = nil, positions: Int? = nil)
    {
        self.layers = layers
        self.hidden = hidden
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headSize = headSize
        self.intermediate = intermediate
        self.vocabulary = vocabulary
        self.positions = positions
    }

    /// hidden / heads when it divides, else `nil`; the stated head size wins.
    public var resolvedHeadSize: Int? {
        if let headSize { return headSize }
        guard heads > 0, hidden % heads == 0 else { return nil }
        return hidden / heads
    }
}

/// A tensor an architecture expects.
public struct ExpectedTensor: Sendable, Equatable {
    public enum Role: Sendable, Equatable {
        /// Part of the model: missing is a finding.
        case required
        /// A parameter that may be absent: pooler, task heads, an `lm_head` tied to the embedding.
        case optional
        /// A buffer (position ids, causal masks): neither required nor a parameter; shape unchecked.
        case buffer
    }

    public var name: String
    /// Outermost dimension first (zoo order); `nil` for a dimension the config does not give.
    public var shape: [Int?]
    public var role: Role

    public init(_ name: String, _ shape: [Int?], _ role: Role = .required) {
        self.name = name
        self.shape = shape
        self.role = role
    }

    /// Whether `found` agrees with ``shape`` (rank and every known dimension).
    public func accepts(_ found: [Int]) -> Bool {
        guard found.count == shape.count else { return false }
        for (want, got) in zip(shape, found) { if let want, want != got { return false } }
        return true
    }
}

/// The tensors of one naming scheme (Hugging Face names under a prefix, GGUF names...).
public struct TensorLayout: Sendable {
    /// How the scheme is named in reports, e.g. `Hugging Face, prefix bert.`.
    public var scheme: String
    public var tensors: [ExpectedTensor]
    /// Names starting with this, then a decimal layer index and a dot, belong to that layer.
    public var layerPrefix: String
    /// Name suffixes of buffers that may appear anywhere (HF is lenient about them).
    public var bufferSuffixes: [String]

    public init(scheme: String, tensors: [ExpectedTensor], layerPrefix: String, bufferSuffixes: [String] = []) {
        self.scheme = scheme
        self.tensors = tensors
        self.layerPrefix = layerPrefix
        self.bufferSuffixes = bufferSuffixes
    }

    /// The layer index of `name`, when it is a layer tensor of this scheme.
    func layerIndex(of name: String) -> Int? {
        guard name.hasPrefix(layerPrefix) else { return nil }
        var value = 0
        var digits = 0
        for byte in name.utf8.dropFirst(layerPrefix.utf8.count) {
            if byte == UInt8(ascii: ".") { return digits > 0 ? value : nil }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 9 else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
        }
        return nil
    }

    /// Buffers any architecture may carry: transformers registers `position_ids` in many modules.
    static let commonBufferSuffixes = [".position_ids"]

    func isBuffer(_ name: String) -> Bool {
        bufferSuffixes.contains { name.hasSuffix($0) } || Self.commonBufferSuffixes.contains { name.hasSuffix($0) }
    }
}

/// Builds a layout's tensor list; `product` multiplies sizes (either `nil` gives `nil`).
struct LayoutBuilder {
    private(set) var tensors: [ExpectedTensor] = []

    mutating func add(_ name: String, _ shape: [Int?], _ role: ExpectedTensor.Role = .required) {
        tensors.append(ExpectedTensor(name, shape, role))
    }

    /// A `.weight` [rows, columns] and, when `bias` is given, a `.bias` [rows].
    mutating func linear(_ name: String, rows: Int?, columns: Int?, bias: ExpectedTensor.Role? = .required,
                         _ role: ExpectedTensor.Role = .required)
    {
        add(name + ".weight", [rows, columns], role)
        if let bias { add(name + ".bias", [rows], bias) }
    }

    /// A norm's `.weight` [size] and, when `bias` is given, `.bias` [size].
    mutating func norm(_ name: String, _ size: Int?, bias: Bool = true, _ role: ExpectedTensor.Role = .required) {
        add(name + ".weight", [size], role)
        if bias { add(name + ".bias", [size], role) }
    }

    static func product(_ a: Int?, _ b: Int?) -> Int? {
        guard let a, let b else { return nil }
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }
}
