import ZooFormat

/// Imports a PyTorch zip checkpoint (`torch.save` since torch 1.6: `pytorch_model.bin`, `.pt`,
/// `.pth`) into a zoo checkpoint folder, without Python and without running the pickle.
///
/// The whole file is validated (``PyTorchCheckpoint``) before the first byte is written.
/// Contiguous tensors are streamed from the mapped file straight into the
/// ``ZooFormat/CheckpointWriter`` (zero copy); non-contiguous views (a transposed `w.t()`, a
/// column slice) are gathered into contiguous row-major bytes on the way. Tensors sharing a
/// storage (tied embeddings, slices of one buffer) each get their own bytes, and are listed
/// together in the metadata.
///
/// The manifest's metadata records the source: `"source.format": "pytorch"`,
/// `"pytorch.archive"` (the members' folder name), and when they apply `"pytorch.selected"`,
/// `"pytorch.skipped"`, `"pytorch.values"` and `"pytorch.shared_storages"` (see ``MetadataKey``).
///
/// ```swift
/// let manifest = try PyTorchImporter(name: "resnet").importFile("resnet18.pth", to: "out/resnet")
/// print(manifest.digest, manifest.tensors.count)
/// ```
public struct PyTorchImporter: Sendable {
    /// The model name; nil takes the file's name without `.pt`, `.pth`, `.bin` or `.ckpt`.
    public var name: String?
    /// The architecture to record; nil records family `other`, type `unknown`.
    public var architecture: Architecture?
    /// Which tensors of a training checkpoint are imported.
    public var selection: PyTorchSelection
    /// How the checkpoint writer lays out shards.
    public var writerOptions: WriterOptions

    /// Metadata keys written into the manifest.
    public enum MetadataKey {
        /// `"pytorch"`.
        public static let sourceFormat = "source.format"
        /// The folder name of the zip's members (`"archive"`).
        public static let archive = "pytorch.archive"
        /// The top-level key whose entry was imported (e.g. `"model"`), when one was selected.
        public static let selected = "pytorch.selected"
        /// Top-level keys holding tensors that were not imported (e.g. `["optimizer"]`).
        public static let skipped = "pytorch.skipped"
        /// Simple values by dotted path (e.g. `{"epoch": 3, "lr": 0.1}`).
        public static let values = "pytorch.values"
        /// Groups of tensor names that shared one storage in the file (e.g. tied embeddings).
        public static let sharedStorages = "pytorch.shared_storages"
    }

    public init(
        name: String? = nil, architecture: Architecture? = nil, selection: PyTorchSelection = .automatic,
        writerOptions: WriterOptions = .init()
    ) {
        self.name = name
        self.architecture = architecture
        self.selection = selection
        self.writerOptions = writerOptions
    }

    /// Imports the checkpoint at `path` into a new checkpoint folder at `destination` (which
    /// must not exist). Returns its manifest. On any error nothing is left at `destination`.
    @discardableResult
    public func importFile(_ path: String, to destination: String) throws(PyTorchError) -> Manifest {
        let checkpoint = try PyTorchCheckpoint(path: path, selection: selection)
        return try write(checkpoint, to: destination)
    }

    /// Writes an opened checkpoint's selected tensors into a new checkpoint folder at `destination`.
    @discardableResult
    public func write(_ checkpoint: PyTorchCheckpoint, to destination: String) throws(PyTorchError) -> Manifest {
        do { return try model(of: checkpoint).write(to: destination, options: writerOptions) } catch {
            throw PyTorchError(file: destination, reason: .checkpoint(error))
        }
    }

    /// The model an opened checkpoint holds: contiguous tensors as views of the mapped zip,
    /// strided views gathered while they are written.
    public func model(of checkpoint: PyTorchCheckpoint) -> ForeignModel {
        var tensors = ForeignTensors()
        tensors.retain(checkpoint)
        for tensor in checkpoint.tensors { Self.append(tensor, of: checkpoint, to: &tensors) }
        return ForeignModel(
            format: .pytorch, name: name ?? Self.defaultName(checkpoint.path),
            architecture: architecture ?? Architecture(family: .other, type: "unknown"),
            metadata: Self.metadata(checkpoint), tensors: tensors)
    }

    /// Adds one tensor of `checkpoint` (which `tensors` must retain): a view of the mapped zip
    /// when contiguous, else gathered while it is written.
    static func append(_ tensor: PyTorchTensor, of checkpoint: PyTorchCheckpoint, to tensors: inout ForeignTensors) {
        let descriptor = TensorDescriptor(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape)
        if let bytes = tensor.contiguousBytes {
            tensors.append(descriptor, .mapped(bytes, willNeed: { checkpoint.willNeed(tensor) }))
        } else {
            tensors.append(descriptor, .produced { sink in
                try tensor.forEachChunk { (chunk) throws(FormatError) in try sink.write(chunk) }
            })
        }
    }

    /// The manifest metadata describing where the tensors came from.
    static func metadata(_ checkpoint: PyTorchCheckpoint) -> [String: JSONValue] {
        var metadata: [String: JSONValue] = [
            MetadataKey.sourceFormat: "pytorch",
            MetadataKey.archive: .string(checkpoint.archiveName),
        ]
        if let key = checkpoint.selectedKey { metadata[MetadataKey.selected] = .string(key) }
        if !checkpoint.skippedKeys.isEmpty { metadata[MetadataKey.skipped] = .array(checkpoint.skippedKeys.map { .string($0) }) }
        if !checkpoint.values.isEmpty { metadata[MetadataKey.values] = .object(checkpoint.values) }
        if !checkpoint.sharedStorages.isEmpty {
            metadata[MetadataKey.sharedStorages] = .array(checkpoint.sharedStorages.map { .array($0.map { .string($0) }) })
        }
        return metadata
    }

    /// `pytorch_model.bin` -> `pytorch_model`, `resnet18.pth` -> `resnet18`.
    static func defaultName(_ path: String) -> String {
        var base = path.split(separator: "/").last.map(String.init) ?? path
        for suffix in [".pt", ".pth", ".bin", ".ckpt"] where base.hasSuffix(suffix) && base.count > suffix.count {
            base.removeLast(suffix.count)
            break
        }
        return base
    }
}
