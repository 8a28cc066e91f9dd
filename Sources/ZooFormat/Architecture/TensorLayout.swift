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
