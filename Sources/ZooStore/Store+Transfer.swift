#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// What ``Store/checkBlob(_:length:progress:)`` found.
public enum StoredBlobState: Equatable, Sendable {
    /// No such blob file.
    case missing
    /// Present, of the right size, and its content hashes to its name.
    case intact
    /// Present but damaged; the text says how (size or digest).
    case damaged(String)
}

/// A model being pulled into the store, from the moment its manifest is known until its name
/// is written (``commit(as:)``) or the pull gives up (``end()``, or the process dies).
///
/// The session registers the model's manifest in `tmp/transfer.<pid>.<random>/` under a lock
/// the process holds: ``Store/collectGarbage(dryRun:)`` keeps every blob a live session
/// needs, so blobs can be published into `blobs/` one by one as they arrive (and reused by a
/// concurrent pull at once) without a collection deleting them before the name exists.
///
/// Partial downloads live in `tmp/partial/<hex>`, named by the digest they should have, each
/// held under an exclusive lock while written: a second pull of the same blob waits for the
/// first and then finds it published; a pull killed mid-blob leaves the partial file, which
/// the next pull continues (HTTP Range) and a garbage collection deletes.
///
/// ```swift
/// let session = try store.beginTransfer(manifestBytes: configBytes)
/// let partial = try session.openPartial(digest)        // waits for another holder
/// ... append bytes, hash them, compare ...
/// try session.publish(partial, digest: digest, replacing: false)
/// let model = try session.commit(as: try ModelReference(parsing: "bert:v1"))
/// ```
public final class TransferSession: @unchecked Sendable {
    public let store: Store
    /// The model's manifest, and its canonical bytes (which hash to ``digest``).
    public let manifest: Manifest
    public let manifestBytes: [UInt8]
    /// The model digest.
    public let digest: SHA256Digest
    /// `tmp/transfer.<pid>.<random>`.
    public let directory: String
    private var lock: ExclusiveFile?

    /// The file in a session folder holding the manifest it needs.
    static let wantsFile = "manifest.json"
    /// The lock file in a session folder.
    static let lockFile = "lock"

    fileprivate init(store: Store, manifest: Manifest, bytes: [UInt8], digest: SHA256Digest, directory: String,
                     lock: ExclusiveFile)
    {
        self.store = store
        self.manifest = manifest
        self.manifestBytes = bytes
        self.digest = digest
        self.directory = directory
        self.lock = lock
    }

    deinit { end() }

    /// The distinct shard and asset blobs of the model, in manifest order: (digest, length, path).
    public var blobs: [(digest: SHA256Digest, length: Int, path: String)] {
        var seen = Set<SHA256Digest>()
        var out: [(digest: SHA256Digest, length: Int, path: String)] = []
        for entry in manifest.shards + manifest.assets where seen.insert(entry.digest).inserted {
            out.append((entry.digest, entry.length, entry.path))
        }
        return out
    }

    /// Opens (creating) the partial download of `digest` and locks it, waiting while another
    /// transfer holds it. Check the store again afterwards: the other holder may have
    /// published the blob meanwhile.
    public func openPartial(_ digest: SHA256Digest) throws(StoreError) -> ExclusiveFile {
        do throws(IOError) {
            try FileSystem.makeDirectories(store.partialDirectory)
            guard let file = try ExclusiveFile.open(store.partialDirectory + "/" + digest.hex, create: true, wait: true) else {
                throw IOError(call: "open", path: store.partialDirectory + "/" + digest.hex, errno: ENOENT)
            }
            return file
        } catch {
            throw StoreError(.io(error))
        }
    }

    /// Moves a complete partial download, whose content the caller hashed to `digest`, into
    /// `blobs/`: read-only, fsynced, then linked under its digest. A blob already there is kept,
    /// unless `replacing` (the caller found it damaged): then it is atomically replaced.
    public func publish(_ partial: ExclusiveFile, digest: SHA256Digest, replacing: Bool) throws(StoreError) {
        let destination = store.blobPath(digest)
        do throws(IOError) {
            try Syscalls.makeReadOnly(partial.fd, path: partial.path)
            try FileSystem.sync(partial.fd, path: partial.path)
            try FileSystem.makeDirectories(store.blobDirectory)
            if replacing {
                try FileSystem.rename(partial.path, to: destination)
            } else {
                do throws(IOError) {
                    try Syscalls.link(partial.path, to: destination)
                } catch where error.errno == EEXIST {
                    // Published by a concurrent transfer meanwhile: same digest, same bytes.
                }
                try partial.unlink()
            }
            try FileSystem.syncDirectory(store.blobDirectory)
        } catch {
            throw StoreError(.io(error))
        }
    }

    /// Writes the model's name, after checking every tensor digest and the padding of every
    /// shard against the blobs, then, under the store lock, that every blob is in place with its
    /// size, writing the manifest blob (replacing a damaged one) and opening the model. Blob
    /// digests were checked by the caller: fetched blobs while they streamed, present ones with
    /// ``Store/checkBlob(_:length:progress:)``.
    ///
    /// - Parameter name: `NAME:TAG`; `nil` takes the manifest's name with tag `latest`.
    /// - Throws: ``StoreError/Reason/missingBlob(name:digest:)`` when a blob vanished (a
    ///   concurrent `zoo rm`): fetch it again and retry.
    @discardableResult
    public func commit(as name: ModelReference?) throws(StoreError) -> SHA256Digest {
        let target = try Store.refTarget(name, manifest: manifest)
        // Blob digests only prove the shards are the ones named; a manifest whose tensor digests
        // or padding disagree with those shards must not enter the store either, as for an
        // import. Outside the lock: published blobs never change, and their presence is
        // checked again under it.
        try Store.checkInput(try store.openUnverified(manifest, digest: digest))
        return try store.withLock { () throws(StoreError) -> SHA256Digest in
            for blob in blobs {
                let path = store.blobPath(blob.digest)
                guard FileSystem.kind(of: path) == .regular else {
                    throw StoreError(.missingBlob(name: blob.path, digest: blob.digest))
                }
                let size: Int
                do throws(IOError) { size = try FileSystem.fileSize(path) } catch { throw StoreError(.io(error)) }
                guard size == blob.length else {
                    throw StoreError(.blobSizeMismatch(name: blob.path, digest: blob.digest, expected: blob.length, actual: size))
                }
            }
            try writeManifestBlob()
            _ = try store.checkpoint(digest: digest, verifying: [])  // the blobs were hashed as they arrived
            try store.writeRef(target, summary: store.makeSummary(manifest, digest: digest), staging: directory)
            return digest
        }
    }

    /// Ends the session: removes its folder and releases its lock (idempotent).
    public func end() {
        guard lock != nil else { return }
        try? FileSystem.removeTree(directory)
        lock = nil
    }

    /// Puts the manifest blob in place unless an intact one is there.
    private func writeManifestBlob() throws(StoreError) {
        let path = store.blobPath(digest)
        if FileSystem.kind(of: path) == .regular,
            let bytes = try? FileSystem.readFile(path, limit: Manifest.maxByteCount), SHA256.digest(bytes) == digest
        {
            return
        }
        let temp = directory + "/" + FileSystem.uniqueName("manifest")
        do throws(IOError) {
            let fd = try FileSystem.createExclusive(temp, mode: 0o444)
            do {
                try FileSystem.writeAll(fd, manifestBytes, path: temp)
                try FileSystem.sync(fd, path: temp)
                try FileSystem.close(fd, path: temp)
            } catch {
                close(fd)
                throw error
            }
            try FileSystem.rename(temp, to: path)
            try FileSystem.syncDirectory(store.blobDirectory)
        } catch {
            try? Syscalls.unlinkIfPresent(temp)
            throw StoreError(.io(error))
        }
    }
}

extension Store {
    /// `tmp/partial`: partial downloads, named by the hex digest they should have.
    public var partialDirectory: String { tmpDirectory + "/partial" }
    /// `tmp/uploads`: upload states of interrupted pushes (one locked file each).
    public var uploadStateDirectory: String { tmpDirectory + "/uploads" }
    /// Session folders are `tmp/transfer.<pid>.<random>`.
    static let transferPrefix = "transfer"

    /// Registers a pull of the model whose canonical manifest is `manifestBytes` (see
    /// ``TransferSession``). Registration happens under the store lock, so a garbage
    /// collection either finished before it or sees it.
    ///
    /// - Throws: ``StoreError/Reason/corruptManifestBlob(digest:why:)`` when the bytes are not a
    ///   valid manifest in canonical form (then their hash would not be the model digest).
    public func beginTransfer(manifestBytes: [UInt8]) throws(StoreError) -> TransferSession {
        let digest = SHA256.digest(manifestBytes)
        let manifest: Manifest
        do {
            manifest = try Manifest(parsing: manifestBytes, file: "manifest \(digest)")
        } catch {
            throw StoreError(.corruptManifestBlob(digest: digest, why: error.description))
        }
        guard manifest.canonicalBytes == manifestBytes else {
            throw StoreError(.corruptManifestBlob(digest: digest, why: "not in canonical JSON form"))
        }
        return try withLock { () throws(StoreError) -> TransferSession in
            let directory = tmpDirectory + "/" + FileSystem.uniqueName(Self.transferPrefix)
            do throws(IOError) {
                try FileSystem.makeDirectories(directory)
                guard let lock = try ExclusiveFile.open(directory + "/" + TransferSession.lockFile, create: true, wait: true)
                else { throw IOError(call: "open", path: directory + "/" + TransferSession.lockFile, errno: ENOENT) }
                try FileSystem.writeAtomically(manifestBytes, to: directory + "/" + TransferSession.wantsFile)
                return TransferSession(store: self, manifest: manifest, bytes: manifestBytes, digest: digest,
                                       directory: directory, lock: lock)
            } catch {
                try? FileSystem.removeTree(directory)
                throw StoreError(.io(error))
            }
        }
    }

    /// Re-hashes the blob `digest` if the store has it.
    public func checkBlob(_ digest: SHA256Digest, length: Int, progress: (@Sendable (Int) -> Void)? = nil)
        throws(StoreError) -> StoredBlobState
    {
        let path = blobPath(digest)
        guard FileSystem.kind(of: path) == .regular else { return .missing }
        let size: Int
        do { size = try FileSystem.fileSize(path) } catch { throw StoreError(.io(error)) }
        guard size == length else { return .damaged("is \(size) bytes, expected \(length)") }
        let actual: SHA256Digest
        do {
            actual = try BlobCopier.hash(fileAt: path, progress: progress)
        } catch {
            if error.errno == ENOENT { return .missing }
            throw StoreError(.io(error))
        }
        return actual == digest ? .intact : .damaged("hashes to \(actual)")
    }
}
