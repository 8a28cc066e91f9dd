#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// What ``Store/collectGarbage(dryRun:)`` deleted (or, in a dry run, would delete).
public struct GarbageReport: Sendable, Equatable {
    /// Blobs no ref and no running transfer needs.
    public var deletedBlobs: [SHA256Digest] = []
    public var blobByteCount = 0
    /// Partial downloads and upload states no running transfer holds (paths under `tmp/`).
    public var deletedPartials: [String] = []
    public var partialByteCount = 0
    /// Staging folders and files left in `tmp/` by processes that are gone (paths under `tmp/`).
    public var deletedStaging: [String] = []
    public var stagingByteCount = 0
    /// Summary files (`index/models/`) of models no ref names, and files there that are no
    /// summary's name. Derived data: not counted in ``freedByteCount``.
    public var deletedSummaries: [String] = []
    /// Models (hex digests) no ref names whose stored signatures were (or would be) deleted.
    public var deletedSignatures: [String] = []
    /// Whether `index/refs` was missing or disagreed with `refs/` and was (or would be) rewritten.
    public var rewroteRefIndex = false
    /// Running transfers (pull sessions) whose blobs were kept.
    public var liveTransferCount = 0
    /// Partial files held by running transfers, kept.
    public var livePartialCount = 0

    public init() {}

    /// Everything freed.
    public var freedByteCount: Int { blobByteCount + partialByteCount + stagingByteCount }
}

extension Store {
    /// Entries of `tmp/` whose owner cannot be told (no pid in the name) are removed only
    /// once they are this old.
    public static let unknownTempEntryAge: Double = 24 * 3600

    /// Deletes what nothing needs, under the store lock:
    ///
    /// - blobs that no ref reaches and no running pull (``TransferSession``) needs;
    /// - summaries (`index/models/`) of models no ref names; and `index/refs` is rewritten
    ///   when it does not match the ref files (say, after a ref was edited by hand);
    /// - partial downloads (`tmp/partial/`) and upload states (`tmp/uploads/`) that no running
    ///   transfer holds locked — a transfer holds its file's lock while it works on it;
    /// - session folders whose lock is free, staging folders whose owner lock is free
    ///   (``StagingDirectory``), other entries named `<prefix>.<pid>.<random>`
    ///   (``FileSystem/uniqueName(_:)``) whose process is gone, and the rest of `tmp/` once
    ///   older than ``unknownTempEntryAge`` (see also ``reclaimInterruptedWork()``).
    ///
    /// A pull running beside it loses nothing: its session was registered under the same lock,
    /// so its blobs count as reachable, and its partial files are locked.
    ///
    /// - Parameter dryRun: report what would be deleted, delete nothing.
    /// - Throws: ``StoreError``; a referenced manifest that cannot be read stops the collection
    ///   before anything is deleted (what it references would be unknown).
    public func collectGarbage(dryRun: Bool = false) throws(StoreError) -> GarbageReport {
        try withLock { () throws(StoreError) -> GarbageReport in
            var report = GarbageReport()
            let refs = try refs()
            var reachable = try reachableBlobs(from: refs)
            try collectIndex(refs: refs, dryRun: dryRun, into: &report)
            report.deletedSignatures = try dropSignatures(keeping: Set(refs.map(\.digest)), dryRun: dryRun)
            let entries: [String]
            do throws(IOError) { entries = try FileSystem.listDirectory(tmpDirectory) } catch { throw StoreError(.io(error)) }

            // Sessions first: a live one adds to what is reachable.
            var staleEntries: [String] = []
            for entry in entries where entry != "partial" && entry != "uploads" {
                let path = tmpDirectory + "/" + entry
                if entry.hasPrefix(Self.transferPrefix + ".") {
                    if let wanted = try liveSessionBlobs(path) {
                        reachable.formUnion(wanted)
                        report.liveTransferCount += 1
                    } else {
                        staleEntries.append(entry)
                    }
                } else if Self.ownerIsGone(tempEntry: entry, path: path, byAge: true) {
                    staleEntries.append(entry)
                }
            }
            for entry in staleEntries {
                let path = tmpDirectory + "/" + entry
                report.deletedStaging.append(entry)
                report.stagingByteCount += Self.byteCount(under: path)
                if !dryRun {
                    do throws(IOError) { try FileSystem.removeTree(path) } catch { throw StoreError(.io(error)) }
                }
            }

            for blob in try storedBlobs() where !reachable.contains(blob) {
                let path = blobPath(blob)
                report.deletedBlobs.append(blob)
                report.blobByteCount += (try? FileSystem.fileSize(path)) ?? 0
                if !dryRun {
                    do throws(IOError) { try Syscalls.unlinkIfPresent(path) } catch { throw StoreError(.io(error)) }
                }
            }
            if !dryRun && !report.deletedBlobs.isEmpty {
                do throws(IOError) { try FileSystem.syncDirectory(blobDirectory) } catch { throw StoreError(.io(error)) }
            }

            for directory in ["partial", "uploads"] {
                try collectPartials(in: directory, dryRun: dryRun, into: &report)
            }
            return report
        }
    }

    /// Makes `index/` match `refs` (the ref files, read under the lock): rewrites `index/refs`
    /// if it differs and deletes the summaries of models no ref names.
    private func collectIndex(refs: [StoreRef], dryRun: Bool, into report: inout GarbageReport) throws(StoreError) {
        let loaded = loadRefIndex()
        let matching: RefIndex
        if let loaded, loaded.refs == refs {
            matching = loaded
        } else {
            matching = try buildRefIndex(from: refs, reusing: loaded, cacheSummaries: !dryRun)
        }
        if loaded != matching, loaded != nil || !refs.isEmpty {
            report.rewroteRefIndex = true
            if !dryRun { try writeRefIndex(matching) }
        }
        let models = Set(refs.map(\.digest))
        if !dryRun, FileSystem.kind(of: usageDirectory) == .directory,
            let used = try? FileSystem.listDirectory(usageDirectory)
        {
            // Use times of models no ref names (derived data, not reported).
            for file in used where SHA256Digest(hex: file).map({ !models.contains($0) }) ?? true {
                try? Syscalls.unlinkIfPresent(usageDirectory + "/" + file)
            }
        }
        guard FileSystem.kind(of: summaryDirectory) == .directory else { return }
        let files: [String]
        do { files = try FileSystem.listDirectory(summaryDirectory) } catch { throw StoreError(.io(error)) }
        var deleted = false
        for file in files.sorted() {
            if let digest = SHA256Digest(hex: file), models.contains(digest) { continue }
            report.deletedSummaries.append(file)
            if !dryRun {
                do throws(IOError) { try FileSystem.removeTree(summaryDirectory + "/" + file) } catch { throw StoreError(.io(error)) }
                deleted = true
            }
        }
        if deleted {
            do throws(IOError) { try FileSystem.syncDirectory(summaryDirectory) } catch { throw StoreError(.io(error)) }
        }
    }

    /// The blobs a session folder's manifest needs when its lock is held, `nil` when the
    /// session is stale (lock free, or never completed).
    private func liveSessionBlobs(_ directory: String) throws(StoreError) -> Set<SHA256Digest>? {
        let lockPath = directory + "/" + TransferSession.lockFile
        guard FileSystem.kind(of: lockPath) == .regular else { return nil }
        let probe: ExclusiveFile?
        do { probe = try ExclusiveFile.open(lockPath, create: false, wait: false) } catch { throw StoreError(.io(error)) }
        if probe != nil { return nil }  // nobody holds it
        // Held: registration wrote the manifest under the store lock, before anything else.
        let wantsPath = directory + "/" + TransferSession.wantsFile
        guard let bytes = try? FileSystem.readFile(wantsPath, limit: Manifest.maxByteCount),
            let manifest = try? Manifest(parsing: bytes, file: wantsPath)
        else { return [] }
        var blobs: Set<SHA256Digest> = [SHA256.digest(bytes)]
        for entry in manifest.shards + manifest.assets { blobs.insert(entry.digest) }
        return blobs
    }

    private func collectPartials(in name: String, dryRun: Bool, into report: inout GarbageReport) throws(StoreError) {
        let directory = tmpDirectory + "/" + name
        guard FileSystem.kind(of: directory) == .directory else { return }
        let files: [String]
        do { files = try FileSystem.listDirectory(directory) } catch { throw StoreError(.io(error)) }
        for file in files {
            let path = directory + "/" + file
            guard FileSystem.kind(of: path) == .regular else { continue }
            let held: ExclusiveFile?
            do { held = try ExclusiveFile.open(path, create: false, wait: false) } catch { throw StoreError(.io(error)) }
            guard let held else {
                if FileSystem.kind(of: path) != .missing { report.livePartialCount += 1 }
                continue
            }
            report.deletedPartials.append(name + "/" + file)
            report.partialByteCount += (try? held.size()) ?? 0
            if !dryRun {
                do { try held.unlink() } catch { throw StoreError(.io(error)) }
            }
        }
    }

    /// Bytes of the regular files under `path` (or of the file itself).
    static func byteCount(under path: String) -> Int {
        switch FileSystem.kind(of: path) {
        case .regular:
            return (try? FileSystem.fileSize(path)) ?? 0
        case .directory:
            let names = (try? FileSystem.listDirectory(path)) ?? []
            return names.reduce(0) { $0 + byteCount(under: path + "/" + $1) }
        default:
            return 0
        }
    }
}
