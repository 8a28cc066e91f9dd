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
