/// `architecture.config` as the architecture check reads it: sizes under any of the names
/// Hugging Face and GGUF give them, bounded so that a hostile config cannot make the check
/// allocate or overflow.
public struct ArchitectureConfig: Sendable {
    /// The largest size accepted for any dimension; a larger value is treated as absent (with a note).
    public static let maxDimension = 1 << 40
    /// The largest layer count accepted.
    public static let maxLayers = 1 << 20
    /// The largest expert count accepted (a Hugging Face MoE layer lists each expert's tensors).
    public static let maxExperts = 1 << 16

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

    /// Like ``size(_:limit:)``, but 0 means absent: GGUF writers put `expert_count = 0` in
    /// dense models.
    public func count(_ keys: [String], limit: Int = maxDimension) throws(ArchitectureNote) -> Int? {
        guard let key = keys.first(where: { values[$0].map { $0 != .null } ?? false }) else { return nil }
        if values[key]?.integerValue == 0 { return nil }
        return try size([key], limit: limit)
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
