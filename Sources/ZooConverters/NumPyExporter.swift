#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// Writes a zoo checkpoint as an `.npz` archive that `numpy.load` reads: one `<name>.npy`
/// member per tensor, in manifest order, each with the exact header `numpy.save` writes and the
/// tensor's bytes streamed from the checkpoint's memory-mapped shards. Members are stored
/// (like `numpy.savez`), or deflated with ``compressed`` (like `numpy.savez_compressed`).
///
/// NumPy has no `bfloat16`, float8 or `Q8_0`: such tensors are refused, naming the tensor
/// (convert them first). Assets are not written. The archive is written under a temporary
/// name beside `path`, flushed, then renamed into place.
///
/// ```swift
/// try NumPyExporter().exportNPZ(checkpoint, to: "out/weights.npz")
/// // python: numpy.load("out/weights.npz")["encoder.weight"]
/// ```
public struct NumPyExporter: Sendable {
    /// Deflate the members (as `numpy.savez_compressed` does) instead of storing them.
    public var compressed: Bool

    public init(compressed: Bool = false) {
        self.compressed = compressed
    }

    /// What an export wrote.
    public struct Report: Sendable, Equatable {
        public var memberCount: Int
        /// Asset paths of the checkpoint not written (an `.npz` holds arrays only).
        public var skippedAssets: [String]
    }

    /// Writes `checkpoint` as an `.npz` at `path`, which must not exist.
    @discardableResult
    public func exportNPZ(_ checkpoint: Checkpoint, to path: String) throws(NumPyError) -> Report {
        let manifest = checkpoint.manifest
        var headers: [[UInt8]] = []
        let tensors = manifest.tensorsInSourceOrder
        for tensor in tensors {
            guard let header = NumPyHeader.encode(dtype: tensor.dtype, shape: tensor.shape) else {
                throw NumPyError(file: path, reason: .noNumPyDType(tensor: tensor.name, dtype: tensor.dtype))
            }
            guard NumPyZipReader.isSafeMemberPath(tensor.name + ".npy") else {
                throw NumPyError(file: path, reason: .unsafeTensorName(tensor.name))
            }
            headers.append(header)
        }
        guard FileSystem.kind(of: path) == .missing else {
            throw NumPyError(file: path, reason: .io(IOError(call: "create", path: path, errno: EEXIST)))
        }
        let directory = FileSystem.parentDirectory(of: path)
        let temp = directory + "/" + FileSystem.uniqueName("." + FileSystem.lastComponent(of: path) + ".partial")
        do throws(NumPyError) {
            let archive = try NumPyZipWriter(path: temp, compressed: compressed)
            for (tensor, header) in zip(tensors, headers) {
                let view: TensorView
                do throws(FormatError) { view = try checkpoint.tensor(named: tensor.name) } catch {
                    throw NumPyError(file: path, reason: .checkpoint(error))
                }
                try archive.addMember(name: tensor.name + ".npy", size: header.count + tensor.length) { (write) throws(NumPyError) in
                    try header.withUnsafeBytes { raw in Result { () throws(NumPyError) in try write(raw) } }.get()
                    try view.withUnsafeBytes { raw in Result { () throws(NumPyError) in try write(raw) } }.get()
                }
            }
            try archive.close()
            do throws(IOError) {
                let fd = try FileSystem.openForReading(temp)
                defer { _ = Glibc.close(fd) }
                try FileSystem.sync(fd, path: temp)
                try FileSystem.renameNoReplace(temp, to: path)
                try FileSystem.syncDirectory(directory)
            } catch {
                throw NumPyError(file: path, reason: .io(error))
            }
        } catch {
            try? FileSystem.removeTree(temp)
            throw error
        }
        return Report(memberCount: manifest.tensors.count, skippedAssets: manifest.assets.map(\.path))
    }
}
