import ZooFormat

/// Why a PyTorch checkpoint (a `torch.save` zip: `pytorch_model.bin`, `.pt`, `.pth`) was
/// rejected, and where.
///
/// `file` names the checkpoint file. `member` names the zip member the problem is in, when
/// there is one (e.g. `archive/data.pkl`); `offset` is then the byte in that member (for the
/// pickle: the offset of the opcode, as `python -m pickletools` prints it), else the absolute
/// byte in the file. The ``Reason`` names the global, opcode or tensor; tests match it exactly.
///
/// ```swift
/// do { _ = try PyTorchCheckpoint(path: "evil.pt") }
/// catch { print(error) }
/// // evil.pt: archive/data.pkl byte 2: global 'os.system' is not allowed (a state dict only uses ...)
/// ```
public struct PyTorchError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        // MARK: The file

        /// A `torch.save` file from before torch 1.6 (a bare pickle stream, not a zip).
        case legacyFormat
        /// Neither a zip nor a legacy torch pickle.
        case notPyTorchFile
        /// A TorchScript archive (`torch.jit.save`: `code/`, `constants.pkl`), which holds code.
        case torchScriptArchive

        // MARK: The zip container

        /// No end-of-central-directory record in the file's last 65,557 bytes.
        case missingEndOfCentralDirectory
        /// The zip64 end-of-central-directory locator or record is missing or malformed.
        case invalidZip64(why: String)
        /// A multi-disk (split) archive.
        case multiDiskArchive
        /// The central directory (`offset`, `size`) does not lie inside the file before its end records.
        case centralDirectoryOutOfBounds(offset: UInt64, size: UInt64)
        /// The central directory declares more entries than fit in it, or more than ``PyTorchZip/maxMembers``.
        case tooManyMembers(declared: UInt64)
        /// A record does not start with its signature (`what`: "central directory entry", "local header").
        case badSignature(what: String)
        /// The central directory holds a different number of entries than the end record says.
        case memberCountMismatch(declared: Int)
        /// A central directory entry (its name, extra fields or comment) runs past the directory's end.
        case truncatedCentralEntry
        /// Bytes after the end-of-central-directory record and its comment.
        case trailingBytes(count: Int)
        /// A member name that is not UTF-8, or could leave a folder: empty, absolute, `..`,
        /// a backslash, a NUL byte or a drive letter.
        case unsafeMemberName(String)
        /// Two members with the same name.
        case duplicateMember(String)
        /// An encrypted member.
        case encryptedMember(String)
        /// A member whose data is compressed (`method` 8 is deflate); tensors are read in place,
        /// so zoo reads stored members only, which is what `torch.save` writes.
        case compressedMember(String, method: UInt16)
        /// A stored member whose compressed and uncompressed sizes differ.
        case storedSizeMismatch(String, compressed: UInt64, uncompressed: UInt64)
        /// A member's local header or data runs past the central directory or the end of the file.
        case memberOutOfBounds(String)
        /// A member's bytes overlap the next member's local header.
        case overlappingMembers(String, String)
        /// The local header's name differs from the central directory's.
        case localNameMismatch(central: String, local: String)
        /// The local header declares sizes that differ from the central directory's.
        case localSizeMismatch(String)
        /// The local header (or data descriptor) disagrees with the central directory on `field`.
        case localFieldMismatch(String, field: String)
        /// A member compressed with a method other than stored (0) or deflate (8).
        case unsupportedCompression(String, method: UInt16)
        /// Bytes between members (or before the first, or before the central directory) that
        /// belong to no member the central directory lists.
        case bytesOutsideMembers(count: Int)

        // MARK: The torch.save layout

        /// No `<name>/data.pkl` member: a zip, but not a `torch.save` archive.
        case noDataPickle
        /// Several `<name>/data.pkl` members: which archive to read is ambiguous.
        case severalArchives([String])
        /// A member the archive needs is missing, e.g. `archive/data/3` for storage `3`.
        case missingMember(String)
        /// `byteorder` says `big`: zoo reads little-endian checkpoints only.
        case bigEndian
        /// `byteorder` holds something other than `little` or `big`.
        case invalidByteOrder(String)
        /// `data.pkl` is larger than ``PyTorchZip/maxPickleBytes``.
        case pickleTooLarge(size: Int)

        // MARK: The pickle

        /// An opcode the restricted unpickler does not implement (`name` as in `pickletools`).
        case unsupportedOpcode(code: UInt8, name: String)
        /// `PROTO` asks for a protocol outside 2...5.
        case unsupportedProtocol(Int)
        /// A global that a state dict never uses (e.g. `os.system`, `builtins.eval`).
        case globalNotAllowed(String)
        /// A torch dtype or storage type zoo has no dtype for (e.g. `torch.ComplexFloatStorage`).
        case unsupportedDType(String)
        /// The pickle ends before `STOP`, or in the middle of an opcode's argument.
        case truncatedPickle
        /// Bytes after `STOP`.
        case bytesAfterStop(count: Int)
        /// An opcode needs more values than the stack (since the last `MARK`) holds.
        case stackUnderflow(opcode: String)
        /// An opcode that pops to a `MARK` found none.
        case missingMark(opcode: String)
        /// `BINGET` / `LONG_BINGET` of a memo slot never written.
        case missingMemo(index: Int)
        /// More pickle values, stack entries, memo entries or open marks than the unpickler
        /// allows: `what` says which.
        case limitExceeded(what: String, limit: Int)
        /// A string that is not valid UTF-8, or a `GLOBAL` line that is too long or not ASCII.
        case invalidString
        /// An integer wider than 64 bits (`LONG1` with more than 8 bytes).
        case integerTooLarge(byteCount: Int)
        /// An opcode applied to the wrong kind of value (`APPEND` to a dict, `SETITEM` to a list...).
        case wrongType(opcode: String, expected: String, found: String)
        /// A dictionary key that is not a string or an integer.
        case unsupportedKey(found: String)
        /// An allow-listed function called with arguments of the wrong number or kind.
        case invalidCall(function: String, why: String)
        /// A persistent id that is not `('storage', torch.<T>Storage, key, location, numel)`.
        case invalidPersistentID(why: String)
        /// Two references to storage `key` disagree on its type or size.
        case storageConflict(key: String)
        /// `BUILD` on something other than an ordered dict with a dict state.
        case invalidBuild(found: String)

        // MARK: Tensors

        /// The pickle's top-level object (or the selected key) holds no dict of tensors.
        case noTensors
        /// The selected key (``PyTorchSelection/key(_:)``) is not in the checkpoint.
        case missingKey(String)
        /// A tensor's dotted name is empty or longer than 1,024 bytes.
        case invalidTensorName(String)
        /// Two tensors flatten to the same dotted name (e.g. `"a.b"` and `"a"` -> `"b"`).
        case duplicateTensorName(String)
        /// A tensor with the negative or conjugate bit set (its stored values are not its values).
        case unsupportedTensorFlag(tensor: String, flag: String)
        /// The storage member's size differs from numel x element size.
        case storageSizeMismatch(key: String, expected: Int, actual: Int)
        /// A tensor's view (offset, shape, strides) addresses elements outside its storage.
        case viewOutOfBounds(tensor: String, lastElement: Int, storageElements: Int)
        /// Element count or byte size overflows.
        case sizeOverflow(tensor: String)
        /// The selected tensors' bytes, up to and including this one's, exceed what the file may
        /// expand to (``ExpansionLimit``): a stride-0 or overlapping view, or storages shared
        /// over and over, declares far more output than the file stores.
        case outputTooLarge(tensor: String, tensorBytes: Int, limit: Int)

        // MARK: A Hugging Face folder of torch.save files (`file` is the index, a shard or the folder)

        /// `pytorch_model.bin.index.json` is not `{"weight_map": {tensor: file, ...}, "metadata": {...}}`.
        case invalidIndex(why: String)
        /// A shard name in the index has a folder in it, or leaves the folder (absolute, `..`, ...).
        case shardOutsideFolder(String)
        /// A file the import needs (the weights, the index or a shard) is missing.
        case missingFile(String)
        /// A file the import needs is a symbolic link, a folder or a device.
        case notRegularFile(String)
        /// A shard holds a tensor the index does not map to that shard.
        case tensorNotInIndex(tensor: String, shard: String)
        /// The index maps a tensor to a shard that does not hold it.
        case indexedTensorMissing(tensor: String, shard: String)
        /// Two shards hold the same tensor.
        case tensorInTwoShards(tensor: String, first: String, second: String)
        /// A shard of the indexed series (`pytorch_model-00002-of-00002.bin`) is in the folder, but
        /// the index maps no tensor to it: its tensors would be silently left out.
        case unindexedShard(String)

        // MARK: Wrapped

        /// A system call failed.
        case io(IOError)
        /// The zoo checkpoint being written rejected something.
        case checkpoint(FormatError)
    }

    /// The checkpoint file.
    public var file: String
    /// The zip member the problem is in, when there is one; `offset` then counts from its start.
    public var member: String?
    /// The byte where the check failed: in `member` when there is one, else in `file`.
    public var offset: Int?
    /// What was wrong, naming the global, opcode, member or tensor.
    public var reason: Reason

    public init(file: String, member: String? = nil, offset: Int? = nil, reason: Reason) {
        self.file = file
        self.member = member
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .io(error): return error.description
        case let .checkpoint(error): return error.description
        default: break
        }
        switch (member, offset) {
        case let (member?, offset?): return "\(file): \(member) byte \(offset): \(reason)"
        case let (member?, nil): return "\(file): \(member): \(reason)"
        case let (nil, offset?): return "\(file): byte \(offset): \(reason)"
        case (nil, nil): return "\(file): \(reason)"
        }
    }
}

extension PyTorchError.Reason: CustomStringConvertible {
    public var description: String {
        switch self {
        case .legacyFormat:
            "legacy PyTorch format (torch < 1.6) is not supported: re-save it with "
                + "torch.save(..., _use_new_zipfile_serialization=True)"
        case .notPyTorchFile: "not a PyTorch checkpoint (neither a torch.save zip nor a legacy torch pickle)"
        case .torchScriptArchive:
            "a TorchScript archive (torch.jit.save) holds code, not a state dict: save model.state_dict() with torch.save"
        case .missingEndOfCentralDirectory: "not a zip file: no end of central directory record"
        case let .invalidZip64(why): "invalid zip64 end record: \(why)"
        case .multiDiskArchive: "split (multi-disk) zip archives are not supported"
        case let .centralDirectoryOutOfBounds(offset, size):
            "the central directory (\(size) bytes at \(offset)) lies outside the file"
        case let .tooManyMembers(declared): "the central directory declares \(declared) members, more than it can hold"
        case let .badSignature(what): "\(what) has a wrong signature"
        case let .memberCountMismatch(declared):
            "the end record declares \(declared) members, the central directory holds a different number"
        case .truncatedCentralEntry: "a central directory entry runs past the end of the directory"
        case let .trailingBytes(count): "\(count) bytes after the end of the zip archive"
        case let .unsafeMemberName(name): "member name \"\(name)\" is unsafe (absolute, '..', backslash, NUL or not UTF-8)"
        case let .duplicateMember(name): "member \(name) appears twice"
        case let .encryptedMember(name): "member \(name) is encrypted"
        case let .compressedMember(name, method):
            "member \(name) is compressed (method \(method)); zoo reads stored members only, as torch.save writes them"
        case let .storedSizeMismatch(name, compressed, uncompressed):
            "stored member \(name) declares \(compressed) compressed and \(uncompressed) uncompressed bytes"
        case let .memberOutOfBounds(name): "member \(name) runs past the central directory or the end of the file"
        case let .overlappingMembers(first, second): "member \(first) overlaps member \(second)"
        case let .localNameMismatch(central, local):
            "local header names \"\(local)\", the central directory \"\(central)\""
        case let .localSizeMismatch(name): "member \(name): local header sizes differ from the central directory's"
        case let .localFieldMismatch(name, field):
            "member \(name): the local header's \(field) differs from the central directory's"
        case let .unsupportedCompression(name, method):
            "member \(name) uses compression method \(method) (only stored and deflate are read)"
        case let .bytesOutsideMembers(count):
            "\(count) bytes belong to no member the central directory lists (a damaged or truncated directory?)"
        case .noDataPickle: "no <name>/data.pkl member: a zip file, but not a torch.save checkpoint"
        case let .severalArchives(names): "several data.pkl members, cannot choose: " + names.joined(separator: ", ")
        case let .missingMember(name): "member \(name) is missing"
        case .bigEndian: "big-endian checkpoint (byteorder \"big\"): zoo reads little-endian checkpoints only"
        case let .invalidByteOrder(text): "byteorder is \"\(text)\", not \"little\" or \"big\""
        case let .pickleTooLarge(size): "data.pkl is \(size) bytes, over the \(PyTorchZip.maxPickleBytes)-byte limit"
        case let .unsupportedOpcode(code, name):
            "pickle opcode \(name) (0x\(String(code, radix: 16, uppercase: false))) is not allowed in a state dict"
        case let .unsupportedProtocol(version): "pickle protocol \(version) is not supported (2 to 5)"
        case let .globalNotAllowed(name):
            "global '\(name)' is not allowed (a state dict only uses collections.OrderedDict, "
                + "torch._utils._rebuild_tensor_v2, torch.*Storage)"
        case let .unsupportedDType(name): "global '\(name)': zoo has no dtype for it (zoo reads "
            + PyTorchZip.supportedTorchDTypes + ")"
        case .truncatedPickle: "the pickle ends before its STOP opcode"
        case let .bytesAfterStop(count): "\(count) bytes after the pickle's STOP opcode"
        case let .stackUnderflow(opcode): "\(opcode) needs more values than the stack holds"
        case let .missingMark(opcode): "\(opcode) without a MARK before it"
        case let .missingMemo(index): "memo slot \(index) is read before it is written"
        case let .limitExceeded(what, limit): "more than \(limit) \(what)"
        case .invalidString: "invalid string (not UTF-8, or a GLOBAL line that is too long)"
        case let .integerTooLarge(count): "a \(count)-byte integer is wider than 64 bits"
        case let .wrongType(opcode, expected, found): "\(opcode) expects \(expected), found \(found)"
        case let .unsupportedKey(found): "dictionary key of type \(found) (only strings and integers)"
        case let .invalidCall(function, why): "\(function): \(why)"
        case let .invalidPersistentID(why): "invalid persistent id: \(why)"
        case let .storageConflict(key): "storage \(key) is referenced with two different types or sizes"
        case let .invalidBuild(found): "BUILD on \(found) (only an OrderedDict's attributes)"
        case .noTensors: "no tensors: the checkpoint holds no dict of tensors"
        case let .missingKey(key): "the checkpoint has no key \"\(key)\""
        case let .invalidTensorName(name): "tensor name \"\(name)\" is empty or longer than 1024 bytes"
        case let .duplicateTensorName(name): "two tensors are both named '\(name)' once flattened"
        case let .unsupportedTensorFlag(tensor, flag):
            "tensor '\(tensor)' has the \(flag) bit set: resolve it (tensor.resolve_\(flag)()) before saving"
        case let .storageSizeMismatch(key, expected, actual):
            "storage \(key) is \(actual) bytes, its numel x element size is \(expected)"
        case let .viewOutOfBounds(tensor, last, count):
            "tensor '\(tensor)' addresses storage element \(last), past the storage's \(count) elements"
        case let .sizeOverflow(tensor): "tensor '\(tensor)': element count or byte size overflows"
        case let .outputTooLarge(tensor, bytes, limit):
            "tensor '\(tensor)' (\(bytes) bytes, an expanded or shared view of its storage) takes the import's output "
                + "over \(limit) bytes, the most this file may expand to (\(ExpansionLimit.factor)x its size, at least "
                + "\(ExpansionLimit.floorBytes >> 20) MiB)"
        case let .invalidIndex(why): "invalid PyTorch shard index: \(why)"
        case let .shardOutsideFolder(path): "shard path \"\(path)\" is not a file of the model folder itself"
        case let .missingFile(path): ShardedFolderText.missingFile(path)
        case let .notRegularFile(path): ShardedFolderText.notRegularFile(path)
        case let .tensorNotInIndex(tensor, shard): ShardedFolderText.tensorNotInIndex(tensor: tensor, shard: shard)
        case let .indexedTensorMissing(tensor, shard): ShardedFolderText.indexedTensorMissing(tensor: tensor, shard: shard)
        case let .tensorInTwoShards(tensor, first, second): ShardedFolderText.tensorInTwoShards(tensor: tensor, first: first, second: second)
        case let .unindexedShard(shard): ShardedFolderText.unindexedShard(shard)
        case let .io(error): error.description
        case let .checkpoint(error): error.description
        }
    }
}
