import ZooFormat

/// Imports a GGUF file into a zoo checkpoint folder.
///
/// The file is validated completely (``GGUFFile``) before the first byte is written; tensors are
/// then streamed from the memory-mapped file into a ``ZooFormat/CheckpointWriter`` (which hashes
/// them), in tensor-info order, so the model is never held twice in memory.
///
/// What the checkpoint records (`spec/gguf.md`):
/// - tensors under their GGUF names, unchanged; shape = GGUF dimensions reversed; `Q8_0` stays
///   `Q8_0`;
/// - name: `general.name`, else the file name without `.gguf`;
/// - architecture: type `general.architecture`, config = the `<arch>.*` keys (plus Hugging Face
///   aliases such as `num_hidden_layers`), family inferred;
/// - metadata: `"source.format": "gguf"` and `"gguf.metadata"`, every key-value pair in file
///   order with its GGUF type, so ``GGUFExporter`` writes the same file back;
/// - lineage: from `zoo.lineage.*`, else `general.base_model.*` as the recipe.
///
/// ```swift
/// let manifest = try GGUFImporter().importFile("tinyllama.gguf", to: "out/tinyllama")
/// print(manifest.architecture.type, manifest.tensors.count)   // llama 201
/// ```
public struct GGUFImporter: Sendable {
    /// The model name; nil takes `general.name`, else the file's name without `.gguf`.
    public var name: String?
    /// How the checkpoint writer lays out shards.
    public var writerOptions: WriterOptions

    /// Metadata keys written into the manifest.
    public enum MetadataKey {
        /// `"gguf"`, under ``sourceFormat``.
        public static let sourceFormat = "source.format"
        /// Every key-value pair, typed, in file order.
        public static let metadata = "gguf.metadata"
    }

    public init(name: String? = nil, writerOptions: WriterOptions = .init()) {
        self.name = name
        self.writerOptions = writerOptions
    }

    /// Imports the GGUF file at `path` into a new checkpoint folder at `destination` (which must
    /// not exist). Returns its manifest.
    @discardableResult
    public func importFile(_ path: String, to destination: String) throws(GGUFError) -> Manifest {
        let file = try GGUFFile(path: path)
        return try importFile(file, to: destination)
    }

    /// Imports an opened GGUF file into a new checkpoint folder at `destination`.
    @discardableResult
    public func importFile(_ file: GGUFFile, to destination: String) throws(GGUFError) -> Manifest {
        let model = try model(of: file)
        do { return try model.write(to: destination, options: writerOptions) } catch {
            throw GGUFError(file: destination, reason: .checkpoint(error))
        }
    }

    /// The model an opened GGUF file holds, ready to be written.
    ///
    /// - Throws: ``GGUFError/Reason/splitPart(number:count:)`` for one part of a split model
    ///   (`gguf-split`: `split.count` > 1), which holds only some of the model's tensors;
    ///   ``GGUFError/Reason/noTensors(dataBytes:)`` for a file that declares no tensor but
    ///   holds data.
    public func model(of file: GGUFFile) throws(GGUFError) -> ForeignModel {
        if let count = file.value(forKey: GGUF.Key.splitCount)?.integerValue, count > 1 {
            let number = file.value(forKey: GGUF.Key.splitNumber)?.integerValue.map { $0 + 1 }
            throw GGUFError(file: file.path, reason: .splitPart(number: number, count: count))
        }
        // A vocab-only file has no tensors and no data; data without tensors is a damaged count.
        if file.tensors.isEmpty, file.fileSize > file.dataStart {
            throw GGUFError(file: file.path, offset: file.dataStart, reason: .noTensors(dataBytes: file.fileSize - file.dataStart))
        }
        var base = FileSystem.lastComponent(of: file.path)
        if base.hasSuffix(".gguf"), base.count > ".gguf".count { base.removeLast(".gguf".count) }
        let storedName = file.value(forKey: GGUF.Key.name)?.stringValue ?? ""
        var tensors = ForeignTensors()
        tensors.retain(file)
        for tensor in file.tensors {
            tensors.append(TensorDescriptor(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape),
                           .mapped(tensor.bytes, willNeed: { file.willNeed(tensor) }))
        }
        return ForeignModel(
            format: .gguf, name: name ?? (storedName.isEmpty ? base : storedName),
            architecture: GGUFArchitecture.architecture(of: file),
            metadata: [MetadataKey.sourceFormat: "gguf", MetadataKey.metadata: .array(file.metadata.map(\.typedJSON))],
            lineage: GGUFArchitecture.lineage(of: file), tensors: tensors)
    }
}
