import ZooFormat

/// What a file or folder holds, decided by content, not by name: the one place `zoo import`,
/// `zoo verify` and the libraries sniff inputs.
public enum ModelFormat: String, Sendable, Equatable, CaseIterable {
    /// A zoo checkpoint folder (has `manifest.json`).
    case checkpointFolder = "zoo"
    /// A `.zoo` archive (plain tar).
    case archive = "zoo-archive"
    /// A `.zoo.zst` archive (zstd-compressed tar).
    case compressedArchive = "zoo-archive-zstd"
    /// A `.safetensors` file: an 8-byte little-endian header length, then `{`.
    case safetensors
    /// A Hugging Face model folder (`model.safetensors` or `model.safetensors.index.json`;
    /// `pytorch_model.bin` or `pytorch_model.bin.index.json`; or one `.gguf` file), or a hub
    /// cache folder (``HuggingFaceCache``).
    case huggingFaceFolder = "huggingface"
    /// A GGUF file (llama.cpp): starts with `GGUF`.
    case gguf
    /// A NumPy `.npy` array (`\x93NUMPY`).
    case npy
    /// A NumPy `.npz` archive (a zip whose first member is a `.npy`).
    case npz
    /// A PyTorch checkpoint: a `torch.save` zip, or a legacy pickle (refused with an explanation).
    case pytorch

    /// Sniffs the file or folder at `path`; nil when it holds none of the formats (or is missing).
    public static func detect(_ path: String) -> ModelFormat? {
        switch FileSystem.kind(of: path) {
        case .missing:
            return nil
        case .directory:
            if FileSystem.kind(of: path + "/manifest.json") == .regular { return .checkpointFolder }
            if FileSystem.kind(of: path + "/" + SafetensorsImporter.singleFileName) == .regular
                || FileSystem.kind(of: path + "/" + SafetensorsImporter.indexFileName) == .regular
            {
                return .huggingFaceFolder
            }
            // A hub cache folder (models--ORG--NAME or its snapshots/<commit>): links into blobs/.
            if HuggingFaceCache.location(of: path) != nil { return .huggingFaceFolder }
            if HuggingFaceFolder.holdsWeights(path) { return .huggingFaceFolder }  // PyTorch .bin, one .gguf
            return nil
        default:
            switch CheckpointArchive.compression(ofFileAt: path) {
            case .none?: return .archive
            case .zstd?: return .compressedArchive
            case nil: break
            }
            if GGUF.isGGUF(fileAt: path) { return .gguf }
            switch NumPy.kind(ofFileAt: path) {
            case .npy?: return .npy
            case .npz?: return .npz
            case nil: break
            }
            if Safetensors.looksLikeSafetensors(fileAt: path) { return .safetensors }
            if PyTorchZip.kind(ofFileAt: path) != nil { return .pytorch }
            return nil
        }
    }

    /// Whether the format is a zoo checkpoint (read in place, not converted).
    public var isCheckpoint: Bool { self == .checkpointFolder || self == .archive || self == .compressedArchive }
}
