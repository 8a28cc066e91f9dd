import ZooFormat

/// One member of a zip archive, as its central directory and local header describe it.
struct ZipMember: Equatable {
    /// The member's path inside the archive (UTF-8, validated: relative, no `..`).
    let name: String
    /// The general-purpose flags of the central directory entry.
    let flags: UInt16
    /// 0 = stored, 8 = deflate, ...
    let method: UInt16
    let crc32: UInt32
    let compressedSize: Int
    let uncompressedSize: Int
    /// Absolute offset of the local file header.
    let localHeaderOffset: Int
    /// Absolute offset of the member's first data byte (after the local header).
    let dataOffset: Int

    /// The byte after the member's data.
    var dataEnd: Int { dataOffset + compressedSize }
}

/// A zip archive's central directory, read over the whole file in memory (a mapping) and
/// validated before anything is trusted: the end records (zip64 included) must lie at the end
/// of the file, the central directory inside it, every member's local header and data before
/// the central directory, members in order without overlap, names safe and unique, nothing
/// encrypted. Every offset and size is checked with overflow-checked arithmetic.
///
/// Only reading stored members is offered (``storedBytes(of:)``): they are views of the file,
/// which is what `torch.save` writes (uncompressed, data aligned to 64 bytes).
///
/// ```swift
/// let zip = try ZipArchive(mapping.bytes, file: "model.pt")
/// if let pickle = zip.member(named: "archive/data.pkl") { let bytes = try zip.storedBytes(of: pickle) }
/// ```
struct ZipArchive {
    /// The file's bytes; member views point into them.
    let bytes: UnsafeRawBufferPointer
    /// The file name used in errors.
    let file: String
    /// The members in central directory order.
    let members: [ZipMember]
    /// Where the central directory starts (the byte after the last member's data).
    let centralDirectoryOffset: Int
    private let index: [String: Int]

    // Record signatures and fixed sizes (APPNOTE.TXT 4.3).
    static let localHeaderSignature: UInt32 = 0x0403_4b50
    static let centralEntrySignature: UInt32 = 0x0201_4b50
    static let endSignature: UInt32 = 0x0605_4b50
    static let zip64EndSignature: UInt32 = 0x0606_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    static let localHeaderSize = 30
    static let centralEntrySize = 46
    static let endRecordSize = 22
    static let zip64LocatorSize = 20
    static let zip64EndMinimumSize = 56
    static let maxCommentLength = 0xFFFF
    /// Extra field id of the zip64 extended information.
    static let zip64ExtraID: UInt16 = 0x0001
    /// Flag bits: 0 = encrypted, 6 = strong encryption, 13 = central directory encrypted.
    static let encryptionFlags: UInt16 = 1 | 1 << 6 | 1 << 13
    /// Flag bit 3: sizes and CRC follow the data in a data descriptor (the local header has zeros).
    static let dataDescriptorFlag: UInt16 = 1 << 3

    /// Reads and validates the central directory of the zip in `bytes`.
    init(_ bytes: UnsafeRawBufferPointer, file: String) throws(PyTorchError) {
        self.bytes = bytes
        self.file = file
        let end = try Self.readEndRecords(bytes, file: file)
        var members: [ZipMember] = []
        members.reserveCapacity(end.count)
        var index: [String: Int] = [:]
        // The central directory alone: an entry running past its end is out of bounds.
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[..<end.directoryEnd]), offset: end.directoryOffset)
        for _ in 0..<end.count {
            guard reader.remaining >= Self.centralEntrySize else {
                throw PyTorchError(file: file, offset: reader.offset, reason: .memberCountMismatch(declared: end.count))
            }
            let member = try Self.readCentralEntry(&reader, bytes: bytes, directoryStart: end.directoryOffset, file: file)
            guard index[member.name] == nil else {
                throw PyTorchError(file: file, offset: member.localHeaderOffset, reason: .duplicateMember(member.name))
            }
            index[member.name] = members.count
            members.append(member)
        }
        guard reader.remaining == 0 else {
            throw PyTorchError(file: file, offset: reader.offset, reason: .memberCountMismatch(declared: end.count))
        }
        // Members in file order: each one's data must end before the next one's local header.
        let ordered = members.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (first, second) in zip(ordered, ordered.dropFirst()) where first.dataEnd > second.localHeaderOffset {
            throw PyTorchError(file: file, offset: second.localHeaderOffset, reason: .overlappingMembers(first.name, second.name))
        }
        self.members = members
        self.index = index
        self.centralDirectoryOffset = end.directoryOffset
    }

    /// The member called `name`, if the archive has it.
    func member(named name: String) -> ZipMember? {
        index[name].map { members[$0] }
    }

    /// The bytes of a stored (uncompressed) member, in place in the file.
    func storedBytes(of member: ZipMember) throws(PyTorchError) -> UnsafeRawBufferPointer {
        guard member.method == 0 else {
            throw PyTorchError(file: file, offset: member.localHeaderOffset,
                               reason: .compressedMember(member.name, method: member.method))
        }
        // Bounds were checked when the directory was read.
        return UnsafeRawBufferPointer(rebasing: bytes[member.dataOffset..<member.dataEnd])
    }

    // MARK: End records

    private struct EndRecords {
        var count: Int
        var directoryOffset: Int
        /// The byte after the central directory.
        var directoryEnd: Int
    }

    /// Finds the end of central directory record (and the zip64 one when present) and returns
    /// where the central directory is and how many entries it has, all checked against the file.
    private static func readEndRecords(_ bytes: UnsafeRawBufferPointer, file: String) throws(PyTorchError) -> EndRecords {
        let size = bytes.count
        guard size >= endRecordSize else { throw PyTorchError(file: file, reason: .missingEndOfCentralDirectory) }
        // The record is the last thing in the file but for its comment (at most 65,535 bytes).
        var endOffset: Int?
        var candidate = size - endRecordSize
        let lowest = max(0, size - endRecordSize - maxCommentLength)
        while candidate >= lowest {
            if UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: candidate, as: UInt32.self)) == endSignature {
                endOffset = candidate
                break
            }
            candidate -= 1
        }
        guard let endOffset else { throw PyTorchError(file: file, reason: .missingEndOfCentralDirectory) }

        // 22 bytes are there (the loop started 22 bytes before the end): these reads cannot fail.
        var reader = CheckedReader(bytes, offset: endOffset + 4) { _ in
            PyTorchError(file: file, offset: endOffset, reason: .missingEndOfCentralDirectory)
        }
        let disk = try reader.read(UInt16.self)
        let directoryDisk = try reader.read(UInt16.self)
        let entriesOnDisk = try reader.read(UInt16.self)
        let entries = try reader.read(UInt16.self)
        let directorySize = try reader.read(UInt32.self)
        let directoryOffset = try reader.read(UInt32.self)
        let commentLength = Int(try reader.read(UInt16.self))
        let recordEnd = endOffset + endRecordSize + commentLength
        guard recordEnd <= size else { throw PyTorchError(file: file, offset: endOffset, reason: .missingEndOfCentralDirectory) }
        guard recordEnd == size else { throw PyTorchError(file: file, offset: recordEnd, reason: .trailingBytes(count: size - recordEnd)) }

        var fields = EndFields(
            disk: UInt32(disk), directoryDisk: UInt32(directoryDisk), countOnDisk: UInt64(entriesOnDisk),
            count: UInt64(entries), length: UInt64(directorySize), offset: UInt64(directoryOffset))
        var recordsStart = endOffset
        let locatorOffset = endOffset - zip64LocatorSize
        if locatorOffset >= 0,
            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: locatorOffset, as: UInt32.self)) == zip64LocatorSignature
        {
            recordsStart = try readZip64End(bytes, locatorOffset: locatorOffset, fields: &fields, file: file)
        } else if entries == 0xFFFF || entriesOnDisk == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            throw PyTorchError(file: file, offset: endOffset, reason: .invalidZip64(
                why: "the end record's fields are saturated but there is no zip64 locator"))
        }
        guard fields.disk == 0, fields.directoryDisk == 0, fields.countOnDisk == fields.count else {
            throw PyTorchError(file: file, offset: endOffset, reason: .multiDiskArchive)
        }
        guard let start = Int(exactly: fields.offset), let length = Int(exactly: fields.length),
            case let (directoryEnd, overflow) = start.addingReportingOverflow(length), !overflow,
            directoryEnd <= recordsStart
        else {
            throw PyTorchError(file: file, offset: endOffset, reason: .centralDirectoryOutOfBounds(
                offset: fields.offset, size: fields.length))
        }
        // Every entry takes at least 46 bytes: a count the directory cannot hold is refused
        // before anything is allocated for it.
        guard fields.count <= UInt64(PyTorchZip.maxMembers), fields.count <= UInt64(length / centralEntrySize) else {
            throw PyTorchError(file: file, offset: endOffset, reason: .tooManyMembers(declared: fields.count))
        }
        return EndRecords(count: Int(fields.count), directoryOffset: start, directoryEnd: directoryEnd)
    }

    /// The end record's fields, widened to their zip64 sizes.
    private struct EndFields {
        var disk: UInt32
        var directoryDisk: UInt32
        var countOnDisk: UInt64
        var count: UInt64
        var length: UInt64
        var offset: UInt64
    }

    /// Reads the zip64 locator at `locatorOffset` and the zip64 end record it points to, which must
    /// end right at the locator; replaces `fields` with its values. Returns where the record starts.
    private static func readZip64End(
        _ bytes: UnsafeRawBufferPointer, locatorOffset: Int, fields: inout EndFields, file: String
    ) throws(PyTorchError) -> Int {
        var locator = CheckedReader(bytes, offset: locatorOffset + 4) { _ in
            PyTorchError(file: file, offset: locatorOffset, reason: .invalidZip64(why: "truncated locator"))
        }
        let recordDisk = try locator.read(UInt32.self)
        let recordOffset = try locator.read(UInt64.self)
        let diskCount = try locator.read(UInt32.self)
        guard recordDisk == 0, diskCount <= 1 else {
            throw PyTorchError(file: file, offset: locatorOffset, reason: .multiDiskArchive)
        }
        guard let start = Int(exactly: recordOffset), start <= locatorOffset - zip64EndMinimumSize else {
            throw PyTorchError(file: file, offset: locatorOffset, reason: .invalidZip64(
                why: "the locator points at byte \(recordOffset), not at a record before it"))
        }
        var record = CheckedReader(UnsafeRawBufferPointer(rebasing: bytes[..<locatorOffset]), offset: start) { _ in
            PyTorchError(file: file, offset: start, reason: .invalidZip64(why: "truncated record"))
        }
        guard try record.read(UInt32.self) == zip64EndSignature else {
            throw PyTorchError(file: file, offset: start, reason: .invalidZip64(why: "no zip64 end record where the locator points"))
        }
        // The size counts the bytes after its own field (12 bytes into the record).
        let recordSize = try record.read(UInt64.self)
        guard recordSize == UInt64(locatorOffset - start - 12) else {
            throw PyTorchError(file: file, offset: start, reason: .invalidZip64(why: "its size \(recordSize) does not reach the locator"))
        }
        try record.skip(4)  // versions made by / needed
        let wide = EndFields(
            disk: try record.read(UInt32.self), directoryDisk: try record.read(UInt32.self),
            countOnDisk: try record.read(UInt64.self), count: try record.read(UInt64.self),
            length: try record.read(UInt64.self), offset: try record.read(UInt64.self))
        // A 32-bit field that is not saturated must agree with its zip64 twin.
        func agrees(_ narrow: UInt64, _ wide: UInt64, saturated: UInt64) -> Bool { narrow == saturated || narrow == wide }
        guard agrees(fields.count, wide.count, saturated: 0xFFFF), agrees(fields.countOnDisk, wide.countOnDisk, saturated: 0xFFFF),
            agrees(fields.length, wide.length, saturated: 0xFFFF_FFFF), agrees(fields.offset, wide.offset, saturated: 0xFFFF_FFFF)
        else {
            throw PyTorchError(file: file, offset: start, reason: .invalidZip64(why: "it disagrees with the end record"))
        }
        fields = wide
        return start
    }

    // MARK: Members

    /// Reads the central directory entry at the reader's position (a reader over the file up to
    /// the end of the central directory) and validates it and its local header, whose data must
    /// end before `directoryStart`.
    private static func readCentralEntry(
        _ directory: inout ByteReader, bytes: UnsafeRawBufferPointer, directoryStart: Int, file: String
    ) throws(PyTorchError) -> ZipMember {
        let entryOffset = directory.offset
        var reader = CheckedReader(directory) { error in
            PyTorchError(file: file, offset: error.offset, reason: .truncatedCentralEntry)
        }
        defer { directory = reader.base }
        guard try reader.read(UInt32.self) == centralEntrySignature else {
            throw PyTorchError(file: file, offset: entryOffset, reason: .badSignature(what: "central directory entry"))
        }
        try reader.skip(4)  // versions made by / needed
        let flags = try reader.read(UInt16.self)
        let method = try reader.read(UInt16.self)
        try reader.skip(4)  // time, date
        let crc = try reader.read(UInt32.self)
        var compressed = UInt64(try reader.read(UInt32.self))
        var uncompressed = UInt64(try reader.read(UInt32.self))
        let nameLength = Int(try reader.read(UInt16.self))
        let extraLength = Int(try reader.read(UInt16.self))
        let commentLength = Int(try reader.read(UInt16.self))
        var diskStart = UInt32(try reader.read(UInt16.self))
        try reader.skip(6)  // internal and external attributes
        var localOffset = UInt64(try reader.read(UInt32.self))
        let nameBytes = try reader.bytes(count: nameLength)
        let name = try validatedName(nameBytes, file: file, at: entryOffset)
        var extra = CheckedReader(try reader.bytes(count: extraLength)) { _ in
            PyTorchError(file: file, offset: entryOffset, reason: .invalidZip64(why: "member \(name): truncated extra field"))
        }
        try reader.skip(commentLength)

        // Zip64 extended information holds the saturated fields, in this order.
        while extra.base.remaining >= 4 {
            let id = try extra.read(UInt16.self)
            let size = Int(try extra.read(UInt16.self))
            var field = CheckedReader(try extra.bytes(count: size), failure: extra.failure)
            guard id == zip64ExtraID else { continue }
            if uncompressed == 0xFFFF_FFFF { uncompressed = try field.read(UInt64.self) }
            if compressed == 0xFFFF_FFFF { compressed = try field.read(UInt64.self) }
            if localOffset == 0xFFFF_FFFF { localOffset = try field.read(UInt64.self) }
            if diskStart == 0xFFFF { diskStart = try field.read(UInt32.self) }
        }
        guard diskStart == 0 else { throw PyTorchError(file: file, offset: entryOffset, reason: .multiDiskArchive) }
        guard flags & encryptionFlags == 0 else {
            throw PyTorchError(file: file, offset: entryOffset, reason: .encryptedMember(name))
        }
        if method == 0, compressed != uncompressed {
            throw PyTorchError(file: file, offset: entryOffset, reason: .storedSizeMismatch(
                name, compressed: compressed, uncompressed: uncompressed))
        }
        guard let compressedSize = Int(exactly: compressed), let uncompressedSize = Int(exactly: uncompressed),
            let headerOffset = Int(exactly: localOffset)
        else {
            throw PyTorchError(file: file, offset: entryOffset, reason: .memberOutOfBounds(name))
        }
        let dataOffset = try localDataOffset(
            bytes, name: name, nameBytes: nameBytes, flags: flags, sizes: (compressed, uncompressed),
            headerOffset: headerOffset, limit: directoryStart, file: file)
        let (dataEnd, overflow) = dataOffset.addingReportingOverflow(compressedSize)
        guard !overflow, dataEnd <= directoryStart else {
            throw PyTorchError(file: file, offset: headerOffset, reason: .memberOutOfBounds(name))
        }
        return ZipMember(
            name: name, flags: flags, method: method, crc32: crc, compressedSize: compressedSize,
            uncompressedSize: uncompressedSize, localHeaderOffset: headerOffset, dataOffset: dataOffset)
    }

    /// Validates the local header of a member, which with its data must lie before `limit` (the
    /// central directory), and returns the absolute offset of its data.
    private static func localDataOffset(
        _ bytes: UnsafeRawBufferPointer, name: String, nameBytes: UnsafeRawBufferPointer, flags: UInt16,
        sizes: (compressed: UInt64, uncompressed: UInt64), headerOffset: Int, limit: Int, file: String
    ) throws(PyTorchError) -> Int {
        guard headerOffset < limit else { throw PyTorchError(file: file, offset: headerOffset, reason: .memberOutOfBounds(name)) }
        var local = CheckedReader(UnsafeRawBufferPointer(rebasing: bytes[..<limit]), offset: headerOffset) { _ in
            PyTorchError(file: file, offset: headerOffset, reason: .memberOutOfBounds(name))
        }
        guard try local.read(UInt32.self) == localHeaderSignature else {
            throw PyTorchError(file: file, offset: headerOffset, reason: .badSignature(what: "local header of \(name)"))
        }
        try local.skip(2)  // version needed
        let localFlags = try local.read(UInt16.self)
        try local.skip(2 + 4 + 4)  // method, time, date, crc
        let localCompressed = try local.read(UInt32.self)
        let localUncompressed = try local.read(UInt32.self)
        let nameLength = Int(try local.read(UInt16.self))
        let extraLength = Int(try local.read(UInt16.self))
        let localName = try local.bytes(count: nameLength)
        guard localName.elementsEqual(nameBytes) else {
            throw PyTorchError(file: file, offset: headerOffset, reason: .localNameMismatch(
                central: name, local: String(decoding: localName, as: UTF8.self)))
        }
        try local.skip(extraLength)
        // Without a data descriptor the local sizes must be the real ones (or zip64-saturated).
        if localFlags & dataDescriptorFlag == 0, flags & dataDescriptorFlag == 0,
            localCompressed != 0xFFFF_FFFF, localUncompressed != 0xFFFF_FFFF,
            UInt64(localCompressed) != sizes.compressed || UInt64(localUncompressed) != sizes.uncompressed
        {
            throw PyTorchError(file: file, offset: headerOffset, reason: .localSizeMismatch(name))
        }
        return local.base.offset
    }

    /// The member name as a string, refused when it is not UTF-8 or could leave a folder.
    private static func validatedName(_ raw: UnsafeRawBufferPointer, file: String, at offset: Int) throws(PyTorchError) -> String {
        guard let name = String(validating: raw, as: UTF8.self) else {
            throw PyTorchError(file: file, offset: offset, reason: .unsafeMemberName(String(decoding: raw, as: UTF8.self)))
        }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        let unsafe = name.isEmpty || name.hasPrefix("/") || name.contains("\\") || name.utf8.contains(0)
            || components.contains("..") || (components.first?.dropFirst().first == ":")
        guard !unsafe else { throw PyTorchError(file: file, offset: offset, reason: .unsafeMemberName(name)) }
        return name
    }
}

/// A ``ByteReader`` whose running out of bytes throws the ``PyTorchError`` that `failure` makes,
/// so that parsers keep one typed error.
struct CheckedReader {
    var base: ByteReader
    let failure: (ByteReader.OutOfBounds) -> PyTorchError

    init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0, failure: @escaping (ByteReader.OutOfBounds) -> PyTorchError) {
        self.base = ByteReader(buffer, offset: offset)
        self.failure = failure
    }

    init(_ base: ByteReader, failure: @escaping (ByteReader.OutOfBounds) -> PyTorchError) {
        self.base = base
        self.failure = failure
    }

    var offset: Int { base.offset }
    var remaining: Int { base.remaining }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type) throws(PyTorchError) -> T {
        do { return try base.read(type) } catch { throw failure(error) }
    }

    mutating func bytes(count: Int) throws(PyTorchError) -> UnsafeRawBufferPointer {
        do { return try base.bytes(count: count) } catch { throw failure(error) }
    }

    mutating func skip(_ count: Int) throws(PyTorchError) {
        do { try base.skip(count) } catch { throw failure(error) }
    }
}
