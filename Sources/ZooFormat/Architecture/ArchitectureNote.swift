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
    /// The config implies more layer tensors for the layers present than the check lists
    /// (``ArchitectureCheck``: 4 per tensor held, plus 100,000).
    case tooManyExpected(implied: Int, layers: Int, present: Int)

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
        case let .tooManyExpected(implied, layers, present):
            "the config implies \(implied) tensors for the \(layers) layer\(layers == 1 ? "" : "s") present, the checkpoint "
                + "holds \(present): tensors not checked"
        }
    }
}
