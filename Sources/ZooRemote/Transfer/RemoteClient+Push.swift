#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat
import ZooStore

extension RemoteClient {
    /// Pushes a stored model to a registry or a folder (OCI image layout).
    ///
    /// Every distinct blob (shards, assets, the zoo manifest as config) the remote lacks is sent,
    /// on ``concurrency`` threads, then the OCI manifest is written under the tag — last, so the
    /// tag never names missing blobs. A blob the remote has is skipped (HEAD, or the layout's
    /// file); a blob another repository of the registry holds is mounted from it when this
    /// store knows which (see ``MountHints``). A blob of at most ``monolithicUploadLimit`` bytes
    /// goes up in one PUT; larger ones in chunks, and an interrupted chunked upload is continued
    /// from what the registry reports it holds (OCI upload status), when it still can.
    /// Every byte sent is hashed: a damaged local blob stops the push instead of being sent.
    /// Then every signature the store keeps for the model goes as an OCI 1.1 artifact whose
    /// `subject` is the manifest (``SignatureArtifact``), listed by the registry's referrers API or,
    /// without one, in the referrers tag `sha256-<hex>`; a layout keeps the same tag.
    ///
    /// - Parameters:
    ///   - reference: the local model.
    ///   - target: the destination; without a name, the model's local name; without a tag, its
    ///     local tag (`latest` for a digest).
    @discardableResult
    public func push(_ reference: ModelReference, to target: RemoteTarget, observer: TransferObserver? = nil)
        throws(RemoteError) -> PushReport
    {
        let started = monotonicSeconds()
        let digest: SHA256Digest
        let manifest: Manifest
        let localRefs: [StoreRef]
        do {
            digest = try store.resolve(reference)
            manifest = try store.manifest(for: digest)
            localRefs = try store.refs(pointingTo: digest)
        } catch {
            throw error.remote
        }
        let manifestBytes = manifest.canonicalBytes
        guard SHA256.digest(manifestBytes) == digest else {
            throw RemoteError(.corruptLocalBlob(name: "manifest.json", digest: digest, actual: SHA256.digest(manifestBytes)))
        }
        let local = Store.namedRef(reference, digest: digest) ?? localRefs.first  // untagged: tag latest unless given
        guard let name = target.name ?? local?.name else {
            throw RemoteError(.invalidLocation(target.description, why: "say which name to push to: LOCATION:NAME[:TAG]"))
        }
        let tag: String
        switch target.version {
        case let .tag(value): tag = value
        case .digest: throw RemoteError(.invalidLocation(target.description, why: "push to a tag, not a digest"))
        case nil: tag = local?.tag ?? ModelReference.defaultTag
        }

        let oci = OCIImageManifest(checkpoint: manifest)
        let ociBytes = oci.bytes
        var seen = Set<SHA256Digest>()
        var jobs: [PushJob] = []
        for entry in manifest.shards + manifest.assets where seen.insert(entry.digest).inserted {
            jobs.append(PushJob(digest: entry.digest, length: entry.length, name: entry.path, file: store.blobPath(entry.digest)))
        }
        if seen.insert(digest).inserted {
            jobs.append(PushJob(digest: digest, length: manifestBytes.count, name: "manifest.json", file: store.blobPath(digest)))
        }
        for job in jobs where FileSystem.kind(of: job.file) != .regular {
            throw RemoteError(.store(StoreError(.missingBlob(name: job.name, digest: job.digest))))
        }
        jobs.sort { $0.length > $1.length }
        let total = jobs.reduce(0) { $0 + $1.length }
        observer?.started(total)
        let counters = TransferCounters()
        let cancellation = Cancellation()

        // The model's signatures follow it, as artifacts whose subject is its OCI manifest.
        let bundles = try storedSignatureBundles(for: digest)
        let subject = OCIDescriptor(mediaType: OCIMediaType.imageManifest, digest: oci.digest, size: ociBytes.count)
        var signatureCount = 0

        var report: PushReport
        switch target.base {
        case let .folder(path):
            let layout = try ImageLayout.openOrCreate(path: path)
            let pusher = LayoutPusher(layout: layout, counters: counters, observer: observer, cancellation: cancellation,
                                      bytesPerSecond: bytesPerSecond)
            try WorkerPool.run(jobs, threads: concurrency, cancellation: cancellation,
                               makeContext: { () throws(RemoteError) in () }) { job, _ throws(RemoteError) in
                try pusher.push(job)
            }
            try layout.writeSmallBlob(ociBytes, digest: oci.digest)
            let descriptor = OCIDescriptor(mediaType: OCIMediaType.imageManifest, digest: oci.digest, size: ociBytes.count,
                                           annotations: [OCIAnnotation.modelDigest: digest.description],
                                           artifactType: OCIMediaType.checkpoint)
            try layout.setReference("\(name):\(tag)", to: descriptor)
            signatureCount = try pushSignatures(bundles, subject: subject, to: .layout(layout))
            report = PushReport(destination: "\(layout.path):\(name):\(tag)", modelDigest: digest, manifestDigest: oci.digest)
        case let .registry(address, _):
            let registry = registry(address)
            let repository = target.base.repository(for: name)
            let hints = MountHints(store: store, host: address.host)
            let pusher = RegistryPusher(store: store, registry: registry, repository: repository, hints: hints.load(),
                                        counters: counters, observer: observer, cancellation: cancellation,
                                        chunkSize: uploadChunkByteCount)
            let connection = try registry.connect()
            try WorkerPool.run(jobs, threads: concurrency, cancellation: cancellation,
                               makeContext: { () throws(RemoteError) in try registry.connect() }) { job, connection throws(RemoteError) in
                try pusher.push(job, connection: connection)
            }
            try connection.putManifest(repository: repository, reference: tag, bytes: ociBytes, scopes: pusher.scopes)
            signatureCount = try pushSignatures(bundles, subject: subject,
                                                to: .registry(connection, repository: repository, scopes: pusher.scopes))
            hints.record(jobs.map(\.digest), repository: repository)
            report = PushReport(destination: "\(address)/\(repository):\(tag)", modelDigest: digest, manifestDigest: oci.digest)
        }
        report.totalByteCount = total
        report.uploadedByteCount = counters[.uploaded]
        report.resumedByteCount = counters[.resumed]
        report.skippedByteCount = counters[.skipped]
        report.mountedByteCount = counters[.mounted]
        report.uploadedBlobCount = counters[.uploadedBlobs]
        report.skippedBlobCount = counters[.skippedBlobs]
        report.mountedBlobCount = counters[.mountedBlobs]
        report.signatureCount = signatureCount
        report.seconds = monotonicSeconds() - started
        return report
    }
}

/// One blob to push: its digest, length, checkpoint path and store file.
struct PushJob: Sendable {
    let digest: SHA256Digest
    let length: Int
    let name: String
    let file: String
}

/// Copies blobs into a layout: a locked hidden partial file beside the final name (continued
/// when an earlier push left one), hashed while written, fsynced, renamed into place.
final class LayoutPusher: @unchecked Sendable {
    let layout: ImageLayout
    let counters: TransferCounters
    let observer: TransferObserver?
    let cancellation: Cancellation
    /// `--limit-rate`: the cap on each blob copy.
    let bytesPerSecond: Int?

    init(layout: ImageLayout, counters: TransferCounters, observer: TransferObserver?, cancellation: Cancellation,
         bytesPerSecond: Int? = nil)
    {
        self.bytesPerSecond = bytesPerSecond
        self.layout = layout
        self.counters = counters
        self.observer = observer
        self.cancellation = cancellation
    }

    func push(_ job: PushJob) throws(RemoteError) {
        if layout.blobSize(job.digest) == job.length {
            skipped(job)
            return
        }
        let partial: ExclusiveFile
        do {
            guard let file = try ExclusiveFile.open(layout.partialPath(job.digest), create: true, wait: true) else { return }
            partial = file
        } catch {
            throw RemoteError(.io(error))
        }
        if layout.blobSize(job.digest) == job.length {  // a concurrent push finished it meanwhile
            try? partial.unlink()
            skipped(job)
            return
        }
        for attempt in 0..<2 {
            let receiver = BlobReceiver(file: partial, digest: job.digest, length: job.length, source: job.file,
                                        progress: observer?.advanced, cancellation: cancellation)
            let offset = try receiver.prepare()
            try receiver.copy(fromFile: job.file, offset: offset, bytesPerSecond: bytesPerSecond)
            let actual = try receiver.finish()
            if actual == job.digest {
                do {
                    try FileSystem.sync(partial.fd, path: partial.path)
                    try FileSystem.rename(partial.path, to: layout.blobPath(job.digest))
                    try FileSystem.syncDirectory(FileSystem.parentDirectory(of: layout.blobPath(job.digest)))
                } catch {
                    throw RemoteError(.io(error))
                }
                counters.add(.uploaded, receiver.received)
                counters.add(.resumed, offset)
                counters.add(.uploadedBlobs, 1)
                return
            }
            try? partial.truncate(to: 0)
            if offset > 0 && attempt == 0 { continue }
            throw RemoteError(.corruptLocalBlob(name: job.name, digest: job.digest, actual: actual))
        }
    }

    private func skipped(_ job: PushJob) {
        counters.add(.skipped, job.length)
        counters.add(.skippedBlobs, 1)
        observer?.advanced(job.length)
    }
}

/// Uploads blobs to one registry repository.
final class RegistryPusher: @unchecked Sendable {
    let store: Store
    let registry: Registry
    let repository: String
    /// Blob hex -> a repository of this registry known to hold it.
    let hints: [String: String]
    let counters: TransferCounters
    let observer: TransferObserver?
    let cancellation: Cancellation
    /// Bytes per PATCH for blobs over ``RemoteClient/monolithicUploadLimit``.
    let chunkSize: Int

    init(store: Store, registry: Registry, repository: String, hints: [String: String], counters: TransferCounters,
         observer: TransferObserver?, cancellation: Cancellation, chunkSize: Int = RemoteClient.uploadChunkSize)
    {
        precondition(chunkSize > 0, "upload chunks hold at least one byte")
        self.chunkSize = chunkSize
        self.store = store
        self.registry = registry
        self.repository = repository
        self.hints = hints
        self.counters = counters
        self.observer = observer
        self.cancellation = cancellation
    }

    var scopes: [String] { [RegistryScope.push(repository)] }

    func push(_ job: PushJob, connection: RegistryConnection) throws(RemoteError) {
        if let size = try connection.blobSize(repository: repository, digest: job.digest, scopes: scopes), size == job.length {
            // A push killed between completing this upload and removing its state left the state behind.
            unlink(statePath(for: job))
            counters.add(.skipped, job.length)
            counters.add(.skippedBlobs, 1)
            observer?.advanced(job.length)
            return
        }
        if job.length <= RemoteClient.monolithicUploadLimit {
            try pushWhole(job, connection: connection)
        } else {
            try pushInChunks(job, connection: connection)
        }
    }

    /// Starts an upload session, mounting the blob from another repository when a hint says one
    /// holds it. `nil`: mounted, nothing to send.
    private func startSession(_ job: PushJob, connection: RegistryConnection) throws(RemoteError) -> String? {
        let mount = hints[job.digest.hex].flatMap { $0 == repository ? nil : (digest: job.digest, from: $0) }
        let start: UploadStart
        if let mount {
            do {
                start = try connection.startUpload(repository: repository, mount: mount,
                                                   scopes: scopes + [RegistryScope.pull(mount.from)])
            } catch {
                // No access to the other repository (or it is gone): upload instead.
                guard case .unauthorized = error.reason else { throw error }
                start = try connection.startUpload(repository: repository, mount: nil, scopes: scopes)
            }
        } else {
            start = try connection.startUpload(repository: repository, mount: nil, scopes: scopes)
        }
        switch start {
        case .mounted:
            counters.add(.mounted, job.length)
            counters.add(.mountedBlobs, 1)
            observer?.advanced(job.length)
            return nil
        case let .started(location):
            return location
        }
    }

    /// A small blob: read and hashed first (a damaged one is never sent), then POST and one PUT
    /// `?digest=` carrying all its bytes. Nothing to resume, so no state file.
    private func pushWhole(_ job: PushJob, connection: RegistryConnection) throws(RemoteError) {
        let read: [UInt8]?
        do { read = try FileSystem.readFile(job.file, limit: RemoteClient.monolithicUploadLimit) } catch {
            throw RemoteError(.io(error))
        }
        guard let bytes = read else {  // the store's file grew past its length
            throw RemoteError(.corruptLocalBlob(name: job.name, digest: job.digest, actual: try Self.digest(ofFile: job.file)))
        }
        let actual = SHA256.digest(bytes)
        guard actual == job.digest, bytes.count == job.length else {
            throw RemoteError(.corruptLocalBlob(name: job.name, digest: job.digest, actual: actual))
        }
        if cancellation.isCancelled { throw Cancellation.error }
        guard let location = try startSession(job, connection: connection) else { return }
        try connection.completeUpload(location: location, digest: job.digest, body: .bytes(bytes), scopes: scopes)
        counters.add(.uploaded, job.length)
        counters.add(.uploadedBlobs, 1)
        observer?.advanced(job.length)
    }

    /// A large blob: PATCH chunks of ``chunkSize``, saving the session's location after each in a
    /// state file (0600, in the store) so a later push continues from what the registry confirms.
    private func pushInChunks(_ job: PushJob, connection: RegistryConnection) throws(RemoteError) {
        let stateFile: ExclusiveFile
        do throws(IOError) {
            try FileSystem.makeDirectories(store.uploadStateDirectory)
            let path = statePath(for: job)
            guard let file = try ExclusiveFile.open(path, create: true, wait: true) else { return }
            // The session URL lets its holder write to the upload: the owner's eyes only.
            guard fchmod(file.fd, 0o600) == 0 else { throw IOError(call: "fchmod", path: path, errno: errno) }
            stateFile = file
        } catch {
            throw RemoteError(.io(error))
        }

        // Continue an upload an earlier push left, if the registry still has it and says exactly
        // how much it holds (`0-0` does not: 0 or 1 byte).
        var location: String?
        var offset = 0
        if let saved = Self.savedLocation(stateFile), let status = try resumable(saved, connection: connection),
            let held = status.range?.resumableCount, held <= job.length
        {
            location = status.location
            offset = held
        }
        if location == nil {
            guard let started = try startSession(job, connection: connection) else {
                try? stateFile.unlink()
                return
            }
            location = started
            try save(started, to: stateFile)
        }
        guard var location else { return }

        let fd: Int32
        do { fd = try FileSystem.openForReading(job.file) } catch { throw RemoteError(.io(error)) }
        defer { close(fd) }
        let hasher = OffsetHasher()
        try hasher.hashPrefix(fd: fd, path: job.file, length: offset)
        counters.add(.resumed, offset)
        observer?.advanced(offset)
        while offset < job.length {
            if cancellation.isCancelled { throw Cancellation.error }
            let count = min(chunkSize, job.length - offset)
            let observer = self.observer
            let body = HTTPBody.file(fd: fd, path: job.file, offset: offset, length: count) { bytes, at in
                let fresh = hasher.update(bytes, at: at)
                observer?.advanced(fresh)
            }
            location = try connection.patch(location: location, body: body, offset: offset, scopes: scopes)
            offset += count
            counters.add(.uploaded, count)
            try save(location, to: stateFile)
        }
        let actual = hasher.finalize()
        guard actual == job.digest else {
            throw RemoteError(.corruptLocalBlob(name: job.name, digest: job.digest, actual: actual))
        }
        try connection.completeUpload(location: location, digest: job.digest, scopes: scopes)
        try? stateFile.unlink()
        counters.add(.uploadedBlobs, 1)
    }

    /// Where the session of `job`'s chunked upload to this repository is saved.
    private func statePath(for job: PushJob) -> String {
        store.uploadStateDirectory + "/" + SHA256.digest(Array("\(registry.address.host)/\(repository)@\(job.digest)".utf8)).hex
    }

    /// The status of a saved session; `nil` when it is gone or answers nonsense (a fresh upload
    /// then starts, which is always safe).
    private func resumable(_ saved: String, connection: RegistryConnection) throws(RemoteError)
        -> (range: UploadRange?, location: String)?
    {
        do {
            return try connection.uploadStatus(location: saved, scopes: scopes)
        } catch {
            if case .invalidReply = error.reason { return nil }
            throw error
        }
    }

    /// The SHA-256 of a whole file, streamed (for the error about a damaged one).
    static func digest(ofFile path: String) throws(RemoteError) -> SHA256Digest {
        let fd: Int32
        let size: Int
        do {
            size = try FileSystem.fileSize(path)
            fd = try FileSystem.openForReading(path)
        } catch {
            throw RemoteError(.io(error))
        }
        defer { close(fd) }
        let hasher = OffsetHasher()
        try hasher.hashPrefix(fd: fd, path: path, length: size)
        return hasher.finalize()
    }

    /// The upload URL saved in a state file, if it holds one.
    static func savedLocation(_ file: ExclusiveFile) -> String? {
        guard let size = try? file.size(), size > 0, size < 64 << 10 else { return nil }
        var bytes = [UInt8](repeating: 0, count: size)
        let read = bytes.withUnsafeMutableBytes { (try? file.read(into: $0, at: 0)) ?? 0 }
        guard read == size, let json = try? JSONValue(parsing: bytes) else { return nil }
        return json["location"]?.stringValue
    }

    private func save(_ location: String, to file: ExclusiveFile) throws(RemoteError) {
        let bytes = JSONValue.object(["location": .string(location)]).canonicalBytes
        do throws(IOError) {
            try file.truncate(to: 0)
            try bytes.withUnsafeBytes { raw in Result { () throws(IOError) in try file.write(raw, at: 0) } }.get()
        } catch {
            throw RemoteError(.io(error))
        }
    }
}

/// Hashes bytes handed over with their offsets, each byte once and in order (a retried request
/// shows bytes again; they are skipped).
final class OffsetHasher: @unchecked Sendable {
    private let hasher = SHA256()
    private var hashed = 0

    /// Adds the part of `bytes` (which start at file offset `at`) not hashed yet; returns its size.
    @discardableResult
    func update(_ bytes: UnsafeRawBufferPointer, at: Int) -> Int {
        let end = at + bytes.count
        guard end > hashed, at <= hashed else { return 0 }
        let fresh = UnsafeRawBufferPointer(rebasing: bytes[(hashed - at)...])
        hasher.update(fresh)
        hashed = end
        return fresh.count
    }

    /// Hashes the first `length` bytes of a file (the part of an upload sent by an earlier run).
    func hashPrefix(fd: Int32, path: String, length: Int) throws(RemoteError) {
        guard length > 0 else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        while hashed < length {
            let n = pread(fd, buffer.baseAddress, min(buffer.count, length - hashed), off_t(hashed))
            if n < 0 {
                if errno == EINTR { continue }
                throw RemoteError(.io(IOError(call: "pread", path: path, errno: errno)))
            }
            guard n > 0 else { throw RemoteError(.io(IOError(call: "pread", path: path, errno: EIO))) }
            update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), at: hashed)
        }
    }

    func finalize() -> SHA256Digest { hasher.finalize() }
}
