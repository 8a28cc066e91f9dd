/// `architecture.config` as the architecture check reads it: sizes under any of the names
/// Hugging Face and GGUF give them, bounded so that a hostile config cannot make the check
/// allocate or overflow.
public struct ArchitectureConfig: Sendable {
    /// The largest size accepted for any dimension; a larger value is treated as absent (with a note).
    public static let maxDimension = 1 << 40
    /// The largest layer count accepted.
    public static let maxLayers = 1 << 20

    public let values: [String: JSONValue]

    public init(_ values: [String: JSONValue]) { self.values = values }

    /// The first of `keys` present, as a positive size; `nil` when none is present.
    /// - Throws: a note naming the key when its value is not a positive integer up to `limit`.
    public func size(_ keys: [String], limit: Int = maxDimension) throws(ArchitectureNote) -> Int? {
        for key in keys {
            guard let value = values[key], value != .null else { continue }
            guard let number = value.integerValue, number > 0, number <= Int64(limit) else {
                throw .invalidValue(key: key, value: String(decoding: value.canonicalBytes, as: UTF8.self))
            }
            return Int(number)
        }
        return nil
    }

    /// Like ``size(_:limit:)``, but a key the config must have: its absence is a note.
    public func requiredSize(_ keys: [String], limit: Int = maxDimension) throws(ArchitectureNote) -> Int {
        guard let size = try size(keys, limit: limit) else { throw .missingKey(keys) }
        return size
    }

    /// The number of labels a classification head has: `num_labels`, else the size of `id2label`.
    public var labelCount: Int? {
        if let count = try? size(["num_labels"], limit: 1 << 24) { return count }
        if let labels = values["id2label"]?.objectValue, !labels.isEmpty { return labels.count }
        return nil
    }

    /// A boolean member; `nil` when absent or not a boolean.
    public func flag(_ key: String) -> Bool? {
        if case let .bool(value)? = values[key] { return value }
        return nil
    }
}

/// Why the check could not compare a checkpoint with its architecture: never an error, the
/// checkpoint passes with this note.
public enum ArchitectureNote: Error, Sendable, Equatable, CustomStringConvertible {
    /// `architecture.type` is none the table knows.
    case unknownArchitecture(type: String)
    /// The config has none of these keys (alternative names of one size).
    case missingKey([String])
    /// A size key holds something other than a positive integer in range.
    case invalidValue(key: String, value: String)
    /// No tensor has a name of any of the architecture's schemes.
    case unrecognisedNames(architecture: String, example: String)

    public var description: String {
        switch self {
        case let .unknownArchitecture(type):
            "architecture '\(type)' is not one zoo knows (\(ArchitectureTable.knownTypes.joined(separator: ", "))): tensors not checked"
        case let .missingKey(keys):
            "the config has no \(keys[0])" + (keys.count > 1 ? " (nor \(keys.dropFirst().joined(separator: ", ")))" : "")
                + ": tensors not checked against it"
        case let .invalidValue(key, value):
            "the config's \(key) is \(value), not a size: tensors not checked against it"
        case let .unrecognisedNames(architecture, example):
            "no tensor is named as zoo knows \(architecture) checkpoints (e.g. \(example)): tensors not checked"
        }
    }
}
