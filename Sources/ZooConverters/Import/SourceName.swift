#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// The name a file or folder suggests for the model it holds, taken from its path: what
/// `zoo import` stores a foreign model under when no `--name` is given.
///
/// The rules, in order:
/// - a Hugging Face cache folder (`models--ORG--NAME`, or a snapshot inside one,
///   `models--ORG--NAME/snapshots/<revision>`) gives its repo id, `ORG/NAME`;
/// - a file whose stem is one of the generic names Hugging Face and PyTorch use for weights
///   (`model.safetensors`, `pytorch_model.bin`, `model-00001-of-00002.safetensors`, ...) gives
///   its folder's name, so `bert-tiny/model.safetensors` is `bert-tiny`, never `model`;
/// - any other file gives its name without the format's extension (`tiny.gguf` -> `tiny`), and
///   a folder its own name.
///
/// A name recorded inside the file (GGUF `general.name`, a config's `_name_or_path`) is not
/// used here: it is often stale or shared by unrelated files (two fine-tunes of one base).
public enum SourceName {
    /// Extensions removed from a file name (the longest match first: `.zoo.zst`).
    static let extensions = [".zoo.zst", ".zst", ".zoo", ".safetensors", ".gguf", ".npz", ".npy", ".pt", ".pth",
                             ".bin", ".ckpt", ".json"]
    /// Weight-file stems that say nothing about the model.
    static let genericStems: Set<String> = [
        "model", "pytorch_model", "tf_model", "flax_model", "consolidated", "adapter_model",
        "diffusion_pytorch_model",
    ]

    /// The suggested name for the model at `path` (not sanitised), or nil when the path has
    /// no usable component (`/`).
    public static func suggested(forPath path: String) -> String? {
        let components = absoluteComponents(of: path)
        guard let last = components.last else { return nil }
        if let repo = huggingFaceCacheRepo(components) { return repo }
        guard FileSystem.kind(of: path) != .directory else { return last }
        let stem = stem(of: last)
        if isGeneric(stem), components.count >= 2 {
            let folder = Array(components.dropLast())
            return huggingFaceCacheRepo(folder) ?? folder.last
        }
        return stem
    }

    /// `bert.zoo.zst` -> `bert`, `pytorch_model.bin` -> `pytorch_model`.
    static func stem(of fileName: String) -> String {
        for suffix in extensions where fileName.hasSuffix(suffix) && fileName.count > suffix.count {
            return String(fileName.dropLast(suffix.count))
        }
        return fileName
    }

    /// Whether `stem` is a generic weights name, alone or as one shard of a series
    /// (`model-00001-of-00003`).
    static func isGeneric(_ stem: String) -> Bool {
        if genericStems.contains(stem.lowercased()) { return true }
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[parts.count - 2] == "of",
            parts[parts.count - 1].allSatisfy(\.isNumber), parts[parts.count - 3].allSatisfy(\.isNumber)
        else { return false }
        return genericStems.contains(parts.dropLast(3).joined(separator: "-").lowercased())
    }

    /// `ORG/NAME` when `components` end at `models--ORG--NAME` or at `models--ORG--NAME/snapshots/<rev>`.
    static func huggingFaceCacheRepo(_ components: [String]) -> String? {
        var candidates = [components.last]
        if components.count >= 3, components[components.count - 2] == "snapshots" {
            candidates.append(components[components.count - 3])
        }
        // huggingface_hub's folder naming, in one place (HuggingFaceCache); empty parts are no repo id.
        for case let folder? in candidates {
            guard let repo = HuggingFaceCache.repoID(folderName: folder),
                repo.split(separator: "/", omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty })
            else { continue }
            return repo
        }
        return nil
    }

    /// The path's components with `.` and `..` resolved against the working directory
    /// (`zoo import .` names the folder it is run in).
    static func absoluteComponents(of path: String) -> [String] {
        var full = path
        if !path.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if getcwd(&buffer, buffer.count) != nil {
                full = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + path
            }
        }
        var components: [String] = []
        for component in full.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(String(component))
            }
        }
        return components
    }
}
