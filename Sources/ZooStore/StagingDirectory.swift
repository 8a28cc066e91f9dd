#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// A staging folder in the store's `tmp/`, owned by this process while the object lives.
///
/// The owner holds the `flock(2)` of `<folder>/.owner` (an ``ExclusiveFile``); the kernel drops
/// it when the process dies, so ``Store/reclaimInterruptedWork()`` and ``Store/collectGarbage(dryRun:)``
/// remove a folder whose owner is gone — even after `kill -9`, and whatever process now has
/// its pid — and never one whose owner still works in it.
///
/// ```swift
/// let staging = try store.makeStagingDirectory(prefix: "convert")
/// defer { staging.remove() }       // also keeps the owner lock until here
/// try writer.write(to: staging.path + "/checkpoint")
/// ```
public final class StagingDirectory: Sendable {
    /// The file in the folder whose lock says the owner is alive.
    static let ownerFile = ".owner"

    /// The folder.
    public let path: String
    private let owner: ExclusiveFile

    init(path: String, owner: ExclusiveFile) {
        self.path = path
        self.owner = owner
    }

    /// Removes the folder and what is left in it; the lock goes with the object.
    public func remove() {
        try? FileSystem.removeTree(path)
    }
}

extension Store {
    /// A fresh folder in `tmp/` for staging files, e.g. for a converter's output, owned by the
    /// returned object (see ``StagingDirectory``). Hand a folder inside it to
    /// ``importStaged(directory:name:options:names:progress:)`` and call ``StagingDirectory/remove()``
    /// when done; keep the object alive until then.
    public func makeStagingDirectory(prefix: String = "staging") throws(StoreError) -> StagingDirectory {
        try prepareDirectories()
        let path = tmpDirectory + "/" + FileSystem.uniqueName(prefix)
        do throws(IOError) {
            try FileSystem.makeDirectories(path)
            // Until the lock is taken the folder is judged by the pid in its name, which is ours.
            let lockPath = path + "/" + StagingDirectory.ownerFile
            guard let owner = try ExclusiveFile.open(lockPath, create: true, wait: false) else {
                throw IOError(call: "flock", path: lockPath, errno: EWOULDBLOCK)
            }
            return StagingDirectory(path: path, owner: owner)
        } catch {
            try? FileSystem.removeTree(path)
            throw StoreError(.io(error))
        }
    }
}
