import ZooConverters
import ZooFormat
import ZooStore

/// The CLI's bridge to the exporters and the dtype converter in ZooConverters.
enum Converters {
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
