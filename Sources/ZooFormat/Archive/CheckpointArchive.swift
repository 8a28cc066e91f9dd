#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CArchive

/// How a `.zoo` archive's tar stream is compressed.
public enum ArchiveCompression: String, Sendable, CaseIterable {
    /// Plain tar: tensors can be memory-mapped straight from the archive.
    case none
    /// zstd: about 8% smaller on float weights, must be extracted before use.
    case zstd
}

/// The single-file form of a checkpoint: a POSIX pax tar (`.zoo`), optionally zstd-compressed
/// (`.zoo.zst`), with `manifest.json` first, then the shards and assets in manifest order.
///
/// Member headers are deterministic (mode 0644, mtime 0, uid/gid 0, no owner names), so the
/// same checkpoint always gives the same archive bytes. In an uncompressed tar every member's
/// data starts on a 512-byte boundary, so tensors (64-byte aligned in their shard) stay
/// aligned when the archive file is memory-mapped.
///
/// ```swift
/// try CheckpointArchive.write(checkpoint, to: "bert.zoo")
/// let mapped = try CheckpointArchive.open("bert.zoo")      // zero-copy, no extraction
/// ```
public enum CheckpointArchive {
    /// Writes `checkpoint` as an archive at `path` (through a temp file, fsync and rename).
    public static func write(_ checkpoint: Checkpoint, to path: String, compression: ArchiveCompression = .none)
        throws(ArchiveError)
    {
        let temp = FileSystem.parentDirectory(of: path) + "/" + FileSystem.uniqueName(".zoo-archive.partial")
        let fd: Int32
        do { fd = try FileSystem.createExclusive(temp) } catch { throw ArchiveError(file: path, reason: .io(error)) }
        var keepTemp = false
        defer {
            if !keepTemp { unlink(temp) }
        }
        var sink = ByteSink(fd: fd, name: temp)
        do throws(ArchiveError) {
            try write(checkpoint, to: &sink, compression: compression, file: path)
        } catch {
            close(fd)
            throw error
        }
        do throws(IOError) {
            try FileSystem.sync(fd, path: temp)
            try FileSystem.close(fd, path: temp)
            try FileSystem.rename(temp, to: path)
            keepTemp = true
            try FileSystem.syncDirectory(FileSystem.parentDirectory(of: path))
        } catch {
            throw ArchiveError(file: path, reason: .io(error))
        }
    }

    /// Writes `checkpoint` as an archive into `sink`, in order (the tar stream never seeks, so
    /// standard output gets the same bytes as a file); flushes the sink but does not sync it.
    /// `file` is what errors other than the sink's own name.
    package static func write(_ checkpoint: Checkpoint, to sink: inout ByteSink, compression: ArchiveCompression = .none,
                              file: String? = nil) throws(ArchiveError)
    {
        let file = file ?? sink.name
        let output = SinkOutput(sink)
        defer { sink = output.sink }
        do throws(ArchiveError) {
            let tar = try TarHandle(mode: .write, path: file)
            try tar.check(archive_write_set_format_pax_restricted(tar.raw))
            if compression == .zstd {
                try tar.check(archive_write_add_filter_zstd(tar.raw))
                try tar.check(archive_write_set_filter_option(tar.raw, "zstd", "compression-level", "3"))
            }
            // No padding of the last block: the archive ends right after the tar end marker.
            try tar.check(archive_write_set_bytes_in_last_block(tar.raw, 1))
            try tar.check(archive_write_open2(tar.raw, Unmanaged.passUnretained(output).toOpaque(), nil,
                                              { _, context, buffer, count in SinkOutput.write(context, buffer, count) },
                                              nil, nil))
            let manifestBytes = checkpoint.manifest.canonicalBytes
            try manifestBytes.withUnsafeBytes { raw in
                Result { () throws(ArchiveError) in try writeMember(tar, path: "manifest.json", bytes: raw, mapped: false) }
            }.get()
            for index in checkpoint.manifest.shards.indices {
                let mapped: (bytes: UnsafeRawBufferPointer, owner: MappedFile)
                do { mapped = try checkpoint.shardBytes(index) } catch { throw ArchiveError(file: file, reason: .format(error)) }
                try withExtendedLifetime(mapped.owner) { () throws(ArchiveError) in
                    try writeMember(tar, path: checkpoint.manifest.shards[index].path, bytes: mapped.bytes)
                }
            }
            for index in checkpoint.manifest.assets.indices {
                let mapped: (bytes: UnsafeRawBufferPointer, owner: MappedFile)
                do { mapped = try checkpoint.assetBytes(index) } catch { throw ArchiveError(file: file, reason: .format(error)) }
                try withExtendedLifetime(mapped.owner) { () throws(ArchiveError) in
                    try writeMember(tar, path: checkpoint.manifest.assets[index].path, bytes: mapped.bytes)
                }
            }
            try tar.check(archive_write_close(tar.raw))
            do { try output.sink.flush() } catch { throw ArchiveError(file: file, reason: .io(error)) }
        } catch {
            // The sink's own error (EPIPE on standard output...) says more than libarchive's "write error".
            if let failure = output.failure { throw ArchiveError(file: file, reason: .io(failure)) }
            throw error
        }
    }

    /// Writes one member; `mapped` says `bytes` is a read-only file mapping whose pages can be
    /// dropped from the resident set once written.
    private static func writeMember(_ tar: TarHandle, path: String, bytes: UnsafeRawBufferPointer, mapped: Bool = true)
        throws(ArchiveError)
    {
        guard let entry = archive_entry_new() else { throw ArchiveError(file: tar.path, reason: .libarchive("out of memory")) }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, path)
        archive_entry_set_size(entry, la_int64_t(bytes.count))
        archive_entry_set_filetype(entry, ZOO_AE_IFREG)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_mtime(entry, 0, 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        try tar.check(archive_write_header(tar.raw, entry))
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + (4 << 20))
            let written = archive_write_data(tar.raw, bytes.baseAddress! + start, end - start)
            guard written > 0 else { throw ArchiveError(file: tar.path, reason: .libarchive(tar.message)) }
            // The bytes are out (libarchive keeps no pointer to them): keep RSS at a few pieces.
            if mapped { MappedFile.dropResidentPages(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + written)])) }
            start += written
        }
    }

    /// Lets libarchive's write callback (a C function) reach the sink; keeps the sink's first error.
    private final class SinkOutput {
        var sink: ByteSink
        var failure: IOError?

        init(_ sink: ByteSink) { self.sink = sink }

        /// libarchive's write callback: the byte count taken, or -1 on error.
        static func write(_ context: UnsafeMutableRawPointer?, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
            guard let context else { return -1 }
            guard let buffer, count > 0 else { return 0 }
            let output = Unmanaged<SinkOutput>.fromOpaque(context).takeUnretainedValue()
            do throws(IOError) {
                try output.sink.write(UnsafeRawBufferPointer(start: buffer, count: count))
                return count
            } catch {
                output.failure = error
                return -1
            }
        }
    }

    /// Sniffs the first bytes of the file: `.none` for a tar, `.zstd` for zstd, `nil` otherwise.
    public static func compression(ofFileAt path: String) -> ArchiveCompression? {
        guard let fd = try? FileSystem.openForReading(path) else { return nil }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 512)
        let count = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 512, 0) }
        if count >= 4, head[0] == 0x28, head[1] == 0xB5, head[2] == 0x2F, head[3] == 0xFD { return .zstd }
        // POSIX tar: "ustar" magic at byte 257 of the first header.
        if count == 512, Array(head[257..<262]) == Array("ustar".utf8) { return ArchiveCompression.none }
        return nil
    }
}
