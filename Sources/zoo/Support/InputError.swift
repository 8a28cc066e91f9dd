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
    /// A folder holding none of the known layouts; `found` is what it holds (a few names).
    case unrecognizedFolder(String, found: [String], more: Int)
    case outputExists(String)
    /// Compiled without a converter for this input.
    case unsupported(String, why: String)

    /// The format of the file or folder at `path` (``ZooConverters/ModelFormat/detect(_:)``).
    static func format(of path: String) throws(InputError) -> ModelFormat {
        if let format = ModelFormat.detect(path) { return format }
        switch FileSystem.kind(of: path) {
        case .missing: throw InputError.notFound(path)
        case .directory:
            let names = ((try? FileSystem.listDirectory(path)) ?? []).sorted()
            throw InputError.unrecognizedFolder(path, found: Array(names.prefix(maxListed)), more: max(0, names.count - maxListed))
        default: throw InputError.unrecognized(path)
        }
    }

    /// How many of an unrecognised folder's entries an error names.
    static let maxListed = 12

    var description: String {
        switch self {
        case let .notFound(path): "\(path): no such file or directory"
        case let .unrecognized(path):
            "\(path): not a .safetensors file, a GGUF file, a NumPy .npy/.npz file, a PyTorch checkpoint (torch.save zip), a .zoo archive, a checkpoint folder (manifest.json) or a Hugging Face model folder (model.safetensors)"
        case let .unrecognizedFolder(path, found, more):
            "\(path): not a checkpoint folder (manifest.json) or a Hugging Face model folder (model.safetensors, "
                + "model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json or one .gguf); it holds "
                + (found.isEmpty ? "nothing" : found.joined(separator: ", ") + (more > 0 ? " and \(more) more" : ""))
        case let .outputExists(path): "\(path) already exists (use --force to overwrite it)"
        case let .unsupported(path, why): "\(path): \(why)"
        }
    }
}
