#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CArchive

extension CheckpointArchive {
    /// Opens an uncompressed `.zoo` archive in place: reads and validates the manifest, checks
    /// every member against it, and maps tensors straight from the archive file.
    public static func open(_ path: String) throws(ArchiveError) -> Checkpoint {
        switch compression(ofFileAt: path) {
        case .none?: break
        case .zstd?: throw ArchiveError(file: path, reason: .compressed)
        case nil: throw ArchiveError(file: path, reason: .notAnArchive)
        }
        var shards: [FileRegion?] = []
        var assets: [FileRegion?] = []
        let manifest = try scan(path, compression: .none) { manifest in
            shards = Array(repeating: nil, count: manifest.shards.count)
            assets = Array(repeating: nil, count: manifest.assets.count)
        } visit: { (tar, member, offset) throws(ArchiveError) in
            let region = FileRegion(path: path, offset: offset, length: member.entry.length)
            if member.isShard { shards[member.index] = region } else { assets[member.index] = region }
            try tar.check(archive_read_data_skip(tar.raw), offset: offset)
        }
        do throws(FormatError) {
            return try Checkpoint(validated: manifest, location: path, shards: shards.compactMap { $0 },
                                  assets: assets.compactMap { $0 })
        } catch {
            throw ArchiveError(file: path, reason: .format(error))
        }
    }

    /// Extracts a `.zoo` or `.zoo.zst` archive into `directory`, which must not exist yet.
    ///
    /// Every member is checked before a byte of it is written (declared in the manifest,
    /// regular file, declared size) and hashed while it is written; the folder appears under
    /// its final name only when every member matched. Returns the manifest.
    @discardableResult
    public static func extract(_ path: String, to directory: String) throws(ArchiveError) -> Manifest {
        guard let compression = compression(ofFileAt: path) else { throw ArchiveError(file: path, reason: .notAnArchive) }
        guard FileSystem.kind(of: directory) == .missing else {
            throw ArchiveError(file: directory, reason: .io(IOError(call: "mkdir", path: directory, errno: EEXIST)))
        }
        let staging = FileSystem.parentDirectory(of: directory) + "/" + FileSystem.uniqueName(".zoo-extract.partial")
        do { try FileSystem.makeDirectories(staging) } catch { throw ArchiveError(file: staging, reason: .io(error)) }
        var succeeded = false
        defer { if !succeeded { try? FileSystem.removeTree(staging) } }

        let manifest = try scan(path, compression: compression) { _ in } visit: { (tar, member, offset) throws(ArchiveError) in
            let target = staging + "/" + member.entry.path
            let digest = try copyData(tar, to: target, declared: member.entry.length, archiveOffset: offset)
            guard digest == member.entry.digest else {
                throw ArchiveError(file: path, offset: offset, reason: .digestMismatch(
                    member: member.entry.path, expected: member.entry.digest, actual: digest))
            }
        }
        do throws(IOError) {
            try FileSystem.writeAtomically(manifest.canonicalBytes, to: staging + "/manifest.json")
            try FileSystem.syncDirectory(staging)
            try FileSystem.renameNoReplace(staging, to: directory)
            succeeded = true
            try FileSystem.syncDirectory(FileSystem.parentDirectory(of: directory))
        } catch {
            throw ArchiveError(file: directory, reason: .io(error))
        }
        return manifest
    }

    /// A member the manifest declares.
    struct DeclaredMember {
        let entry: FileEntry
        let isShard: Bool
        let index: Int
    }

    /// Reads the archive's members in order, validating each against the manifest (the first
    /// member) before `member` sees it; `member` must consume or skip the member's data.
    static func scan(
        _ path: String, compression: ArchiveCompression,
        manifestRead: (Manifest) -> Void,
        visit: (TarHandle, DeclaredMember, Int) throws(ArchiveError) -> Void
    ) throws(ArchiveError) -> Manifest {
        // An uncompressed archive is walked byte for byte first (cheap: headers and padding only);
        // libarchive must then find the members where the walk did.
        let layout = compression == .none ? try layoutMembers(path) : nil
        var layoutIndex = 0
        let tar = try TarHandle(mode: .read, path: path)
        try tar.check(archive_read_support_format_tar(tar.raw))
        if compression == .zstd { try tar.check(archive_read_support_filter_zstd(tar.raw)) }
        try tar.check(archive_read_open_filename(tar.raw, path, 1 << 20))

        var entry: OpaquePointer?
        var headerOffset = tar.position
        func next() throws(ArchiveError) -> Bool {
            headerOffset = tar.position
            let status = archive_read_next_header(tar.raw, &entry)
            if status == ARCHIVE_EOF {
                if let layout, layoutIndex != layout.count {
                    throw ArchiveError(file: path, offset: headerOffset, reason: .layout("libarchive ended before member \(layoutIndex + 1)"))
                }
                return false
            }
            try tar.check(status, offset: headerOffset)
            if let layout {
                guard layoutIndex < layout.count, layout[layoutIndex].dataOffset == tar.position else {
                    throw ArchiveError(file: path, offset: headerOffset, reason: .layout(
                        "libarchive and the header walk disagree about member \(layoutIndex + 1)"))
                }
                headerOffset = layout[layoutIndex].headerOffset  // exact, where libarchive's count is not
                layoutIndex += 1
            }
            return true
        }

        guard try next(), let first = entry else { throw ArchiveError(file: path, reason: .missingMember("manifest.json")) }
        let firstPath = try memberPath(first, archive: path, offset: headerOffset)
        guard firstPath == "manifest.json" else {
            throw ArchiveError(file: path, offset: headerOffset, reason: .manifestNotFirst(found: firstPath))
        }
        try checkRegular(first, path: firstPath, archive: path, offset: headerOffset)
        let size = archive_entry_size(first)
        guard size >= 0, size <= Manifest.maxByteCount else {
            throw ArchiveError(file: path, offset: headerOffset, reason: .format(FormatError(
                file: "manifest.json", reason: .manifestTooLarge(size: Int(size), limit: Manifest.maxByteCount))))
        }
        let manifestBytes = try readData(tar, count: Int(size), offset: headerOffset)
        let manifest: Manifest
        do throws(FormatError) {
            manifest = try Manifest(parsing: manifestBytes, file: path + ":manifest.json")
        } catch {
            throw ArchiveError(file: path, reason: .format(error))
        }
        manifestRead(manifest)

        var declared: [String: DeclaredMember] = [:]
        for (i, e) in manifest.shards.enumerated() { declared[e.path] = DeclaredMember(entry: e, isShard: true, index: i) }
        for (i, e) in manifest.assets.enumerated() { declared[e.path] = DeclaredMember(entry: e, isShard: false, index: i) }
        // Folders that may appear as directory members (written by ordinary tar tools).
        var folders: Set<String> = []
        for path in declared.keys {
            var parts = Array(path.utf8).split(separator: UInt8(ascii: "/")).dropLast()
            while !parts.isEmpty {
                folders.insert(String(decoding: Array(parts.joined(separator: [UInt8(ascii: "/")])), as: UTF8.self))
                parts = parts.dropLast()
            }
        }
        var seen: Set<String> = ["manifest.json"]
        while try next() {
            guard let current = entry else { break }
            var name = try memberPath(current, archive: path, offset: headerOffset)
            if archive_entry_filetype(current) == ZOO_AE_IFDIR, archive_entry_hardlink(current) == nil {
                if name.utf8.last == UInt8(ascii: "/") { name = String(decoding: name.utf8.dropLast(), as: UTF8.self) }
                guard folders.contains(name) else {
                    throw ArchiveError(file: path, offset: headerOffset, reason: .undeclaredMember(name))
                }
                continue
            }
            try checkRegular(current, path: name, archive: path, offset: headerOffset)
            guard let member = declared[name] else {
                throw ArchiveError(file: path, offset: headerOffset, reason: .undeclaredMember(name))
            }
            guard seen.insert(name).inserted else {
                throw ArchiveError(file: path, offset: headerOffset, reason: .duplicateMember(name))
            }
            let size = archive_entry_size_is_set(current) != 0 ? Int(archive_entry_size(current)) : -1
            guard size == member.entry.length else {
                throw ArchiveError(file: path, offset: headerOffset, reason: .sizeMismatch(
                    member: name, declared: member.entry.length, actual: size))
            }
            try visit(tar, member, tar.position)
        }
        if let missing = (manifest.shards + manifest.assets).first(where: { !seen.contains($0.path) }) {
            throw ArchiveError(file: path, reason: .missingMember(missing.path))
        }
        return manifest
    }

    /// The member's path, refused when unsafe. A leading `./` is refused, not normalised
    /// (spec §12.4): the name must be the manifest's path exactly.
    private static func memberPath(_ entry: OpaquePointer, archive: String, offset: Int) throws(ArchiveError) -> String {
        guard let raw = archive_entry_pathname(entry) else {
            throw ArchiveError(file: archive, offset: offset, reason: .unsafePath("<unreadable name>"))
        }
        let bytes = Array(String(cString: raw).utf8)
        let path = String(decoding: bytes, as: UTF8.self)
        guard PathComponents.areSafe(bytes), !bytes.contains(UInt8(ascii: "\\")) else {
            throw ArchiveError(file: archive, offset: offset, reason: .unsafePath(path))
        }
        return path
    }

    private static func checkRegular(_ entry: OpaquePointer, path: String, archive: String, offset: Int) throws(ArchiveError) {
        // GNU sparse members (typeflag S, or pax GNU.sparse records) read as regular files to libarchive.
        guard archive_entry_sparse_count(entry) == 0 else {
            throw ArchiveError(file: archive, offset: offset, reason: .sparseMember(path))
        }
        guard archive_entry_filetype(entry) == ZOO_AE_IFREG, archive_entry_hardlink(entry) == nil,
            archive_entry_symlink(entry) == nil
        else { throw ArchiveError(file: archive, offset: offset, reason: .notARegularFile(path)) }
    }

    /// Checks every byte of the archive's tar layout (``TarLayout``): headers as written, pax
    /// records, zero padding, the end marker and nothing but zeros after it up to the record
    /// size. `open` and `extract` do this for `.zoo`; for `.zoo.zst` it costs a decompression
    /// pass, so `zoo verify --deep` runs it.
    public static func verifyLayout(_ path: String) throws(ArchiveError) {
        switch compression(ofFileAt: path) {
        case .none?: _ = try layoutMembers(path)
        case .zstd?:
            var source = try TarDecompressedSource(path: path)
            _ = try TarLayout.check(&source, archive: path)
        case nil: throw ArchiveError(file: path, reason: .notAnArchive)
        }
    }

    /// The members of an uncompressed archive as its headers describe them, every byte checked.
    static func layoutMembers(_ path: String) throws(ArchiveError) -> [TarLayout.Member] {
        let fd: Int32
        do { fd = try FileSystem.openForReading(path) } catch { throw ArchiveError(file: path, reason: .io(error)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ArchiveError(file: path, reason: .io(IOError(call: "fstat", path: path, errno: errno))) }
        var source = TarFileSource(fd: fd, path: path, size: Int(info.st_size))
        return try TarLayout.check(&source, archive: path)
    }

    /// Reads exactly `count` bytes of the current member (a small one: the manifest).
    private static func readData(_ tar: TarHandle, count: Int, offset: Int) throws(ArchiveError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { archive_read_data(tar.raw, $0.baseAddress! + filled, count - filled) }
            guard n > 0 else {
                if n < 0 { throw ArchiveError(file: tar.path, offset: offset, reason: .libarchive(tar.message)) }
                throw ArchiveError(file: tar.path, offset: offset, reason: .sizeMismatch(
                    member: "manifest.json", declared: count, actual: filled))
            }
            filled += n
        }
        return bytes
    }

    /// Streams the current member into a new file at `target` while hashing it.
    private static func copyData(_ tar: TarHandle, to target: String, declared: Int, archiveOffset: Int)
        throws(ArchiveError) -> SHA256Digest
    {
        let fd: Int32
        do throws(IOError) {
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: target))
            fd = try FileSystem.createExclusive(target)
        } catch {
            throw ArchiveError(file: target, reason: .io(error))
        }
        defer { close(fd) }
        let hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(tar.raw, $0.baseAddress, $0.count) }
            if n == 0 { break }
            guard n > 0 else { throw ArchiveError(file: tar.path, offset: archiveOffset, reason: .libarchive(tar.message)) }
            total += n
            guard total <= declared else {
                throw ArchiveError(file: tar.path, offset: archiveOffset, reason: .sizeMismatch(
                    member: target, declared: declared, actual: total))
            }
            let result: Result<Void, IOError> = buffer.withUnsafeBytes { raw in
                let piece = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                hasher.update(piece)
                return Result { () throws(IOError) in try FileSystem.writeAll(fd, piece, path: target) }
            }
            do { try result.get() } catch { throw ArchiveError(file: target, reason: .io(error)) }
        }
        guard total == declared else {
            throw ArchiveError(file: tar.path, offset: archiveOffset, reason: .sizeMismatch(
                member: target, declared: declared, actual: total))
        }
        do { try FileSystem.sync(fd, path: target) } catch { throw ArchiveError(file: target, reason: .io(error)) }
        return hasher.finalize()
    }
}

extension Checkpoint {
    /// Opens a checkpoint folder or an uncompressed `.zoo` archive, whichever `path` is.
    /// A `.zoo.zst` archive must be extracted first (``CheckpointArchive/extract(_:to:)``).
    public convenience init(contentsOf path: String) throws {
        if FileSystem.kind(of: path) == .directory {
            try self.init(directory: path)
            return
        }
        let archive = try CheckpointArchive.open(path)
        try self.init(validated: archive.manifest, location: path, shards: archive.shardRegions,
                      assets: archive.assetRegions)
    }
}
