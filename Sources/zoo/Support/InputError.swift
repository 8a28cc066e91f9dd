#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooConverters
import ZooFormat

/// A command-line input the CLI cannot use.
enum InputError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case unrecognized(String)
    case outputExists(String)
    /// Compiled without a converter for this input.
    case unsupported(String, why: String)

    /// The format of the file or folder at `path` (``ZooConverters/ModelFormat/detect(_:)``).
    static func format(of path: String) throws(InputError) -> ModelFormat {
        if let format = ModelFormat.detect(path) { return format }
        throw FileSystem.kind(of: path) == .missing ? InputError.notFound(path) : InputError.unrecognized(path)
    }

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
