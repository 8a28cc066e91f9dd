import ZooFormat

/// Why tensors could not be taken from a checkpoint. (A state dict that does not fit the model
/// throws TrainingCore's ``TrainingCore/LoadError`` instead, with the full report.)
public struct CheckpointLoadError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// Reading the checkpoint failed (a shard missing or shorter than its manifest says).
        case checkpoint(FormatError)
        /// A tensor about to be loaded holds NaN or infinity: `count` of them, the first at
        /// flat index `index`. `tensor` is the checkpoint name, `key` the model key.
        case nonFinite(tensor: String, key: String, index: Int, count: Int)
        /// Several checkpoint tensors map to the same model key.
        case duplicateKey(String, tensors: [String])
        /// A `rename` rule whose regular expression does not compile.
        case invalidKeyPattern(String, message: String)
        /// A tensor of a dtype zoo carries but does not decode (C64, F4, F6, F8_E8M0, FNUZ floats).
        case undecodableDType(tensor: String, dtype: DType)
    }

    /// The checkpoint's location (folder, archive or store blob).
    public var location: String
    public var reason: Reason

    public init(location: String, reason: Reason) {
        self.location = location
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .checkpoint(error):
            return "\(error)"
        case let .nonFinite(tensor, key, index, count):
            let name = tensor == key ? "'\(tensor)'" : "'\(tensor)' (model key '\(key)')"
            return "\(location): tensor \(name) holds \(count) NaN or infinite value\(count == 1 ? "" : "s"), "
                + "the first at element \(index)"
        case let .duplicateKey(key, tensors):
            return "\(location): tensors \(tensors.map { "'\($0)'" }.joined(separator: ", ")) all map to key '\(key)'"
        case let .invalidKeyPattern(pattern, message):
            return "\(location): invalid regular expression \"\(pattern)\": \(message)"
        case let .undecodableDType(tensor, dtype):
            return "\(location): tensor '\(tensor)' is \(dtype.rawValue), which zoo stores and exports bit-exact but "
                + "cannot decode into Float32 for a model"
        }
    }
}
