#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

extension Store {
    /// `<root>/index`: derived data (summaries and the ref index), rebuilt from `blobs/` and
    /// `refs/` whenever it is missing or does not match them.
    public var indexDirectory: String { root + "/index" }
    /// `<root>/index/models`: one ``ModelSummary`` per stored model, named by the model's hex digest.
    public var summaryDirectory: String { indexDirectory + "/models" }
    /// Where the summary of model `digest` lives.
    public func summaryPath(_ digest: SHA256Digest) -> String { summaryDirectory + "/" + digest.hex }

    /// The summary of a stored model: read from `index/models/<hex>` when that file is intact
    /// and describes this model's manifest blob (same digest, same size); otherwise rebuilt from
    /// the manifest (which is hash-checked) and written back under the store lock when the store
    /// is writable.
    ///
    /// - Throws: what ``manifest(for:)`` throws when the summary has to be rebuilt.
    public func summary(for digest: SHA256Digest) throws(StoreError) -> ModelSummary {
        if let stored = storedSummary(digest) { return stored }
        let summary = try buildSummary(digest)
        withCacheLock { () throws(StoreError) in
            if storedSummary(digest) != summary { try writeSummary(summary) }
        }
        return summary
    }

    /// The summary file of `digest` if it is intact and matches the manifest blob; `nil` otherwise.
    func storedSummary(_ digest: SHA256Digest) -> ModelSummary? {
        guard let bytes = try? FileSystem.readFile(summaryPath(digest), limit: Manifest.maxByteCount),
            let summary = ModelSummary(bytes: bytes), summary.digest == digest,
            let blob = Self.fileStatus(blobPath(digest)), blob.size == summary.manifestByteCount
        else { return nil }
        return summary
    }

    /// A summary made from the manifest blob (read and hash-checked).
    func buildSummary(_ digest: SHA256Digest) throws(StoreError) -> ModelSummary {
        let (manifest, byteCount) = try manifestAndByteCount(for: digest)
        return ModelSummary(manifest: manifest, digest: digest, manifestByteCount: byteCount,
                            storedAt: Self.fileStatus(blobPath(digest))?.modified ?? 0)
    }

    /// A summary of `manifest`, the manifest of model `digest`, whose blob is in place.
    func makeSummary(_ manifest: Manifest, digest: SHA256Digest) -> ModelSummary {
        let status = Self.fileStatus(blobPath(digest))
        return ModelSummary(manifest: manifest, digest: digest,
                            manifestByteCount: status?.size ?? manifest.canonicalBytes.count,
                            storedAt: status?.modified ?? 0)
    }

    /// Makes sure the summary file of `summary.digest` holds `summary`. Call with the lock held.
    /// - Returns: whether it wrote the file (it was missing or different).
    @discardableResult
    func installSummary(_ summary: ModelSummary) throws(StoreError) -> Bool {
        guard storedSummary(summary.digest) != summary else { return false }
        try writeSummary(summary)
        return true
    }

    /// Writes a summary file: temp file in `tmp/`, fsync, rename, fsync of the folder. Call with
    /// the lock held.
    func writeSummary(_ summary: ModelSummary) throws(StoreError) {
        try ensureIndexDirectory(summaryDirectory)
        try writeIndexFile(summary.canonicalBytes, to: summaryPath(summary.digest))
    }

    /// Removes the summary of `digest` (a missing one is fine). Call with the lock held.
    func removeSummary(_ digest: SHA256Digest) throws(StoreError) {
        do throws(IOError) {
            try Syscalls.unlinkIfPresent(summaryPath(digest))
        } catch {
            throw StoreError(.io(error))
        }
    }

    // MARK: Shared by the index files

    /// Writes `bytes` at `path` (in `index/`) through a temp file in `tmp/`, fsync and rename,
    /// then fsyncs the folder.
    func writeIndexFile(_ bytes: [UInt8], to path: String) throws(StoreError) {
        let temp = tmpDirectory + "/" + FileSystem.uniqueName("index")
        do throws(IOError) {
            try FileSystem.makeDirectories(tmpDirectory)
            let fd = try FileSystem.createExclusive(temp)
            do {
                try FileSystem.writeAll(fd, bytes, path: temp)
                try FileSystem.sync(fd, path: temp)
                try FileSystem.close(fd, path: temp)
            } catch {
                close(fd)
                throw error
            }
            try FileSystem.rename(temp, to: path)
            try FileSystem.syncDirectory(FileSystem.parentDirectory(of: path))
        } catch {
            try? Syscalls.unlinkIfPresent(temp)
            throw StoreError(.io(error))
        }
    }

    /// Creates `index/` or `index/models/` if needed, fsyncing each parent that gained an entry.
    func ensureIndexDirectory(_ path: String) throws(StoreError) {
        guard FileSystem.kind(of: path) != .directory else { return }
        let parent = FileSystem.parentDirectory(of: path)
        if path != indexDirectory { try ensureIndexDirectory(parent) }
        do throws(IOError) {
            try FileSystem.makeDirectories(path)
            try FileSystem.syncDirectory(parent)
        } catch {
            throw StoreError(.io(error))
        }
    }

    /// Runs `body` under the store lock to write derived data back, if the lock can be had (a
    /// read-only store cannot be locked: then nothing is cached). Failures are dropped: the
    /// caller has its answer, and a missing cache file is rebuilt next time.
    func withCacheLock(_ body: () throws(StoreError) -> Void) {
        guard FileSystem.kind(of: refDirectory) == .directory, let lock = try? StoreLock(path: lockPath) else { return }
        withExtendedLifetime(lock) { try? body() }
    }

    /// Size and modification time (Unix seconds) of the regular file at `path`, `nil` when there is none.
    static func fileStatus(_ path: String) -> (size: Int, modified: Int)? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return (Int(info.st_size), Int(info.st_mtim.tv_sec))
    }
}
