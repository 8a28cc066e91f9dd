#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

extension Store {
    /// `<root>/index/used`: one empty file per model that was read out, named by its hex digest;
    /// its modification time is when the model was last used.
    var usageDirectory: String { indexDirectory + "/used" }

    /// Where the use time of model `digest` is kept.
    func usagePath(_ digest: SHA256Digest) -> String { usageDirectory + "/" + digest.hex }

    /// A use is recorded only when the last recorded one is older than this (seconds): reading a
    /// model a thousand times a minute costs one `stat` each, not a write.
    public static let usageResolution = 600

    /// Notes that model `digest` was used now (opened by reference for loading, export,
    /// conversion, embedding or diffing). Best effort and unlocked: touching a
    /// time stamp cannot harm the store, and a read-only store simply keeps no use times.
    func recordUse(of digest: SHA256Digest, now: Int = Int(time(nil))) {
        let path = usagePath(digest)
        if let modified = Self.fileStatus(path)?.modified, modified > now - Self.usageResolution, modified <= now { return }
        guard FileSystem.kind(of: indexDirectory) == .directory || FileSystem.kind(of: refDirectory) == .directory,
            (try? FileSystem.makeDirectories(usageDirectory)) != nil
        else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { return }
        _ = futimens(fd, nil)  // now, also when the file existed
        close(fd)
    }

    /// When model `digest` was last used (Unix seconds, to ``usageResolution``), `nil` when never.
    public func lastUsed(_ digest: SHA256Digest) -> Int? {
        Self.fileStatus(usagePath(digest))?.modified
    }

    /// Removes the use time of a model no ref names any more.
    func removeUsage(_ digest: SHA256Digest) {
        try? Syscalls.unlinkIfPresent(usagePath(digest))
    }
}
