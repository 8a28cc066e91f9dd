#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ZooFormat
import ZooStore

extension RemoteClient {
    /// Pulls a model into the store and names it.
    ///
    /// 1. Reads the OCI manifest (by tag or digest) and checks it is a zoo checkpoint; reads the
    ///    config (the zoo manifest), checks its digest and canonical form, and checks the layers
    ///    against it.
    /// 2. Registers the pull in the store (``TransferSession``) so a garbage collection keeps
    ///    what it needs.
    /// 3. For each distinct blob, on ``concurrency`` threads: a blob the store has is re-hashed
    ///    (a damaged one is fetched again and replaced); a missing one is fetched into its
    ///    partial file — continuing a partial an interrupted pull left, with an HTTP Range
    ///    request — hashed while it streams and published into the store once it matches.
    /// 4. Under the store lock, checks every blob, writes the manifest blob and the name.
    ///
    /// - Parameters:
    ///   - name: `NAME:TAG` to store it under; `nil`: the remote name and its tag; pulled by
    ///     digest, the remote name untagged (`NAME@sha256:<model digest>`, unless a tag of that
    ///     name already names the model).
    /// With `requirements` (from `--key` and the trust policy, see ``TrustPolicy``), step 2 is
    /// preceded by the signature check: the signatures referring to the OCI manifest are fetched
    /// and each requirement needs one that verifies with one of its keys and covers exactly the
    /// model's folder form. A model that fails stores nothing at all; the accepted signatures are
    /// stored with it after step 4.
    ///
    /// - Throws: ``RemoteError``: no such model, not a checkpoint, a digest mismatch naming the
    ///   blob and URL (its bytes are discarded), authentication, transport, store errors;
    ///   ``RemoteError/Reason/signatureRequired(source:keys:why:)`` when no signature meets a requirement.
    @discardableResult
    public func pull(_ target: RemoteTarget, as name: ModelReference?, requiring requirements: [SignatureRequirement] = [],
                     observer: TransferObserver? = nil) throws(RemoteError) -> PullReport
    {
        let started = monotonicSeconds()
        let resolved = try resolve(target, bytesPerSecond: bytesPerSecond)
        let (modelName, version, endpoint, reader) = (resolved.modelName, resolved.version, resolved.endpoint, resolved.reader)
        let (oci, ociDigest, config, source) = (resolved.oci, resolved.ociDigest, resolved.config, resolved.source)
        var verified: [VerifiedSignature] = []
        if !requirements.isEmpty {
            // Checked before the store sees anything: a refused model leaves not even a session.
            verified = try verifySignatures(requirements, manifest: try resolved.checkedManifest(), modelDigest: oci.config.digest,
                                            subject: ociDigest, endpoint: endpoint, reader: reader, source: source)
        }

        let session: TransferSession
        do { session = try store.beginTransfer(manifestBytes: config) } catch {
            guard case let .corruptManifestBlob(_, why) = error.reason else { throw error.remote }
            throw RemoteError(.invalidManifest(source: source, why: "its config is not a valid zoo manifest: \(why)"))
        }
        defer { session.end() }
        try oci.check(against: session.manifest, source: source)

        let localName: ModelReference
        if let name {
            localName = name
        } else {
            switch version {
            case let .tag(tag):
                do { localName = try ModelReference(name: modelName, tag: tag) } catch { throw error.remote }
            case .digest:
                // No tag is invented: the model is kept under its name, untagged.
                do { try ModelReference.validateName(modelName) } catch { throw error.remote }
                localName = .untagged(name: modelName, digest: session.digest)
            }
        }

        let blobs = session.blobs
        let counters = TransferCounters()
        let total = blobs.reduce(config.count) { $0 + $1.length }
        observer?.started(total)
        observer?.advanced(config.count)
        let jobs = blobs.sorted { $0.length > $1.length }.map { PullJob(digest: $0.digest, length: $0.length, path: $0.path) }
        let context = PullContext(store: store, session: session, counters: counters, observer: observer)
        do {
            try WorkerPool.run(jobs, threads: concurrency, cancellation: context.cancellation,
                               makeContext: { () throws(RemoteError) in try endpoint.reader() }) { job, reader throws(RemoteError) in
                try context.pull(job, reader: reader)
            }
        } catch {
            _ = try? context.waitForPublishing()
            throw error
        }
        try context.waitForPublishing()

        var stored: SHA256Digest?
        for attempt in 0..<3 {
            do {
                stored = try session.commit(as: localName)
                break
            } catch {
                // A concurrent removal took a blob after it was checked: fetch it again.
                guard case let .missingBlob(_, digest) = error.reason, attempt < 2,
                    let job = jobs.first(where: { $0.digest == digest })
                else { throw error.remote }
                try context.pull(job, reader: reader)
                try context.waitForPublishing()
            }
        }
        guard let stored, let storedRef = Store.namedRef(localName, digest: stored) else {
            throw RemoteError(.store(StoreError(.noSuchModel(localName.description))))
        }
        try storeSignatures(verified, for: stored)
        if case let .registry(registry, repository) = endpoint {
            MountHints(store: store, host: registry.address.host).record(blobs.map(\.digest) + [oci.config.digest],
                                                                          repository: repository)
        }

        var report = PullReport(source: source, stored: storedRef, manifestDigest: ociDigest)
        report.totalByteCount = total
        report.transferredByteCount = counters[.transferred] + config.count + resolved.ociBytes.count
        report.resumedByteCount = counters[.resumed]
        report.reusedByteCount = counters[.reused]
        report.fetchedBlobCount = counters[.fetchedBlobs]
        report.reusedBlobCount = counters[.reusedBlobs]
        report.repairedBlobCount = counters[.repairedBlobs]
        report.signatures = verified
        report.seconds = monotonicSeconds() - started
        return report
    }

    /// The OCI manifest bytes and digest of `name` at `version`.
    func manifest(of endpoint: PullEndpoint, reader: EndpointReader, name: String, version: RemoteVersion,
                          target: RemoteTarget) throws(RemoteError) -> ([UInt8], SHA256Digest)
    {
        switch endpoint {
        case let .registry(_, repository):
            guard let connection = reader.connection,
                let found = try connection.manifest(repository: repository, version: version, scopes: reader.scopes)
            else { throw RemoteError(.noSuchModel(target.description)) }
            return found
        case let .layout(layout, _):
            guard let descriptor = try layout.find(name: name, version: version) else {
                throw RemoteError(.noSuchModel(target.description))
            }
            guard descriptor.mediaType == OCIMediaType.imageManifest else {
                throw RemoteError(.notACheckpoint(source: target.description, why: "its index entry is \(descriptor.mediaType)"))
            }
            return (try layout.smallBlob(descriptor.digest, limit: OCIImageManifest.maxByteCount), descriptor.digest)
        }
    }
}

/// One blob to pull.
struct PullJob: Sendable {
    let digest: SHA256Digest
    let length: Int
    let path: String
}

/// What the pull threads share.
final class PullContext: @unchecked Sendable {
    /// Times one blob's download is continued (with a Range request) after a dropped connection
    /// or a server error, within one pull.
    static let maxRetries = 3

    let store: Store
    let session: TransferSession
    let counters: TransferCounters
    let observer: TransferObserver?
    let cancellation = Cancellation()
    /// Verified blobs are fsynced and linked into the store here, so a transfer thread moves on to
    /// its next blob while the disk catches up.
    private let publisher = DispatchQueue(label: "zoo.pull.publish")
    private let publishing = DispatchGroup()
    private let publishLock = NSLock()
    private var publishError: RemoteError?

    init(store: Store, session: TransferSession, counters: TransferCounters, observer: TransferObserver?) {
        self.store = store
        self.session = session
        self.counters = counters
        self.observer = observer
    }

    /// Makes sure the store holds an intact copy of the blob.
    func pull(_ job: PullJob, reader: EndpointReader) throws(RemoteError) {
        let state: StoredBlobState
        do { state = try store.checkBlob(job.digest, length: job.length) } catch { throw error.remote }
        switch state {
        case .intact:
            counters.add(.reused, job.length)
            counters.add(.reusedBlobs, 1)
            observer?.advanced(job.length)
        case .missing:
            try fetch(job, reader: reader, replacing: false)
        case .damaged:
            try fetch(job, reader: reader, replacing: true)
            counters.add(.repairedBlobs, 1)
        }
    }

    /// Publishes a verified partial on the publishing queue; the partial's lock is held until then.
    private func schedulePublish(_ partial: ExclusiveFile, digest: SHA256Digest, replacing: Bool) {
        publishing.enter()
        publisher.async { [self] in
            defer { publishing.leave() }
            do throws(StoreError) {
                try session.publish(partial, digest: digest, replacing: replacing)
            } catch {
                let failure = error.remote
                publishLock.withLock { if publishError == nil { publishError = failure } }
                cancellation.cancel()
            }
        }
    }

    /// Waits until every scheduled blob is in the store; throws the first publishing error.
    func waitForPublishing() throws(RemoteError) {
        publishing.wait()
        if let error = publishLock.withLock({ publishError }) { throw error }
    }

    /// Errors worth another try: the connection failed, or the server had a passing problem.
    static func isTransient(_ error: RemoteError) -> Bool {
        switch error.reason {
        case .transport: error != Cancellation.error
        case let .registry(status, _, _, _, _): status >= 500 || status == 429
        default: false
        }
    }

    private func fetch(_ job: PullJob, reader: EndpointReader, replacing: Bool) throws(RemoteError) {
        for attempt in 0..<2 {
            let partial: ExclusiveFile
            do { partial = try session.openPartial(job.digest) } catch { throw error.remote }
            if !replacing {
                // Another pull may have published it while this one waited for the partial's lock.
                let state: StoredBlobState
                do { state = try store.checkBlob(job.digest, length: job.length) } catch { throw error.remote }
                if state == .intact {
                    try? partial.unlink()
                    counters.add(.reused, job.length)
                    counters.add(.reusedBlobs, 1)
                    observer?.advanced(job.length)
                    return
                }
            }
            let receiver = BlobReceiver(file: partial, digest: job.digest, length: job.length,
                                        source: reader.source(job.digest), progress: observer?.advanced,
                                        cancellation: cancellation)
            _ = try receiver.prepare()
            var retries = 0
            while receiver.position < job.length {
                do throws(RemoteError) {
                    try reader.fetch(job.digest, from: receiver.position, into: receiver)
                    break  // the source sent all it had; finish() checks the length
                } catch {
                    // A dropped connection: continue from what arrived, a few times, before giving up.
                    guard Self.isTransient(error), retries < Self.maxRetries, !cancellation.isCancelled else {
                        counters.add(.transferred, receiver.received)
                        throw error
                    }
                    retries += 1
                    try receiver.settle()
                    usleep(UInt32(200_000 * retries))
                }
            }
            let actual = try receiver.finish()
            counters.add(.transferred, receiver.received)
            counters.add(.resumed, receiver.resumedFrom)
            if actual == job.digest {
                schedulePublish(partial, digest: job.digest, replacing: replacing)
                counters.add(.fetchedBlobs, 1)
                return
            }
            try? partial.truncate(to: 0)
            // A prefix left by an earlier run may be what is wrong: try once more from byte 0.
            if receiver.resumedFrom > 0 && attempt == 0 { continue }
            throw RemoteError(.digestMismatch(blob: "\(job.path) (\(job.digest))", source: reader.source(job.digest),
                                              expected: job.digest, actual: actual))
        }
    }
}
