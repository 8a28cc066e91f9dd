#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Writes a checkpoint folder: tensors are listed first (``addTensors(from:)``, ``addTensor(name:dtype:shape:bytes:)``),
/// then ``finish()`` packs them into shards by name and size alone (``ShardPlan``, spec §7.1) and
/// pulls each tensor's bytes once, in storage order, straight into its shard, hashed while it is
/// written (its own SHA-256 and the shard's, on two cores), so the model is never held twice in memory.
///
/// Everything is written to a hidden staging folder beside `destination` and renamed into place by
/// ``finish()``, so a crash never leaves a half-written checkpoint under the final name.
///
/// ```swift
/// let writer = try CheckpointWriter(destination: "out/bert", name: "bert",
///                                   architecture: Architecture(family: .autoencoding, type: "bert"))
/// try writer.addTensors(from: safetensorsModel)      // any TensorSource
/// let manifest = try writer.finish()
/// ```
public final class CheckpointWriter {
    /// The folder the checkpoint appears at after ``finish()``.
    public let destination: String
    /// Free-form metadata stored in the manifest.
    public var metadata: [String: JSONValue] = [:]
    /// The model's lineage, if it was derived from another model.
    public var lineage: Lineage?

    private let staging: String
    private let options: WriterOptions
    private var manifest: Manifest
    private var names = Set<String>()
    /// The tensors listed so far, in source order; written by ``finish()``.
    private var pending: [PendingTensor] = []
    private var shard: OpenShard?
    private var state = State.open

    private enum State { case open, finished, aborted }

    /// A listed tensor and where its bytes come from.
    private struct PendingTensor {
        let descriptor: TensorDescriptor
        let length: Int
        let elementCount: Int
        let producer: Producer
    }

    private enum Producer {
        case source(any TensorSource, index: Int)
        case bytes([UInt8])
        case closure((inout TensorSink) throws -> Void)
    }

    /// The shard being written.
    private final class OpenShard {
        let index: Int
        let path: String
        let fd: Int32
        var length = 0
        let hasher = SHA256()
        init(index: Int, path: String, fd: Int32) {
            self.index = index
            self.path = path
            self.fd = fd
        }
    }

    /// Starts a checkpoint that will appear at `destination`, which must not exist yet.
    public init(destination: String, name: String, architecture: Architecture, options: WriterOptions = .init())
        throws(FormatError)
    {
        let destination = FileSystem.trimmingTrailingSlashes(destination)
        guard FileSystem.kind(of: destination) == .missing else {
            throw FormatError(file: destination, reason: .io(IOError(call: "create", path: destination, errno: EEXIST)))
        }
        let parent = FileSystem.parentDirectory(of: destination)
        let base = FileSystem.lastComponent(of: destination)
        self.destination = destination
        self.staging = parent + "/" + FileSystem.uniqueName(".\(base).partial")
        self.options = options
        var architecture = architecture
        architecture.parameterCount = 0  // the writer counts the tensors it is given
        self.manifest = Manifest(name: name, architecture: architecture)
        do {
            try FileSystem.makeDirectories(staging + "/shards")
        } catch {
            throw FormatError(file: staging, reason: .io(error))
        }
    }

    deinit {
        if state == .open { abort() }
    }

    /// The tensors listed so far, in the order they were added.
    public var tensors: [TensorDescriptor] { pending.map(\.descriptor) }

    /// Lists every tensor of `source`; their bytes are read by ``finish()``, so the source must
    /// stay readable until then.
    public func addTensors(from source: some TensorSource) throws(FormatError) {
        for (index, descriptor) in source.tensorDescriptors.enumerated() {
            try add(descriptor, .source(source, index: index))
        }
    }

    /// Adds a tensor whose bytes are in memory; they are copied, so prefer ``addTensors(from:)``
    /// for large models.
    public func addTensor(name: String, dtype: DType, shape: [Int], bytes: UnsafeRawBufferPointer) throws(FormatError) {
        try add(TensorDescriptor(name: name, dtype: dtype, shape: shape), .bytes(Array(bytes)))
    }

    /// Adds a tensor whose bytes are in memory.
    public func addTensor(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) throws(FormatError) {
        try add(TensorDescriptor(name: name, dtype: dtype, shape: shape), .bytes(bytes))
    }

    /// Adds a tensor whose bytes `produce` writes later, during ``finish()``, in pieces that must
    /// add up to dtype x shape bytes exactly (e.g. while converting a dtype or gathering a view).
    public func addTensor(
        name: String, dtype: DType, shape: [Int], _ produce: @escaping (inout TensorSink) throws -> Void
    ) throws(FormatError) {
        try add(TensorDescriptor(name: name, dtype: dtype, shape: shape), .closure(produce))
    }

    private func add(_ descriptor: TensorDescriptor, _ producer: Producer) throws(FormatError) {
        guard state == .open else { preconditionFailure("CheckpointWriter used after finish() or abort()") }
        let (name, dtype, shape) = (descriptor.name, descriptor.dtype, descriptor.shape)
        guard !name.isEmpty, name.utf8.count <= Manifest.maxNameByteCount else {
            throw FormatError(file: destination, reason: .invalidTensorName(name))
        }
        guard !names.contains(name) else { throw FormatError(file: destination, reason: .duplicateTensor(name)) }
        // A dimension above 2^53-1 has no place in a manifest (spec §4.1), even in a tensor of 0
        // elements (a zero elsewhere in the shape): refuse it here, not in the reader of what we wrote.
        guard shape.count <= Shape.maxRank, shape.allSatisfy({ $0 >= 0 && $0 <= Int(maxExactInteger) }) else {
            throw FormatError(file: destination, reason: .invalidShape(tensor: name, shape: shape))
        }
        guard dtype.fits(shape: shape) else {
            throw FormatError(file: destination, reason: .blockMisfit(tensor: name, dtype: dtype, shape: shape))
        }
        guard let count = Shape.elementCount(shape), let length = dtype.byteCount(elementCount: count) else {
            throw FormatError(file: destination, reason: .sizeOverflow(tensor: name))
        }
        if case let .bytes(bytes) = producer, bytes.count != length {
            throw FormatError(file: destination, reason: .lengthMismatch(tensor: name, expected: length, declared: bytes.count))
        }
        names.insert(name)
        pending.append(PendingTensor(descriptor: descriptor, length: length, elementCount: count, producer: producer))
    }

    /// Writes every listed tensor into the shards of the canonical plan, in storage order.
    private func writeTensors() throws(FormatError) {
        let plan = ShardPlan(tensors: pending.map { ($0.descriptor.name, $0.length) }, options: options)
        var storageIndex = [Int](repeating: 0, count: pending.count)
        var entries: [TensorEntry] = []
        entries.reserveCapacity(pending.count)
        let order = plan.shards.joined().map { $0 }
        for (position, index) in order.enumerated() {
            let placement = plan.placements[index]
            let tensor = pending[index]
            if shard?.index != placement.shard { try closeShard(); try openShard(placement.shard) }
            guard let shard else { preconditionFailure("no open shard") }
            if position + 1 < order.count, case let .source(source, next) = pending[order[position + 1]].producer {
                source.willWriteTensor(at: next)
            }
            try writePadding(to: shard, upTo: placement.offset)
            var sink = TensorSink(
                shard: shard.hasher, fd: shard.fd, path: shard.path, fileOffset: placement.offset,
                expected: tensor.length, tensor: tensor.descriptor.name)
            do {
                switch tensor.producer {
                case let .source(source, sourceIndex): try source.writeTensor(at: sourceIndex, into: &sink)
                case let .bytes(bytes): try sink.write(bytes)
                case let .closure(produce): try produce(&sink)
                }
            } catch let error as FormatError {
                throw error
            } catch {
                throw FormatError(file: destination, reason: .invalidMember(
                    "tensor '\(tensor.descriptor.name)'", expected: "readable: \(error)"))
            }
            let digest = try sink.finish()
            shard.length = placement.offset + tensor.length
            storageIndex[index] = entries.count
            entries.append(TensorEntry(
                name: tensor.descriptor.name, dtype: tensor.descriptor.dtype, shape: tensor.descriptor.shape,
                shard: placement.shard, offset: placement.offset, length: tensor.length, digest: digest))
            manifest.architecture.parameterCount += tensor.elementCount
        }
        try closeShard()
        manifest.tensors = entries
        // Dtypes of a later minor version raise the manifest's version to the oldest that has them.
        manifest.formatVersion = entries.reduce(manifest.formatVersion) { max($0, $1.dtype.minimumFormatVersion) }
        // The source's order is kept only where it differs from storage order (format 1.1).
        if storageIndex.enumerated().contains(where: { $0.offset != $0.element }) {
            manifest.sourceOrder = storageIndex
            manifest.formatVersion = max(manifest.formatVersion, Manifest.sourceOrderVersion)
        }
        pending = []
    }

    /// Adds an asset file (e.g. `config.json`, `vocab.txt`) from bytes in memory.
    /// `path` is relative to the checkpoint's `assets/` folder.
    public func addAsset(path: String, bytes: [UInt8]) throws(FormatError) {
        let relative = "assets/" + path
        try Manifest.validatePath(relative, under: "assets/", file: destination)
        guard !manifest.assets.contains(where: { $0.path == relative }) else {
            throw FormatError(file: destination, reason: .duplicatePath(relative))
        }
        let full = staging + "/" + relative
        do throws(IOError) {
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: full))
            let fd = try FileSystem.createExclusive(full)
            defer { Glibc.close(fd) }
            try FileSystem.writeAll(fd, bytes, path: full)
            try FileSystem.sync(fd, path: full)
        } catch {
            throw FormatError(file: full, reason: .io(error))
        }
        manifest.assets.append(FileEntry(path: relative, length: bytes.count, digest: SHA256.digest(bytes)))
    }

    /// Adds an asset by copying the file at `source`. Assets are small (configs, vocabularies,
    /// model cards), so it is read whole; files over 1 GiB are refused as a likely mistake.
    public func addAsset(path: String, copying source: String) throws(FormatError) {
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(source, limit: 1 << 30) } catch { throw FormatError(file: source, reason: .io(error)) }
        guard let bytes else {
            throw FormatError(file: source, reason: .invalidMember("asset \(path)", expected: "at most 1 GiB"))
        }
        try addAsset(path: path, bytes: bytes)
    }

    /// Closes the last shard, writes the manifest, flushes everything to disk and renames the
    /// staging folder to ``destination``. Returns the manifest (its ``Manifest/digest`` is the model digest).
    @discardableResult
    public func finish() throws(FormatError) -> Manifest {
        guard state == .open else { preconditionFailure("CheckpointWriter.finish() called twice") }
        do {
            try writeTensors()
            manifest.metadata = metadata
            manifest.lineage = lineage
            try manifest.validate(file: destination + "/manifest.json")
            try syncShards()
            try FileSystem.writeAtomically(manifest.canonicalBytes, to: staging + "/manifest.json")
            if FileSystem.kind(of: staging + "/assets") == .directory { try syncTree(staging + "/assets") }
            try FileSystem.syncDirectory(staging + "/shards")
            try FileSystem.syncDirectory(staging)
            try FileSystem.renameNoReplace(staging, to: destination)
            try FileSystem.syncDirectory(FileSystem.parentDirectory(of: destination))
        } catch let error as IOError {
            abort()
            throw FormatError(file: destination, reason: .io(error))
        } catch let error as FormatError {
            abort()
            throw error
        } catch {
            abort()
            throw FormatError(file: destination, reason: .invalidMember("\(error)", expected: "no error"))
        }
        state = .finished
        return manifest
    }

    /// Discards everything written so far.
    public func abort() {
        if let shard { Glibc.close(shard.fd) }
        shard = nil
        try? FileSystem.removeTree(staging)
        state = .aborted
    }

    /// Flushes every shard file, two at a time (fsync of a file not open here is still the file's).
    private func syncShards() throws(IOError) {
        let paths = manifest.shards.map { staging + "/" + $0.path }
        let failures = paths.map { _ in FailureBox() }
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            do throws(IOError) {
                let fd = try FileSystem.openForReading(paths[i])
                defer { Glibc.close(fd) }
                try FileSystem.sync(fd, path: paths[i])
            } catch {
                failures[i].error = error
            }
        }
        if let error = failures.lazy.compactMap(\.error).first { throw error }
    }

    private func syncTree(_ directory: String) throws(IOError) {
        for name in try FileSystem.listDirectory(directory) where FileSystem.kind(of: directory + "/" + name) == .directory {
            try syncTree(directory + "/" + name)
        }
        try FileSystem.syncDirectory(directory)
    }

    /// Opens shard `index`, the next one in the plan.
    private func openShard(_ index: Int) throws(FormatError) {
        precondition(index == manifest.shards.count, "shards are written in order")
        let relative = Manifest.shardPath(index)
        let path = staging + "/" + relative
        do {
            let fd = try FileSystem.createExclusive(path)
            // Reserve the entry now; length and digest are filled in when the shard closes.
            manifest.shards.append(FileEntry(path: relative, length: 0, digest: SHA256.digest([])))
            shard = OpenShard(index: index, path: path, fd: fd)
        } catch {
            throw FormatError(file: path, reason: .io(error))
        }
    }

    /// Closes the current shard. Its fsync waits for ``finish()``: the kernel writes it back
    /// meanwhile, and the next shard's hashing does not stall on the disk.
    private func closeShard() throws(FormatError) {
        guard let shard else { return }
        self.shard = nil
        do {
            try FileSystem.close(shard.fd, path: shard.path)
        } catch {
            throw FormatError(file: shard.path, reason: .io(error))
        }
        manifest.shards[shard.index].length = shard.length
        manifest.shards[shard.index].digest = shard.hasher.finalize()
    }

    private func writePadding(to shard: OpenShard, upTo offset: Int) throws(FormatError) {
        let count = offset - shard.length
        guard count > 0 else { return }
        let zeros = [UInt8](repeating: 0, count: count)
        shard.hasher.update(zeros)
        do {
            try zeros.withUnsafeBytes { raw in
                Result { () throws(IOError) in try FileSystem.writeAll(shard.fd, raw, at: shard.length, path: shard.path) }
            }.get()
        } catch {
            throw FormatError(file: shard.path, reason: .io(error))
        }
        shard.length = offset
    }
}
