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
        let mapping: MappedFile
        do { mapping = try MappedFile(path: path) } catch { throw NumPyError(file: path, reason: .io(error)) }
        if mapping.bytes.starts(with: NumPy.magic) { return try importNpy(mapping, to: destination) }
        return try importNpz(path, to: destination)
    }

    // MARK: .npy

    private func importNpy(_ mapping: MappedFile, to destination: String) throws(NumPyError) -> Manifest {
        let path = mapping.path
        let header = try NumPyHeader.parse(mapping.bytes, file: path)
        let actual = mapping.bytes.count - header.dataOffset
        guard actual == header.dataByteCount else {
            throw NumPyError(file: path, offset: header.dataOffset, reason: .dataLength(expected: header.dataByteCount, actual: actual))
        }
        let base = Self.baseName(path, suffix: ".npy")
        let data = UnsafeRawBufferPointer(rebasing: mapping.bytes[header.dataOffset...])
        let writer = try makeWriter(destination: destination, name: name ?? base)
        var conversions: [String: JSONValue] = [:]
        if let note = Self.conversionNote(header) { conversions[base] = .string(note) }
        do throws(FormatError) {
            try writer.addTensor(name: base, dtype: header.dtype, shape: header.shape) { (sink) throws(FormatError) in
                try withExtendedLifetime(mapping) { () throws(FormatError) in
                    try NumPyLayout.write(data, header: header, to: &sink)
                }
            }
        } catch {
            throw NumPyError(file: destination, reason: .checkpoint(error))
        }
        return try finish(writer, format: "npy", conversions: conversions, destination: destination)
    }

    // MARK: .npz

    private func importNpz(_ path: String, to destination: String) throws(NumPyError) -> Manifest {
        let zip = try NumPyZipReader(path: path)
        let writer = try makeWriter(destination: destination, name: name ?? Self.baseName(path, suffix: ".npz"))
        var conversions: [String: JSONValue] = [:]
        do throws(NumPyError) {
            while let member = try zip.next() {
                guard member.name.hasSuffix(".npy"), member.name.count > 4 else {
                    throw NumPyError(file: path, reason: .notNpyMember(member.name))
                }
                let tensor = String(member.name.dropLast(4))
                let header = try readMemberHeader(zip, member: member.name)
                if let note = Self.conversionNote(header) { conversions[tensor] = .string(note) }
                try addMember(zip, member: member.name, tensor: tensor, header: header, to: writer)
            }
        } catch {
            writer.abort()
            throw error
        }
        return try finish(writer, format: "npz", conversions: conversions, destination: destination)
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

    /// Streams a member's data (after its header) into the writer.
    private func addMember(
        _ zip: NumPyZipReader, member: String, tensor: String, header: NumPyHeader, to writer: CheckpointWriter
    ) throws(NumPyError) {
        let expected = header.dataByteCount
        let width = header.dtype.bitWidth / 8
        var failure: NumPyError?
        func fail(_ error: NumPyError) -> FormatError {
            failure = error
            return FormatError(file: zip.path, reason: .invalidMember(member, expected: error.description))
        }
        do throws(FormatError) {
            try writer.addTensor(name: tensor, dtype: header.dtype, shape: header.shape) { (sink) throws(FormatError) in
                if header.fortranOrder && header.shape.count > 1 {
                    guard expected <= NumPy.maxFortranBytesInMemory else {
                        throw fail(NumPyError(file: zip.path, member: member, reason: .fortranTooLarge(bytes: expected)))
                    }
                    var data = [UInt8](repeating: 0, count: expected + 1)
                    let got: Int
                    do throws(NumPyError) { got = try zip.read(into: &data, member: member) } catch { throw fail(error) }
                    guard got == expected else {
                        throw fail(NumPyError(file: zip.path, member: member, reason: .dataLength(expected: expected, actual: got)))
                    }
                    try data.withUnsafeBytes { (raw) in
                        Result { () throws(FormatError) in
                            try NumPyLayout.writeTransposed(UnsafeRawBufferPointer(rebasing: raw[0..<expected]), shape: header.shape,
                                                            width: width, swap: header.isBigEndian, to: &sink)
                        }
                    }.get()
                    return
                }
                // C order: stream in whole elements, one chunk past the expected end to catch extra data.
                let chunk = max(width, NumPyLayout.chunkBytes / width * width)
                var buffer = [UInt8](repeating: 0, count: chunk)
                var total = 0
                while true {
                    let got: Int
                    do throws(NumPyError) { got = try zip.read(into: &buffer, member: member) } catch { throw fail(error) }
                    if got == 0 { break }
                    total += got
                    guard total <= expected else {
                        throw fail(NumPyError(file: zip.path, member: member, reason: .dataLength(expected: expected, actual: total)))
                    }
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
                    if got < chunk { break }
                }
                guard total == expected else {
                    throw fail(NumPyError(file: zip.path, member: member, reason: .dataLength(expected: expected, actual: total)))
                }
            }
        } catch {
            throw failure ?? NumPyError(file: zip.path, member: member, reason: .checkpoint(error))
        }
    }

    // MARK: Writing

    private func makeWriter(destination: String, name: String) throws(NumPyError) -> CheckpointWriter {
        do {
            return try CheckpointWriter(destination: destination, name: name,
                                        architecture: Architecture(family: .other, type: "unknown"), options: writerOptions)
        } catch {
            throw NumPyError(file: destination, reason: .checkpoint(error))
        }
    }

    private func finish(
        _ writer: CheckpointWriter, format: String, conversions: [String: JSONValue], destination: String
    ) throws(NumPyError) -> Manifest {
        var metadata: [String: JSONValue] = [MetadataKey.sourceFormat: .string(format)]
        if !conversions.isEmpty { metadata[MetadataKey.converted] = .object(conversions) }
        writer.metadata = metadata
        do { return try writer.finish() } catch { throw NumPyError(file: destination, reason: .checkpoint(error)) }
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
