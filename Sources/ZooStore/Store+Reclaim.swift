#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

extension Store {
    /// Removes what interrupted work left in `tmp/`: staging folders whose owner lock is free
    /// (``StagingDirectory``: the owner died, say by `kill -9`), staging entries without one
    /// whose pid is gone, and transfer sessions whose lock is free. Partial downloads and
    /// upload states stay (a later pull or push resumes them; `zoo gc` removes them), and so
    /// does everything a live process owns. Runs under the store lock, so it never races a
    /// garbage collection. A store without `tmp/` is left untouched (not created).
    ///
    /// Import, convert and pull call it first, so a crashed import costs disk only until the
    /// next one.
    ///
    /// - Returns: the bytes freed.
    @discardableResult
    public func reclaimInterruptedWork() throws(StoreError) -> Int {
        guard FileSystem.kind(of: tmpDirectory) == .directory else { return 0 }
        return try withLock { () throws(StoreError) -> Int in
            let entries: [String]
            do throws(IOError) { entries = try FileSystem.listDirectory(tmpDirectory) } catch { throw StoreError(.io(error)) }
            var freed = 0
            for entry in entries where entry != "partial" && entry != "uploads" {
                let path = tmpDirectory + "/" + entry
                let stale: Bool
                if entry.hasPrefix(Self.transferPrefix + ".") {
                    stale = Self.lockIsFree(path + "/" + TransferSession.lockFile) ?? false
                } else {
                    // Entries without a pid in their name (no owner to ask) are gc's, by age.
                    stale = Self.ownerIsGone(tempEntry: entry, path: path, byAge: false)
                }
                guard stale else { continue }
                let bytes = Self.byteCount(under: path)
                do throws(IOError) { try FileSystem.removeTree(path) } catch { throw StoreError(.io(error)) }
                freed += bytes
            }
            return freed
        }
    }

    /// Whether the owner of a `tmp/` entry other than a session is gone: a folder with a
    /// ``StagingDirectory`` owner file is judged by that file's lock alone; otherwise the pid
    /// in the name (`<prefix>.<pid>.<random>`) must be gone, or, with `byAge` and no pid in the
    /// name, the entry older than ``unknownTempEntryAge``.
    static func ownerIsGone(tempEntry name: String, path: String, byAge: Bool) -> Bool {
        if let free = lockIsFree(path + "/" + StagingDirectory.ownerFile) { return free }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count >= 3, let pid = Int32(parts[parts.count - 2]), pid > 0, UInt64(parts[parts.count - 1]) != nil {
            if kill(pid, 0) == 0 { return false }
            return errno == ESRCH
        }
        guard byAge else { return false }
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        let age = Double(time(nil)) - Double(info.st_mtim.tv_sec)
        return age > unknownTempEntryAge
    }

    /// Whether nobody holds the lock file at `path`; `nil` when there is no such file.
    /// A file that vanishes while being probed, or cannot be opened, counts as held: what
    /// cannot be judged is kept.
    static func lockIsFree(_ path: String) -> Bool? {
        guard FileSystem.kind(of: path) == .regular else { return nil }
        guard let probe = try? ExclusiveFile.open(path, create: false, wait: false) else { return false }
        return withExtendedLifetime(probe) { true }
    }
}
