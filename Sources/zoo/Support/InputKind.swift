#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooConverters
import ZooFormat

/// What a path given to `zoo import` or `zoo verify` holds, decided by content, not by name.
enum InputKind: Equatable {
    /// A zoo checkpoint folder (has `manifest.json`).
    case checkpointFolder
    /// A Hugging Face model folder (has `model.safetensors` or `model.safetensors.index.json`).
    case huggingFaceFolder
    /// A `.safetensors` file: an 8-byte little-endian header length, then `{`.
    case safetensorsFile
    /// A `.zoo` archive, plain tar or zstd-compressed.
    case archive(ArchiveCompression)
    /// A GGUF file (llama.cpp): starts with `GGUF`.
    case ggufFile
    /// A NumPy `.npy` array (`\x93NUMPY`) or `.npz` archive (a zip whose first member is a `.npy`).
    case numpyFile(NumPy.FileKind)
    /// A PyTorch checkpoint: a `torch.save` zip (`<name>/data.pkl` among its members), or a
    /// legacy pre-1.6 pickle, which the importer refuses with an explanation.
    case pytorchFile

    /// Sniffs the file or folder at `path`.
    static func detect(_ path: String) throws(InputError) -> InputKind {
        switch FileSystem.kind(of: path) {
        case .missing:
            throw InputError.notFound(path)
        case .directory:
            if FileSystem.kind(of: path + "/manifest.json") == .regular { return .checkpointFolder }
            if FileSystem.kind(of: path + "/model.safetensors") == .regular
                || FileSystem.kind(of: path + "/model.safetensors.index.json") == .regular
            {
                return .huggingFaceFolder
            }
            throw InputError.unrecognized(path)
        default:
            if let compression = CheckpointArchive.compression(ofFileAt: path) { return .archive(compression) }
            if GGUF.isGGUF(fileAt: path) { return .ggufFile }
            if let kind = NumPy.kind(ofFileAt: path) { return .numpyFile(kind) }
            if looksLikeSafetensors(path) { return .safetensorsFile }
            if PyTorchZip.kind(ofFileAt: path) != nil { return .pytorchFile }
            throw InputError.unrecognized(path)
        }
    }

    /// 8 bytes of header length followed by `{` (the header is a JSON object).
    private static func looksLikeSafetensors(_ path: String) -> Bool {
        guard let fd = try? FileSystem.openForReading(path) else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 9)
        let count = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 9, 0) }
        return count == 9 && head[8] == UInt8(ascii: "{")
    }
}

/// A command-line input the CLI cannot use.
enum InputError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case unrecognized(String)
    case outputExists(String)
    /// Compiled without a converter for this input.
    case unsupported(String, why: String)

    var description: String {
        switch self {
        case let .notFound(path): "\(path): no such file or directory"
        case let .unrecognized(path):
            "\(path): not a .safetensors file, a GGUF file, a NumPy .npy/.npz file, a PyTorch checkpoint (torch.save zip), a .zoo archive, a checkpoint folder (manifest.json) or a Hugging Face model folder (model.safetensors)"
        case let .outputExists(path): "\(path) already exists (use --force to overwrite it)"
        case let .unsupported(path, why): "\(path): \(why)"
        }
    }
}
