import CArchive

/// Owns one libarchive handle (`struct archive *`) for reading or writing; freed in `deinit`,
/// so no path can leak it or free it twice.
final class TarHandle {
    enum Mode { case read, write }

    let raw: OpaquePointer
    let mode: Mode
    let path: String

    init(mode: Mode, path: String) throws(ArchiveError) {
        guard let raw = mode == .read ? archive_read_new() : archive_write_new() else {
            throw ArchiveError(file: path, reason: .libarchive("out of memory"))
        }
        self.raw = raw
        self.mode = mode
        self.path = path
    }

    deinit {
        switch mode {
        case .read: archive_read_free(raw)
        case .write: archive_write_free(raw)
        }
    }

    /// libarchive's last error message (it may be NULL).
    var message: String {
        archive_error_string(raw).map { String(cString: $0) } ?? "unknown error (code \(archive_errno(raw)))"
    }

    /// Throws libarchive's message when `status` is below ARCHIVE_WARN.
    func check(_ status: Int32, offset: Int? = nil) throws(ArchiveError) {
        if status < ARCHIVE_WARN { throw ArchiveError(file: path, offset: offset, reason: .libarchive(message)) }
    }

    /// Bytes of the (uncompressed) tar stream consumed or produced so far: right after
    /// `archive_read_next_header` it is the offset of the member's data, even after a pax header.
    var position: Int { Int(archive_filter_bytes(raw, 0)) }
}
