import CArchive
import ZooFormat

/// Reads the members of an `.npz` (a zip) with libarchive, one after the other, refusing anything
/// that is not a plain, safely named, unencrypted regular file. Owns its libarchive handle.
final class NumPyZipReader {
    private let handle: OpaquePointer  // struct archive *
    let path: String
    private var names = Set<String>()
    /// The CRC-32 and length of what was read of the current member so far.
    private(set) var crc = CRC32()
    private(set) var bytesRead = 0

    /// One member: its validated name and, when the archive states it, its uncompressed size.
    struct Member {
        var name: String
        var size: Int?
    }

    init(path: String) throws(NumPyError) {
        guard let handle = archive_read_new() else { throw NumPyError(file: path, reason: .archive("out of memory")) }
        // The seekable reader takes names, sizes and types from the central directory, the
        // authoritative record, and copes with members written with data descriptors.
        archive_read_support_format_zip_seekable(handle)
        guard archive_read_open_filename(handle, path, 1 << 16) == ARCHIVE_OK else {
            let message = archive_error_string(handle).map { String(cString: $0) } ?? "cannot open"
            archive_read_free(handle)
            throw NumPyError(file: path, reason: .archive(message))
        }
        self.handle = handle
        self.path = path
    }

    deinit { archive_read_free(handle) }

    private var message: String {
        archive_error_string(handle).map { String(cString: $0) } ?? "unknown error (code \(archive_errno(handle)))"
    }

    /// The next member, validated; nil at the end of the archive.
    func next() throws(NumPyError) -> Member? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(handle, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status >= ARCHIVE_WARN, let entry else { throw NumPyError(file: path, reason: .archive(message)) }
        let name = (archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry)).map { String(cString: $0) } ?? ""
        guard Self.isSafeMemberPath(name) else { throw NumPyError(file: path, reason: .unsafeMemberPath(name)) }
        guard archive_entry_filetype(entry) == ZOO_AE_IFREG, archive_entry_hardlink(entry) == nil,
            archive_entry_symlink(entry) == nil
        else { throw NumPyError(file: path, reason: .notRegularMember(name)) }
        guard archive_entry_is_encrypted(entry) == 0 else { throw NumPyError(file: path, reason: .encryptedMember(name)) }
        guard names.insert(name).inserted else { throw NumPyError(file: path, reason: .duplicateMember(name)) }
        let size = archive_entry_size_is_set(entry) != 0 ? Int(exactly: archive_entry_size(entry)) : nil
        crc = CRC32()
        bytesRead = 0
        return Member(name: name, size: size)
    }

    /// Fills `buffer` from the current member's data as far as it goes; returns the byte count
    /// (less than the buffer only at the member's end).
    func read(into buffer: UnsafeMutableRawBufferPointer, member: String) throws(NumPyError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var filled = 0
        while filled < buffer.count {
            let count = archive_read_data(handle, base + filled, buffer.count - filled)
            guard count >= 0 else { throw NumPyError(file: path, member: member, reason: .archive(message)) }
            if count == 0 { break }
            crc.update(UnsafeRawBufferPointer(start: base + filled, count: count))
            filled += count
        }
        bytesRead += filled
        return filled
    }

    /// Fills `array` (from its start) from the current member's data; returns the byte count.
    func read(into array: inout [UInt8], member: String) throws(NumPyError) -> Int {
        try array.withUnsafeMutableBytes { raw in
            Result { () throws(NumPyError) in try read(into: raw, member: member) }
        }.get()
    }

    /// Whether `name` is a relative path that stays inside a folder: not empty, not absolute,
    /// no empty, `.` or `..` component, no backslash or NUL.
    static func isSafeMemberPath(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.utf8.contains(0), !name.contains("\\") else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}

/// Writes an `.npz` (a zip of `.npy` members) with libarchive: members stored, or deflated as
/// `numpy.savez_compressed` does. Owns its libarchive handle.
final class NumPyZipWriter {
    private let handle: OpaquePointer  // struct archive *
    let path: String
    private var closed = false

    /// 1980-01-01 00:00:00 UTC, the earliest zip timestamp: members get a fixed time so that an
    /// export is reproducible.
    static let memberTime = 315_532_800

    init(path: String, compressed: Bool) throws(NumPyError) {
        guard let handle = archive_write_new() else { throw NumPyError(file: path, reason: .archive("out of memory")) }
        self.handle = handle
        self.path = path
        guard archive_write_set_format_zip(handle) == ARCHIVE_OK,
            archive_write_set_options(handle, compressed ? "zip:compression=deflate" : "zip:compression=store") == ARCHIVE_OK,
            archive_write_open_filename(handle, path) == ARCHIVE_OK
        else {
            closed = true
            throw NumPyError(file: path, reason: .archive(message))
        }
    }

    deinit {
        if !closed { archive_write_close(handle) }
        archive_write_free(handle)
    }

    private var message: String {
        archive_error_string(handle).map { String(cString: $0) } ?? "unknown error (code \(archive_errno(handle)))"
    }

    /// Adds a member of `size` bytes, whose data `produce` writes through the given function.
    func addMember(
        name: String, size: Int, _ produce: ((UnsafeRawBufferPointer) throws(NumPyError) -> Void) throws(NumPyError) -> Void
    ) throws(NumPyError) {
        guard let entry = archive_entry_new() else { throw NumPyError(file: path, reason: .archive("out of memory")) }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, name)
        archive_entry_set_size(entry, Int64(size))
        archive_entry_set_filetype(entry, ZOO_AE_IFREG)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_mtime(entry, Self.memberTime, 0)
        guard archive_write_header(handle, entry) >= ARCHIVE_WARN else {
            throw NumPyError(file: path, member: name, reason: .archive(message))
        }
        try produce { (bytes) throws(NumPyError) in
            var start = 0
            while start < bytes.count, let base = bytes.baseAddress {
                let written = archive_write_data(handle, base + start, bytes.count - start)
                guard written > 0 else { throw NumPyError(file: path, member: name, reason: .archive(message)) }
                start += written
            }
        }
        guard archive_write_finish_entry(handle) >= ARCHIVE_WARN else {
            throw NumPyError(file: path, member: name, reason: .archive(message))
        }
    }

    /// Writes the central directory and closes the file.
    func close() throws(NumPyError) {
        closed = true
        guard archive_write_close(handle) == ARCHIVE_OK else { throw NumPyError(file: path, reason: .archive(message)) }
    }
}
