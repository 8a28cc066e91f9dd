/// The architectures zoo checks. To add one, write a ``KnownArchitecture`` in its own file and
/// list it here.
public enum ArchitectureTable {
    public static let known: [any KnownArchitecture] = [BertArchitecture(), GPT2Architecture(), LlamaArchitecture()]

    /// The architecture for `type` (case-insensitive), if known.
    public static func architecture(forType type: String) -> (any KnownArchitecture)? {
        let key = type.lowercased()
        return known.first { $0.types.contains(key) }
    }

    /// Every type the table knows, sorted.
    public static var knownTypes: [String] { known.flatMap(\.types).sorted() }
}
