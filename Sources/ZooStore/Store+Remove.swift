#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// What ``Store/remove(_:)`` did.
public struct RemovalReport: Sendable, Equatable {
    /// The refs removed.
    public var removedRefs: [StoreRef]
    /// The blobs deleted because no remaining ref needs them.
    public var deletedBlobs: [SHA256Digest]
    /// The bytes those blobs held.
    public var freedByteCount: Int
}

extension Store {
    /// Removes a model's ref and deletes the blobs no other ref needs, under the store lock.
    ///
    /// `NAME:TAG` removes that tag only; `NAME@sha256:<hex>` every ref of that name to that
    /// model (its untagged ref, or its tags); a digest or digest prefix removes every ref of
    /// that model. Refs are removed first (each atomically), then the blobs, so a crash in between
    /// leaves only unreachable blobs for a garbage collection.
    ///
    /// - Throws: ``StoreError/Reason/noSuchModel(_:)``; a corrupt manifest of another model
    ///   stops the removal before anything changes (what it needs would be unknown).
    ///
    /// - Parameter dryRun: report what would be removed and deleted, changing nothing.
    @discardableResult
    public func remove(_ reference: ModelReference, dryRun: Bool = false) throws(StoreError) -> RemovalReport {
        guard FileSystem.kind(of: refDirectory) == .directory else {
            throw StoreError(.noSuchModel(reference.description))
        }
        return try withLock { () throws(StoreError) -> RemovalReport in
            // Removal deletes data, so it trusts the ref files, not the index (and repairs the index).
            let all = try refs()
            let base = try refIndexMatching(all)
            let digest = try resolve(reference, index: base)
            let doomed: [StoreRef]
            if case let .tagged(name, tag) = reference {
                doomed = [StoreRef(name: name, tag: tag, digest: digest)]
            } else if case let .untagged(name, _) = reference {
                doomed = all.filter { $0.name == name && $0.digest == digest }  // every ref of that name to the model
            } else if case let .digestPrefix(prefix, true) = reference,
                (try? readRef(at: refPath(name: prefix, tag: ModelReference.defaultTag))) != nil
            {
                doomed = [StoreRef(name: prefix, tag: ModelReference.defaultTag, digest: digest)]
            } else {
                doomed = all.filter { $0.digest == digest }
            }
            let doomedSet = Set(doomed)
            let remaining = all.filter { !doomedSet.contains($0) }
            let stillNeeded = try reachableBlobs(from: remaining)
            // The removed model's blobs; if its manifest is unreadable, only the manifest blob is known.
            let candidates = (try? blobs(ofModel: digest)) ?? [digest]
            if dryRun {
                let doomedBlobs = candidates.sorted().filter { !stillNeeded.contains($0) && FileSystem.kind(of: blobPath($0)) == .regular }
                let bytes = doomedBlobs.reduce(0) { $0 + ((try? FileSystem.fileSize(blobPath($1))) ?? 0) }
                return RemovalReport(removedRefs: doomed, deletedBlobs: doomedBlobs, freedByteCount: bytes)
            }

            try changingRefs(base: base) { () throws(StoreError) in
                for ref in doomed { try removeRefFile(ref) }
            } update: { index in
                index.remove(doomed)
            }
            if !remaining.contains(where: { $0.digest == digest }) {
                try removeSummary(digest)
                _ = try dropSignatures(keeping: Set(remaining.map(\.digest)), dryRun: false)
                removeUsage(digest)
            }

            var report = RemovalReport(removedRefs: doomed, deletedBlobs: [], freedByteCount: 0)
            for blob in candidates.sorted() where !stillNeeded.contains(blob) {
                let path = blobPath(blob)
                let size = (try? FileSystem.fileSize(path)) ?? 0
                do throws(IOError) { try Syscalls.unlinkIfPresent(path) } catch { throw StoreError(.io(error)) }
                report.deletedBlobs.append(blob)
                report.freedByteCount += size
            }
            if !report.deletedBlobs.isEmpty {
                do throws(IOError) { try FileSystem.syncDirectory(blobDirectory) } catch { throw StoreError(.io(error)) }
            }
            return report
        }
    }

    /// Unlinks a ref file, fsyncs its directory and removes directories left empty.
    func removeRefFile(_ ref: StoreRef) throws(StoreError) {
        let path = refPath(ref)
        do {
            try Syscalls.unlinkIfPresent(path)
            var directory = FileSystem.parentDirectory(of: path)
            while directory.count > refDirectory.count, Syscalls.removeDirectoryIfEmpty(directory) {
                directory = FileSystem.parentDirectory(of: directory)
            }
            try FileSystem.syncDirectory(directory)
        } catch {
            throw StoreError(.io(error))
        }
    }
}
