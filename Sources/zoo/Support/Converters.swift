import ZooConverters
import ZooFormat
import ZooStore

/// The CLI's bridge to the safetensors converter in ZooConverters.
enum Converters {
    /// Converts a `.safetensors` file or a Hugging Face folder into a checkpoint folder at
    /// `destination` and returns its manifest (named after the file or folder).
    @discardableResult
    static func importSafetensors(from path: String, to destination: String) throws -> Manifest {
        try SafetensorsImporter().importModel(from: path, to: destination)
    }

    /// Converts a PyTorch checkpoint (`torch.save` zip) into a checkpoint folder at `destination`
    /// and returns its manifest (named after the file, without `.pt`, `.pth` or `.bin`).
    @discardableResult
    static func importPyTorch(from path: String, to destination: String) throws -> Manifest {
        try PyTorchImporter().importFile(path, to: destination)
    }

    /// Converts a GGUF file into a checkpoint folder at `destination` (named after `general.name`,
    /// else the file).
    @discardableResult
    static func importGGUF(from path: String, to destination: String) throws -> Manifest {
        try GGUFImporter().importFile(path, to: destination)
    }

    /// Converts a `.npy` or `.npz` file into a checkpoint folder at `destination`.
    @discardableResult
    static func importNumPy(from path: String, to destination: String) throws -> Manifest {
        try NumPyImporter().importFile(path, to: destination)
    }

    /// Converts a GGUF or NumPy file (sniffed by content) into a checkpoint folder at `destination`.
    @discardableResult
    static func importForeign(_ path: String, to destination: String) throws -> Manifest {
        GGUF.isGGUF(fileAt: path) ? try importGGUF(from: path, to: destination) : try importNumPy(from: path, to: destination)
    }

    /// Writes `checkpoint` as a GGUF file at `destination` (errors name `output`, where it will be
    /// moved); returns the asset paths not written.
    static func exportGGUF(_ checkpoint: Checkpoint, to destination: String, output: String, refreshFileType: Bool) throws -> [String] {
        do {
            return try GGUFExporter(refreshFileType: refreshFileType).export(checkpoint, to: destination).skippedAssets
        } catch where error.file == destination {
            throw GGUFError(file: output, offset: error.offset, reason: error.reason)
        }
    }

    /// Writes `checkpoint` as an `.npz` at `destination` (errors name `output`, where it will be
    /// moved); returns the asset paths not written.
    static func exportNPZ(_ checkpoint: Checkpoint, to destination: String, output: String) throws -> [String] {
        do {
            return try NumPyExporter().exportNPZ(checkpoint, to: destination).skippedAssets
        } catch where error.file == destination {
            throw NumPyError(file: output, member: error.member, offset: error.offset, reason: error.reason)
        }
    }

    /// Writes `checkpoint` with its floating-point tensors converted to `dtype` as a new folder at
    /// `destination`, with `lineage`; warns on stderr about values that overflowed.
    @discardableResult
    static func convert(_ checkpoint: Checkpoint, to dtype: TargetDType, destination: String, lineage: Lineage?) throws -> Manifest {
        let result = try DTypeConverter(target: dtype.dtype).convert(checkpoint, to: destination, lineage: lineage)
        Zoo.Convert.warn(result.overflows)
        return result.manifest
    }

    /// Writes `checkpoint` as one `.safetensors` file, or as a sharded Hugging Face folder
    /// when `maxShardSize` is given, at `destination` (which must not exist).
    static func exportSafetensors(_ checkpoint: Checkpoint, to destination: String, maxShardSize: Int?) throws {
        if let maxShardSize {
            try SafetensorsExporter(maxShardByteCount: maxShardSize).exportFolder(checkpoint, to: destination)
        } else {
            try SafetensorsExporter().exportFile(checkpoint, to: destination)
        }
    }
}
