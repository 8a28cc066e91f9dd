import ZooFormat

/// A model read from a foreign format (safetensors, GGUF, NumPy, PyTorch), validated and ready
/// to be written as a zoo checkpoint: what every importer produces, and the one place that
/// feeds a ``ZooFormat/CheckpointWriter`` for them.
///
/// ```swift
/// let model = try ForeignModel.open("hf/bert-tiny")              // sniffed by content
/// let manifest = try model.write(to: "out/bert-tiny")
/// ```
public struct ForeignModel: @unchecked Sendable {
    /// The format the model was read from.
    public var format: ModelFormat
    /// The model name the manifest records (not a store reference).
    public var name: String
    public var architecture: Architecture
    public var metadata: [String: JSONValue]
    public var lineage: Lineage?
    /// Files to keep as assets: the path under `assets/` and the file to copy.
    public var assets: [(name: String, path: String)]
    /// The tensors, in the source's order.
    public var tensors: any TensorSource
    /// Files of a model folder the import neither reads nor keeps: weights in other formats or
    /// places (`tf_model.h5`, `onnx/model.onnx`), relative to the folder. Callers say so; nothing
    /// is dropped silently.
    public var leftOut: [String] = []

    public init(format: ModelFormat, name: String, architecture: Architecture, metadata: [String: JSONValue],
                lineage: Lineage? = nil, assets: [(name: String, path: String)] = [], tensors: any TensorSource)
    {
        self.format = format
        self.name = name
        self.architecture = architecture
        self.metadata = metadata
        self.lineage = lineage
        self.assets = assets
        self.tensors = tensors
    }

    /// Writes the model as a new checkpoint folder at `destination` (which must not exist) and
    /// returns its manifest. Nothing is left at `destination` on failure.
    ///
    /// The file system's free space is checked against the tensors' size first
    /// (``FormatError/Reason/insufficientSpace(needed:available:)``); a disk that fills anyway
    /// fails with the `ENOSPC` of the write, and the partial folder is removed.
    @discardableResult
    public func write(to destination: String, options: WriterOptions = .init()) throws(FormatError) -> Manifest {
        try checkFreeSpace(at: destination)
        let writer = try CheckpointWriter(destination: destination, name: name, architecture: architecture, options: options)
        do throws(FormatError) {
            try writer.addTensors(from: tensors)
            for asset in assets { try writer.addAsset(path: asset.name, copying: asset.path) }
            writer.metadata = metadata
            writer.lineage = lineage
            return try writer.finish()
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Refuses to start writing what the file system holding `destination` has no room for.
    func checkFreeSpace(at destination: String) throws(FormatError) {
        let available: Int
        do { available = try FreeSpace.available(at: destination) } catch {
            throw FormatError(file: destination, reason: .io(error))
        }
        let needed = FreeSpace.needed(for: tensors.tensorDescriptors) ?? Int.max
        guard needed <= available else {
            throw FormatError(file: destination, reason: .insufficientSpace(needed: needed, available: available))
        }
    }

    /// The model with its floating-point tensors converted to `target` while they are written
    /// (``DTypeConversion``), and `conversion` collecting what overflowed. Its lineage records
    /// the conversion: `{"kind": "convert", "dtype": ..., "source": <format>}`, keeping an earlier
    /// lineage's parent.
    public func converted(to target: DType, report conversion: ConversionReport) -> ForeignModel {
        var copy = self
        copy.tensors = ConvertingTensors(base: tensors, target: target, report: conversion)
        var recipe: [String: JSONValue] = ["kind": "convert", "dtype": .string(target.rawValue),
                                           "source": .string(format.rawValue)]
        if let earlier = lineage { recipe["sourceLineage"] = ["recipe": earlier.recipe ?? .null] }
        copy.lineage = Lineage(parent: lineage?.parent, recipe: .object(recipe))
        return copy
    }
}

extension ForeignModel {
    /// Reads and validates the foreign model at `path`, whose format ``ModelFormat/detect(_:)``
    /// found; `scratchDirectory` holds what a stream format must decode first (an `.npz`).
    ///
    /// - Throws: the format's own error (``SafetensorsError``, ``GGUFError``, ``NumPyError``,
    ///   ``PyTorchError``), naming the file and byte offset.
    public static func open(_ path: String, format: ModelFormat, scratchDirectory: String) throws -> ForeignModel {
        switch format {
        case .huggingFaceFolder where HuggingFaceCache.location(of: path) != nil:
            let location = HuggingFaceCache.location(of: path)!
            let snapshot = try HuggingFaceCache.snapshot(at: location.repoFolder, revision: location.revision)
            try snapshot.verifyBlobs()
            return try snapshot.model()
        case .safetensors: return try SafetensorsImporter().model(from: path)
        case .huggingFaceFolder: return try HuggingFaceFolder.model(from: path)
        case .gguf: return try GGUFImporter().model(of: try GGUFFile(path: path))
        case .npy, .npz: return try NumPyImporter().model(from: path, scratchDirectory: scratchDirectory)
        case .pytorch: return PyTorchImporter().model(of: try PyTorchCheckpoint(path: path, selection: .automatic))
        case .checkpointFolder, .archive, .compressedArchive:
            preconditionFailure("\(format) is a zoo checkpoint: open it with Checkpoint or CheckpointArchive")
        }
    }

    /// The bytes of the input files, for progress: the tensors' total length.
    public var tensorByteCount: Int {
        tensors.tensorDescriptors.reduce(0) { total, t in
            total + (Shape.elementCount(t.shape).flatMap { t.dtype.byteCount(elementCount: $0) } ?? 0)
        }
    }
}
