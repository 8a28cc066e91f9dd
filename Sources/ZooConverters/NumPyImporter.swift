#if canImport(Glibc)
import Glibc
#endif
import ZooFormat

/// Imports NumPy arrays into a zoo checkpoint folder: a `.npy` file (one tensor, named after
/// the file) or an `.npz` archive (one tensor per `<name>.npy` member, named `<name>`, in
/// archive order). The kind is decided by content (`\x93NUMPY` or a zip), not by name.
///
/// Every header is parsed strictly (see ``NumPyHeader``) and every `.npz` member checked
/// (regular file, safe relative path, unique, unencrypted, `.npy`) before it is used. Data is
/// streamed into the checkpoint writer; big-endian arrays are byte-swapped and Fortran-order
/// arrays transposed to C order on the way (a Fortran-order array inside an `.npz` is
/// transposed in memory, up to ``NumPy/maxFortranBytesInMemory``).
///
/// The manifest records `"source.format"` (`"npy"` or `"npz"`) and, when some arrays were
/// converted, `"numpy.converted"`: `{name: "byte-swapped '>f4'" | "transposed from Fortran order" | ...}`.
///
/// ```swift
/// let manifest = try NumPyImporter().importFile("weights.npz", to: "out/weights")
/// ```
public struct NumPyImporter: Sendable {
    /// The model name; nil takes the file's name without `.npy` / `.npz`.
    public var name: String?
    /// How the checkpoint writer lays out shards.
    public var writerOptions: WriterOptions

    /// Metadata keys written into the manifest.
    public enum MetadataKey {
        public static let sourceFormat = "source.format"
        public static let converted = "numpy.converted"
    }

    public init(name: String? = nil, writerOptions: WriterOptions = .init()) {
        self.name = name
        self.writerOptions = writerOptions
    }

    /// Whether the file at `path` starts like a `.npy` (`\x93NUMPY`).
    public static func isNpy(_ head: [UInt8]) -> Bool { head.starts(with: NumPy.magic) }

    /// Imports the `.npy` or `.npz` file at `path` into a new checkpoint folder at `destination`.
    @discardableResult
    public func importFile(_ path: String, to destination: String) throws(NumPyError) -> Manifest {
        let model = try model(from: path, scratchDirectory: FileSystem.parentDirectory(of: destination))
        do { return try model.write(to: destination, options: writerOptions) } catch {
            throw NumPyError(file: destination, reason: .checkpoint(error))
        }
    }

    /// Reads and validates the `.npy` or `.npz` file at `path`. An `.npz` is a stream (members
    /// may be compressed): its arrays are decoded once, in archive order, into a scratch file in
    /// `scratchDirectory` (unlinked at once, kept mapped), so the writer can take them in any order.
    public func model(from path: String, scratchDirectory: String) throws(NumPyError) -> ForeignModel {
        let mapping: MappedFile
        do { mapping = try MappedFile(path: path) } catch { throw NumPyError(file: path, reason: .io(error)) }
        if mapping.bytes.starts(with: NumPy.magic) { return try npyModel(mapping) }
        return try npzModel(path, scratchDirectory: scratchDirectory)
    }

    // MARK: .npy

    private func npyModel(_ mapping: MappedFile) throws(NumPyError) -> ForeignModel {
        let path = mapping.path
        let header = try NumPyHeader.parse(mapping.bytes, file: path)
        let actual = mapping.bytes.count - header.dataOffset
        guard actual == header.dataByteCount else {
            throw NumPyError(file: path, offset: header.dataOffset, reason: .dataLength(expected: header.dataByteCount, actual: actual))
        }
        let base = Self.baseName(path, suffix: ".npy")
        let data = UnsafeRawBufferPointer(rebasing: mapping.bytes[header.dataOffset...])
        var tensors = ForeignTensors()
        tensors.retain(mapping)
        tensors.append(TensorDescriptor(name: base, dtype: header.dtype, shape: header.shape), .produced { sink in
            try NumPyLayout.write(data, header: header, to: &sink)
        })
        var conversions: [String: JSONValue] = [:]
        if let note = Self.conversionNote(header) { conversions[base] = .string(note) }
        return makeModel(format: .npy, name: name ?? base, conversions: conversions, tensors: tensors)
    }

    // MARK: .npz

    private func npzModel(_ path: String, scratchDirectory: String) throws(NumPyError) -> ForeignModel {
        let directory = try Self.checkedDirectory(path)
        let zip = try NumPyZipReader(path: path)
        let scratch = scratchDirectory + "/" + FileSystem.uniqueName(".npz-members")
        let fd: Int32
        do { fd = try FileSystem.createExclusive(scratch) } catch { throw NumPyError(file: scratch, reason: .io(error)) }
        defer {
            close(fd)
            try? FileSystem.removeTree(scratch)
        }
        var conversions: [String: JSONValue] = [:]
        var members: [(descriptor: TensorDescriptor, range: Range<Int>)] = []
        var end = 0
        var seen = 0
        while let member = try zip.next() {
            // libarchive reads what the central directory lists, under the same names.
            guard let listed = directory[member.name] else {
                throw NumPyError(file: path, reason: .archive("libarchive reads a member \"\(member.name)\" the central directory does not list"))
            }
            seen += 1
            let tensor = String(member.name.dropLast(4))
            let header = try readMemberHeader(zip, member: member.name)
            if let note = Self.conversionNote(header) { conversions[tensor] = .string(note) }
            let offset = Manifest.alignUp(end)
            var sink = TensorSink(scratchFile: fd, path: scratch, fileOffset: offset, expected: header.dataByteCount, tensor: tensor)
            try readMember(zip, member: member.name, header: header, into: &sink)
            guard zip.bytesRead == listed.size else {
                throw NumPyError(file: path, member: member.name, reason: .memberSizeMismatch(expected: listed.size, actual: zip.bytesRead))
            }
            guard zip.crc.value == listed.crc32 else {
                throw NumPyError(file: path, member: member.name, reason: .crcMismatch(expected: listed.crc32, actual: zip.crc.value))
            }
            members.append((TensorDescriptor(name: tensor, dtype: header.dtype, shape: header.shape),
                            offset..<(offset + header.dataByteCount)))
            end = offset + header.dataByteCount
        }
        guard seen == directory.count else {
            throw NumPyError(file: path, reason: .archive("libarchive reads \(seen) members, the central directory lists \(directory.count)"))
        }
        var tensors = ForeignTensors()
        var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        if end > 0 {
            let mapping: MappedFile
            do { mapping = try MappedFile(path: scratch) } catch { throw NumPyError(file: scratch, reason: .io(error)) }
            tensors.retain(mapping)
            bytes = mapping.bytes
        }
        for member in members {
            tensors.append(member.descriptor, .mapped(
                member.range.isEmpty ? UnsafeRawBufferPointer(start: nil, count: 0) : UnsafeRawBufferPointer(rebasing: bytes[member.range]),
                willNeed: nil))
        }
        return makeModel(format: .npz, name: name ?? Self.baseName(path, suffix: ".npz"), conversions: conversions, tensors: tensors)
    }

    /// The central directory of the `.npz` at `path`, checked strictly before libarchive streams
    /// its members (``ZipArchive/checkStrictLayout()``): names, sizes and CRCs by member name.
    /// Refuses members that are not `<tensor>.npy` with a safe tensor name, and declared sizes
    /// past ``ExpansionLimit``.
    static func checkedDirectory(_ path: String) throws(NumPyError) -> [String: (size: Int, crc32: UInt32)] {
        let mapping: MappedFile
        do { mapping = try MappedFile(path: path) } catch { throw NumPyError(file: path, reason: .io(error)) }
        return try withExtendedLifetime(mapping) { () throws(NumPyError) in
            let zip: ZipArchive
            do throws(PyTorchError) {
                zip = try ZipArchive(mapping.bytes, file: path)
                try zip.checkStrictLayout()
            } catch {
                // Member-level findings keep the reasons NumPy's own checks give them.
                let reason: NumPyError.Reason = switch error.reason {
                case let .unsafeMemberName(name): .unsafeMemberPath(name)
                case let .duplicateMember(name): .duplicateMember(name)
                case let .encryptedMember(name): .encryptedMember(name)
                default: .invalidZip(error.reason)
                }
                throw NumPyError(file: path, offset: error.offset, reason: reason)
            }
            var directory: [String: (size: Int, crc32: UInt32)] = [:]
            var total = 0
            let limit = ExpansionLimit.maxOutputBytes(inputBytes: mapping.bytes.count)
            for member in zip.members {
                guard member.name.hasSuffix(".npy"), member.name.utf8.count > 4 else {
                    throw NumPyError(file: path, reason: .notNpyMember(member.name))
                }
                let tensor = String(member.name.dropLast(4))
                guard NumPyZipReader.isSafeMemberPath(tensor) else {
                    throw NumPyError(file: path, reason: .memberTensorName(member: member.name, tensor: tensor))
                }
                let (sum, overflow) = total.addingReportingOverflow(member.uncompressedSize)
                guard !overflow, sum <= limit else {
                    throw NumPyError(file: path, reason: .outputTooLarge(bytes: overflow ? Int.max : sum, limit: limit))
                }
                total = sum
                directory[member.name] = (member.uncompressedSize, member.crc32)
            }
            return directory
        }
    }

    /// Reads a member's `.npy` header: the 10-byte preamble (12 for versions 2 and 3), then
    /// exactly the declared header length (bounded before it is read).
    private func readMemberHeader(_ zip: NumPyZipReader, member: String) throws(NumPyError) -> NumPyHeader {
        var head = [UInt8](repeating: 0, count: 10)
        let got = try zip.read(into: &head, member: member)
        head.removeLast(10 - got)
        var total = head.count
        if head.count == 10, head.starts(with: NumPy.magic) {
            if head[6] == 1 {
                total = 10 + Int(UInt16(head[8]) | UInt16(head[9]) << 8)
            } else {
                var more = [UInt8](repeating: 0, count: 2)
                let extra = try zip.read(into: &more, member: member)
                head += more.prefix(extra)
                if head.count == 12 {
                    let length = Int(UInt32(head[8]) | UInt32(head[9]) << 8 | UInt32(head[10]) << 16 | UInt32(head[11]) << 24)
                    total = 12 + min(length, NumPy.maxHeaderBytes + 1)
                }
            }
        }
        if total > head.count {
            var rest = [UInt8](repeating: 0, count: total - head.count)
            let count = try zip.read(into: &rest, member: member)
            head += rest.prefix(count)
        }
        return try head.withUnsafeBytes { raw in
            Result { () throws(NumPyError) in try NumPyHeader.parse(raw, file: zip.path, member: member) }
        }.get()
    }

    /// Reads a member's data (after its header) into `sink`, byte-swapped and transposed to
    /// little-endian C order.
    private func readMember(
        _ zip: NumPyZipReader, member: String, header: NumPyHeader, into sink: inout TensorSink
    ) throws(NumPyError) {
        let expected = header.dataByteCount
        let width = header.dtype.bitWidth / 8
        func written(_ body: () throws(FormatError) -> Void) throws(NumPyError) {
            do { try body() } catch { throw NumPyError(file: zip.path, member: member, reason: .checkpoint(error)) }
        }
        if header.fortranOrder && header.shape.count > 1 {
            guard expected <= NumPy.maxFortranBytesInMemory else {
                throw NumPyError(file: zip.path, member: member, reason: .fortranTooLarge(bytes: expected))
            }
            var data = [UInt8](repeating: 0, count: expected + 1)
            let got = try zip.read(into: &data, member: member)
            guard got == expected else {
                throw NumPyError(file: zip.path, member: member, reason: .dataLength(expected: expected, actual: got))
            }
            try written { () throws(FormatError) in
                try data.withUnsafeBytes { (raw) in
                    Result { () throws(FormatError) in
                        try NumPyLayout.writeTransposed(UnsafeRawBufferPointer(rebasing: raw[0..<expected]), shape: header.shape,
                                                        width: width, swap: header.isBigEndian, to: &sink)
                    }
                }.get()
            }
            return
        }
        // C order: stream in whole elements, one chunk past the expected end to catch extra data.
        let chunk = max(width, NumPyLayout.chunkBytes / width * width)
        var buffer = [UInt8](repeating: 0, count: chunk)
        var total = 0
        while true {
            let got = try zip.read(into: &buffer, member: member)
            if got == 0 { break }
            total += got
            guard total <= expected else {
                throw NumPyError(file: zip.path, member: member, reason: .dataLength(expected: expected, actual: total))
            }
            try written { () throws(FormatError) in
                try buffer.withUnsafeBytes { (raw) in
                    Result { () throws(FormatError) in
                        let piece = UnsafeRawBufferPointer(rebasing: raw[0..<got])
                        if header.isBigEndian {
                            try NumPyLayout.writeSwapped(piece, width: width, to: &sink)
                        } else {
                            try sink.write(piece)
                        }
                    }
                }.get()
            }
            if got < chunk { break }
        }
        guard total == expected else {
            throw NumPyError(file: zip.path, member: member, reason: .dataLength(expected: expected, actual: total))
        }
        try written { () throws(FormatError) in _ = try sink.finish() }
    }

    // MARK: Model

    private func makeModel(format: ModelFormat, name: String, conversions: [String: JSONValue],
                           tensors: ForeignTensors) -> ForeignModel {
        var metadata: [String: JSONValue] = [MetadataKey.sourceFormat: .string(format.rawValue)]
        if !conversions.isEmpty { metadata[MetadataKey.converted] = .object(conversions) }
        return ForeignModel(format: format, name: name, architecture: Architecture(family: .other, type: "unknown"),
                            metadata: metadata, tensors: tensors)
    }

    /// What import did to an array to bring it to zoo's layout, or nil when nothing.
    static func conversionNote(_ header: NumPyHeader) -> String? {
        let transposed = header.fortranOrder && header.shape.count > 1
        switch (header.isBigEndian, transposed) {
        case (true, true): return "byte-swapped '\(header.descr)' and transposed from Fortran order"
        case (true, false): return "byte-swapped '\(header.descr)'"
        case (false, true): return "transposed from Fortran order"
        case (false, false): return nil
        }
    }

    static func baseName(_ path: String, suffix: String) -> String {
        var base = FileSystem.lastComponent(of: path)
        if base.hasSuffix(suffix), base.count > suffix.count { base.removeLast(suffix.count) }
        return base
    }
}
