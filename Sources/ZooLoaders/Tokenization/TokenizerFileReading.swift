import ZooFormat

/// Reading one tokenizer file with a size bound, from a checkpoint's assets or a model folder:
/// what ``TokenizerFiles`` (WordPiece) and ``BPETokenizerFiles`` share. Each maps a
/// ``Failure`` to its own error type.
enum TokenizerFileReading {
    /// Why a file that is there could not be taken; `file` is the path messages name.
    enum Failure: Error {
        case tooLarge(file: String, byteCount: Int)
        case checkpoint(file: String, FormatError)
        case io(file: String, IOError)
    }

    /// The asset `name` (at the root or under `assets/`) of `checkpoint`, `nil` when it has none.
    static func asset(_ name: String, of checkpoint: Checkpoint, location: String, limit: Int) throws(Failure) -> [UInt8]? {
        guard let entry = checkpoint.manifest.assets.first(where: { $0.path == "assets/" + name || $0.path == name })
        else { return nil }
        let file = location + "/" + entry.path
        guard entry.length <= limit else { throw .tooLarge(file: file, byteCount: entry.length) }
        do { return try checkpoint.asset(path: entry.path) } catch { throw .checkpoint(file: file, error) }
    }

    /// The file `name` of `folder`, `nil` when it is missing.
    static func file(_ name: String, in folder: String, limit: Int) throws(Failure) -> [UInt8]? {
        let path = folder + "/" + name
        guard FileSystem.kind(of: path) != .missing else { return nil }
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path, limit: limit) } catch { throw .io(file: path, error) }
        guard let bytes else { throw .tooLarge(file: path, byteCount: (try? FileSystem.fileSize(path)) ?? 0) }
        return bytes
    }
}
