import ZooFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The PyTorch checkpoint format written by `torch.save` since torch 1.6: an uncompressed zip
/// whose members all sit in one folder named after the archive (any name; `archive` by default):
///
///     <name>/data.pkl                 the pickled object (a state dict), protocol 2 by default
///     <name>/data/0, data/1, ...      one member per storage, raw little-endian bytes, 64-byte aligned
///     <name>/byteorder                "little" (absent before torch 1.10: little)
///     <name>/version, .format_version, .storage_alignment, .data/serialization_id
///
/// Tensors in the pickle are `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`
/// calls whose storages are persistent ids `('storage', torch.FloatStorage, '0', 'cpu', numel)`.
/// zoo reads it without Python and without running the pickle: ``Unpickler`` understands the
/// opcodes and globals of state dicts only.
///
/// ## Topics
/// - ``PyTorchCheckpoint``: the validating reader, tensors as views of the mapped file
/// - ``PyTorchImporter``: a checkpoint file to a zoo checkpoint folder
/// - ``PyTorchSelection``: which part of a training checkpoint is imported
/// - ``PyTorchError``
public enum PyTorchZip {
    /// The largest `data.pkl` read: a state dict of 300,000 tensors pickles to ~30 MB.
    public static let maxPickleBytes = 256 << 20
    /// The most zip members accepted (the directory's count is checked before anything is allocated).
    public static let maxMembers = 1_000_000
    /// The keys under which training checkpoints keep the model's state dict, in the order
    /// ``PyTorchSelection/automatic`` tries them.
    public static let stateDictKeys = ["state_dict", "model_state_dict", "model", "module"]
    /// At most this many scalar values are recorded in the manifest's metadata.
    public static let maxRecordedValues = 1024
    /// Longer strings are not recorded in the metadata.
    public static let maxRecordedStringBytes = 1024

    /// `torch.save(..., _use_new_zipfile_serialization=False)` starts with PROTO, then this
    /// magic number as a `LONG1` (`torch.serialization.MAGIC_NUMBER`, 0x1950a86a20f9469cfc6c).
    static let legacyMagic: [UInt8] = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
    static let zipLocalHeaderMagic: [UInt8] = [0x50, 0x4b, 0x03, 0x04]
    static let zipEmptyArchiveMagic: [UInt8] = [0x50, 0x4b, 0x05, 0x06]

    /// The torch dtypes zoo reads, for error messages.
    static var supportedTorchDTypes: String {
        TorchGlobal.dtypes.keys.sorted().joined(separator: " ")
    }

    /// What a file's content says it is.
    public enum FileKind: Sendable, Equatable {
        /// A zip whose first member (or any member) is `<name>/data.pkl`: a `torch.save` archive.
        case zip
        /// A pre-1.6 `torch.save` pickle stream, which zoo refuses with an explanation.
        case legacy
    }

    /// Sniffs the file at `path` by content, not by name; nil when it is neither kind (or unreadable).
    ///
    /// A torch zip is recognised from its first local header (torch writes `data.pkl` first), so
    /// that a truncated or damaged checkpoint is still recognised, and then refused by the reader
    /// with a precise error; else from the central directory.
    public static func kind(ofFileAt path: String) -> FileKind? {
        guard let mapping = try? MappedFile(path: path) else { return nil }
        return withExtendedLifetime(mapping) { kind(of: mapping.bytes) }
    }

    /// Sniffs a file's bytes; see ``kind(ofFileAt:)``.
    public static func kind(of bytes: UnsafeRawBufferPointer) -> FileKind? {
        if isLegacy(bytes) { return .legacy }
        guard bytes.starts(with: zipLocalHeaderMagic) || bytes.starts(with: zipEmptyArchiveMagic) else { return nil }
        // First local header: name length at 26, name at 30.
        if bytes.count >= ZipArchive.localHeaderSize {
            let nameLength = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 26, as: UInt16.self)))
            if bytes.count >= ZipArchive.localHeaderSize + nameLength,
                let name = String(validating: bytes[ZipArchive.localHeaderSize..<(ZipArchive.localHeaderSize + nameLength)], as: UTF8.self),
                archiveName(ofPickle: name) != nil
            {
                return .zip
            }
        }
        guard let zip = try? ZipArchive(bytes, file: "") else { return nil }
        return zip.members.contains { archiveName(ofPickle: $0.name) != nil } ? .zip : nil
    }

    static func isLegacy(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 + legacyMagic.count && bytes[0] == PickleOpcode.proto.rawValue
            && bytes[2..<(2 + legacyMagic.count)].elementsEqual(legacyMagic)
    }

    /// `name` for a member called `<name>/data.pkl` (one folder deep), else nil.
    static func archiveName(ofPickle member: String) -> String? {
        guard member.hasSuffix("/data.pkl") else { return nil }
        let prefix = member.dropLast("/data.pkl".count)
        guard !prefix.isEmpty, !prefix.contains("/") else { return nil }
        return String(prefix)
    }
}

/// Which tensors of a pickled checkpoint are imported.
///
/// A state dict (`model.state_dict()`) is a flat dict of tensors, imported whole. A training
/// checkpoint nests it: `{"model": state_dict, "optimizer": {...}, "epoch": 3}`.
public enum PyTorchSelection: Sendable, Equatable {
    /// The top-level object, unless it holds no tensor directly and one of
    /// ``PyTorchZip/stateDictKeys`` (`state_dict`, `model_state_dict`, `model`, `module`, in that
    /// order) holds tensors: then only that entry, its tensors named relative to it
    /// (`model.encoder.weight` -> `encoder.weight`). Other entries holding tensors (an
    /// optimizer's state) are skipped and listed in the metadata.
    case automatic
    /// Every tensor reachable from the top-level object through dicts, lists and tuples, named
    /// by its dotted path (`optimizer.state.0.exp_avg`). (A lone tensor, `torch.save(t)`, is
    /// named `tensor` whatever the selection.)
    case everything
    /// Only the entry at this key (a top-level key, else a dotted path through dicts).
    case key(String)
}

/// A validated PyTorch zip checkpoint, memory-mapped, with its tensors as views.
///
/// Opening checks everything before anything is trusted: the zip's end records, central
/// directory and local headers (bounds, overlaps, names, no encryption, stored members), the
/// archive layout (`data.pkl`, `byteorder`), the pickle (restricted opcodes and globals, bounded),
/// every storage member's size, every tensor's view against its storage, and the output's total
/// size against the file's (``ExpansionLimit``: expanded and shared views). Tensor bytes are
/// not read.
///
/// ```swift
/// let checkpoint = try PyTorchCheckpoint(path: "pytorch_model.bin")
/// for tensor in checkpoint.tensors { print(tensor.name, tensor.dtype, tensor.shape, tensor.isContiguous) }
/// ```
public final class PyTorchCheckpoint: @unchecked Sendable {
    /// The path (or name) the file was opened as, used in errors.
    public let path: String
    /// The folder name of the members (`archive`, or the file's name when torch chose it).
    public let archiveName: String
    /// The selected tensors, in the pickle's order.
    public let tensors: [PyTorchTensor]
    /// The top-level key whose entry was imported (``PyTorchSelection``), nil for the whole object.
    public let selectedKey: String?
    /// Top-level keys holding tensors that the selection left out, in order.
    public let skippedKeys: [String]
    /// Simple values (bool, int, float, string, None) reachable through dicts outside skipped
    /// entries, by dotted path: `["epoch": 3, "lr": 0.1]`. At most ``PyTorchZip/maxRecordedValues``.
    public let values: [String: JSONValue]
    /// Names of selected tensors that share a storage, one group per storage, in order.
    public let sharedStorages: [[String]]
    /// The file's size.
    public let fileSize: Int
    private let storage: SourceBytes
    private let index: [String: Int]

    /// Maps and validates the checkpoint at `path`.
    public convenience init(path: String, selection: PyTorchSelection = .automatic) throws(PyTorchError) {
        let mapping: MappedFile
        do { mapping = try MappedFile(path: path) } catch { throw PyTorchError(file: path, reason: .io(error)) }
        try self.init(storage: SourceBytes(mapping: mapping), path: path, selection: selection)
    }

    /// Validates a checkpoint held in memory (copied once); `name` names it in errors.
    public convenience init(bytes: [UInt8], name: String, selection: PyTorchSelection = .automatic) throws(PyTorchError) {
        try self.init(storage: SourceBytes(copying: bytes), path: name, selection: selection)
    }

    private init(storage: SourceBytes, path: String, selection: PyTorchSelection) throws(PyTorchError) {
        let bytes = storage.bytes
        if PyTorchZip.isLegacy(bytes) { throw PyTorchError(file: path, offset: 0, reason: .legacyFormat) }
        guard bytes.starts(with: PyTorchZip.zipLocalHeaderMagic) || bytes.starts(with: PyTorchZip.zipEmptyArchiveMagic) else {
            throw PyTorchError(file: path, offset: 0, reason: .notPyTorchFile)
        }
        let zip = try ZipArchive(bytes, file: path)
        let archive = try Self.archiveName(in: zip, file: path)
        try Self.checkByteOrder(zip, archive: archive, file: path)

        let pickleName = archive + "/data.pkl"
        guard let pickleMember = zip.member(named: pickleName) else {
            throw PyTorchError(file: path, reason: .missingMember(pickleName))
        }
        guard pickleMember.uncompressedSize <= PyTorchZip.maxPickleBytes else {
            throw PyTorchError(file: path, member: pickleName, reason: .pickleTooLarge(size: pickleMember.uncompressedSize))
        }
        let pickle = try Unpickler.load(try zip.storedBytes(of: pickleMember), file: path, member: pickleName)

        // Every storage the pickle names must be a stored member of exactly its declared size.
        var storageBytes: [UnsafeRawBufferPointer] = []
        storageBytes.reserveCapacity(pickle.graph.storages.count)
        for torchStorage in pickle.graph.storages {
            let name = archive + "/data/" + torchStorage.key
            guard let member = zip.member(named: name) else { throw PyTorchError(file: path, reason: .missingMember(name)) }
            let data = try zip.storedBytes(of: member)
            guard data.count == torchStorage.byteCount else {
                throw PyTorchError(file: path, member: name, reason: .storageSizeMismatch(
                    key: torchStorage.key, expected: torchStorage.byteCount, actual: data.count))
            }
            storageBytes.append(data)
        }

        let walker = PickleWalker(graph: pickle.graph, file: path, member: pickleName)
        let selected = try walker.select(selection, root: pickle.root)
        var tensors: [PyTorchTensor] = []
        tensors.reserveCapacity(selected.tensors.count)
        var index: [String: Int] = [:]
        // Views may share or repeat storage bytes (stride 0): the output is bounded up front.
        let outputLimit = ExpansionLimit.maxOutputBytes(inputBytes: bytes.count)
        var outputBytes = 0
        for (name, tensorIndex) in selected.tensors {
            let tensor = try Self.tensor(
                named: name, pickle.graph.tensors[tensorIndex], graph: pickle.graph, storageBytes: storageBytes,
                owner: storage, file: path, member: pickleName)
            guard index[name] == nil else {
                throw PyTorchError(file: path, member: pickleName, offset: pickle.graph.tensors[tensorIndex].pickleOffset,
                                   reason: .duplicateTensorName(name))
            }
            let (total, overflow) = outputBytes.addingReportingOverflow(tensor.byteCount)
            guard !overflow, total <= outputLimit else {
                throw PyTorchError(file: path, member: pickleName, offset: pickle.graph.tensors[tensorIndex].pickleOffset,
                                   reason: .outputTooLarge(tensor: name, tensorBytes: tensor.byteCount, limit: outputLimit))
            }
            outputBytes = total
            index[name] = tensors.count
            tensors.append(tensor)
        }
        guard !tensors.isEmpty else { throw PyTorchError(file: path, member: pickleName, reason: .noTensors) }

        var groups: [String: [String]] = [:]
        var order: [String] = []
        for tensor in tensors {
            if groups[tensor.storageKey] == nil { order.append(tensor.storageKey) }
            groups[tensor.storageKey, default: []].append(tensor.name)
        }

        self.path = path
        self.storage = storage
        self.archiveName = archive
        self.tensors = tensors
        self.index = index
        self.selectedKey = selected.key
        self.skippedKeys = selected.skipped
        self.values = walker.values(root: pickle.root, skipping: Set(selected.skipped))
        self.sharedStorages = order.compactMap { key in groups[key].flatMap { $0.count > 1 ? $0 : nil } }
        self.fileSize = bytes.count
    }

    /// The tensor called `name`, if it was selected.
    public func tensor(named name: String) -> PyTorchTensor? {
        index[name].map { tensors[$0] }
    }

    /// Hints the kernel that `tensor`'s storage will be read soon (readahead on a cold cache).
    func willNeed(_ tensor: PyTorchTensor) {
        guard let mapping = storage.mapping, let base = storage.bytes.baseAddress,
            let start = tensor.storageBytes.baseAddress
        else { return }
        let offset = start - base
        mapping.willNeed(offset..<(offset + tensor.storageBytes.count))
    }

    // MARK: Validation

    /// The folder of the single `<name>/data.pkl`; refuses TorchScript archives (which also have one).
    private static func archiveName(in zip: ZipArchive, file: String) throws(PyTorchError) -> String {
        let names = zip.members.compactMap { PyTorchZip.archiveName(ofPickle: $0.name) }
        guard let archive = names.first else {
            let isTorchScript = zip.members.contains { $0.name.hasSuffix("/constants.pkl") || $0.name.contains("/code/") }
            throw PyTorchError(file: file, reason: isTorchScript ? .torchScriptArchive : .noDataPickle)
        }
        guard names.count == 1 else { throw PyTorchError(file: file, reason: .severalArchives(names.sorted())) }
        if zip.member(named: archive + "/constants.pkl") != nil
            || zip.members.contains(where: { $0.name.hasPrefix(archive + "/code/") })
        {
            throw PyTorchError(file: file, reason: .torchScriptArchive)
        }
        return archive
    }

    /// `<name>/byteorder` must say `little` when present (torch before 1.10 wrote none: little).
    private static func checkByteOrder(_ zip: ZipArchive, archive: String, file: String) throws(PyTorchError) {
        let name = archive + "/byteorder"
        guard let member = zip.member(named: name) else { return }
        let text = String(decoding: try zip.storedBytes(of: member).prefix(64), as: UTF8.self)
        switch text {
        case "little": return
        case "big": throw PyTorchError(file: file, member: name, reason: .bigEndian)
        default: throw PyTorchError(file: file, member: name, reason: .invalidByteOrder(text))
        }
    }

    /// Checks one named tensor's view against its storage and makes it.
    private static func tensor(
        named name: String, _ tensor: TorchTensor, graph: PickleGraph, storageBytes: [UnsafeRawBufferPointer],
        owner: SourceBytes, file: String, member: String
    ) throws(PyTorchError) -> PyTorchTensor {
        func fail(_ reason: PyTorchError.Reason) -> PyTorchError {
            PyTorchError(file: file, member: member, offset: tensor.pickleOffset, reason: reason)
        }
        guard !name.isEmpty, name.utf8.count <= Manifest.maxNameByteCount else { throw fail(.invalidTensorName(name)) }
        if let flag = tensor.flag { throw fail(.unsupportedTensorFlag(tensor: name, flag: flag)) }
        guard let count = Shape.elementCount(tensor.shape), let byteCount = tensor.dtype.byteCount(elementCount: count) else {
            throw fail(.sizeOverflow(tensor: name))
        }
        let storage = graph.storages[tensor.storage]
        let width = tensor.dtype.bitWidth / 8
        // In elements of the tensor's dtype (an untyped storage counts bytes).
        let storageElements = storage.dtype == tensor.dtype ? storage.elementCount : storage.byteCount / width
        if count > 0 {
            guard let last = PyTorchTensor.lastElement(offset: tensor.storageOffset, shape: tensor.shape, strides: tensor.strides)
            else { throw fail(.sizeOverflow(tensor: name)) }
            guard last < storageElements else {
                throw fail(.viewOutOfBounds(tensor: name, lastElement: last, storageElements: storageElements))
            }
        } else if tensor.storageOffset > storageElements {
            throw fail(.viewOutOfBounds(tensor: name, lastElement: tensor.storageOffset, storageElements: storageElements))
        }
        return PyTorchTensor(
            name: name, dtype: tensor.dtype, shape: tensor.shape, strides: tensor.strides,
            storageOffset: tensor.storageOffset, storageKey: storage.key, elementCount: count, byteCount: byteCount,
            isContiguous: PyTorchTensor.isContiguous(shape: tensor.shape, strides: tensor.strides),
            storageBytes: storageBytes[tensor.storage], owner: owner)
    }
}
