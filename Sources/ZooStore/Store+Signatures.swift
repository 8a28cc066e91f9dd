import Foundation
import ZooFormat

/// A signature bundle kept beside a stored model. The store keeps the bytes opaque: it never
/// parses or checks them (that is ZooSigning's work), it only files them by model.
public struct StoredSignature: Sendable, Hashable {
    /// The model the signature was stored for.
    public var model: SHA256Digest
    /// The SHA-256 of the bundle bytes: the signature's name in the store.
    public var digest: SHA256Digest
    /// The bundle, byte for byte as it was added.
    public var bundle: [UInt8]
    /// When it was added to this store.
    public var added: Date
    /// The file holding the bundle.
    public var path: String
}

extension Store {
    /// Bound on one stored bundle (the same as ZooSigning's bound on a bundle).
    public static let maxSignatureByteCount = 32 << 20

    /// `<root>/signatures`.
    public var signatureDirectory: String { root + "/signatures" }

    /// `<root>/signatures/<model hex>`: `<bundle hex>.json` holds a bundle, `<bundle hex>.added`
    /// the time it was added (written first, so a bundle file never lacks its time for long).
    func signatureDirectory(for model: SHA256Digest) -> String { signatureDirectory + "/" + model.hex }

    /// The signatures stored for `model`, oldest first (ties by bundle digest).
    public func signatures(for model: SHA256Digest) throws(StoreError) -> [StoredSignature] {
        let directory = signatureDirectory(for: model)
        guard FileSystem.kind(of: directory) == .directory else { return [] }
        let names: [String]
        do { names = try FileSystem.listDirectory(directory) } catch { throw StoreError(.io(error)) }
        var found: [StoredSignature] = []
        for name in names where name.hasSuffix(".json") {
            guard let digest = SHA256Digest(hex: String(name.dropLast(5))) else { continue }
            let path = directory + "/" + name
            let read: [UInt8]?
            do { read = try FileSystem.readFile(path, limit: Self.maxSignatureByteCount) } catch {
                if error.errno == ENOENT { continue }  // removed meanwhile
                throw StoreError(.io(error))
            }
            // A file that does not hash to its name is damage, not a signature: skip it.
            guard let bytes = read, SHA256.digest(bytes) == digest else { continue }
            found.append(StoredSignature(model: model, digest: digest, bundle: bytes,
                                         added: addedTime(directory + "/" + digest.hex + ".added") ?? modificationTime(path),
                                         path: path))
        }
        return found.sorted { ($0.added, $0.digest) < ($1.added, $1.digest) }
    }

    /// Keeps `bundle` beside the stored model `model` (which must be in the store), under the
    /// store lock, through a temp file, fsync and rename. Adding the same bytes again keeps the
    /// first one (and its time).
    @discardableResult
    public func addSignature(_ bundle: [UInt8], for model: SHA256Digest, at time: Date = Date()) throws(StoreError) -> StoredSignature {
        guard bundle.count <= Self.maxSignatureByteCount else {
            throw StoreError(.signatureTooLarge(size: bundle.count, limit: Self.maxSignatureByteCount))
        }
        guard FileSystem.kind(of: blobPath(model)) == .regular else { throw StoreError(.noSuchModel(model.description)) }
        let digest = SHA256.digest(bundle)
        let directory = signatureDirectory(for: model)
        let path = directory + "/" + digest.hex + ".json"
        return try withLock { () throws(StoreError) -> StoredSignature in
            if let existing = try signatures(for: model).first(where: { $0.digest == digest }) { return existing }
            do throws(IOError) {
                try FileSystem.makeDirectories(directory)
                try FileSystem.writeAtomically(Array((Self.timeFormat.string(from: time) + "\n").utf8),
                                               to: directory + "/" + digest.hex + ".added")
                try FileSystem.writeAtomically(bundle, to: path)
                try FileSystem.syncDirectory(signatureDirectory)
            } catch {
                throw StoreError(.io(error))
            }
            return StoredSignature(model: model, digest: digest, bundle: bundle,
                                   added: addedTime(directory + "/" + digest.hex + ".added") ?? time, path: path)
        }
    }

    /// Deletes one stored signature of `model`; a missing one is not an error.
    public func removeSignature(_ digest: SHA256Digest, for model: SHA256Digest) throws(StoreError) {
        try withLock { () throws(StoreError) in
            let directory = signatureDirectory(for: model)
            do throws(IOError) {
                try Syscalls.unlinkIfPresent(directory + "/" + digest.hex + ".json")
                try Syscalls.unlinkIfPresent(directory + "/" + digest.hex + ".added")
                if Syscalls.removeDirectoryIfEmpty(directory) {
                    try FileSystem.syncDirectory(signatureDirectory)
                } else if FileSystem.kind(of: directory) == .directory {
                    try FileSystem.syncDirectory(directory)
                }
            } catch {
                throw StoreError(.io(error))
            }
        }
    }

    /// The files of `model`'s folder form (what `zoo export --format folder` writes) with their
    /// digests, from its manifest blob alone: signing or checking a stored model reads no shard.
    public func folderFiles(for model: SHA256Digest) throws(StoreError) -> [FolderForm.File] {
        FolderForm.files(of: try manifest(for: model), modelDigest: model)
    }

    /// Deletes (or in a dry run, lists) the signature folders of models not in `kept`; returns
    /// the model digests (hex) whose signatures went. Called by removal and collection under the lock.
    func dropSignatures(keeping kept: Set<SHA256Digest>, dryRun: Bool) throws(StoreError) -> [String] {
        guard FileSystem.kind(of: signatureDirectory) == .directory else { return [] }
        let names: [String]
        do { names = try FileSystem.listDirectory(signatureDirectory) } catch { throw StoreError(.io(error)) }
        var dropped: [String] = []
        for name in names {
            if let digest = SHA256Digest(hex: name), kept.contains(digest) { continue }
            dropped.append(name)
            if !dryRun {
                do { try FileSystem.removeTree(signatureDirectory + "/" + name) } catch { throw StoreError(.io(error)) }
            }
        }
        if !dryRun, !dropped.isEmpty {
            do { try FileSystem.syncDirectory(signatureDirectory) } catch { throw StoreError(.io(error)) }
        }
        return dropped
    }

    private static var timeFormat: ISO8601DateFormatter {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime]
        return format
    }

    private func addedTime(_ path: String) -> Date? {
        guard let bytes = try? FileSystem.readFile(path, limit: 64) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Self.timeFormat.date(from: text)
    }

    private func modificationTime(_ path: String) -> Date {
        var info = stat()
        guard lstat(path, &info) == 0 else { return Date(timeIntervalSince1970: 0) }
        return Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec))
    }
}
