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
