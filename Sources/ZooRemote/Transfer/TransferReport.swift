import Foundation
import ZooFormat
import ZooStore

/// Progress callbacks of a pull or push: the total once it is known, then bytes as they are
/// handled (received, sent, or found already in place and checked), from several threads.
public struct TransferObserver: Sendable {
    public var started: @Sendable (_ totalBytes: Int) -> Void
    public var advanced: @Sendable (_ bytes: Int) -> Void

    public init(started: @escaping @Sendable (Int) -> Void, advanced: @escaping @Sendable (Int) -> Void) {
        self.started = started
        self.advanced = advanced
    }
}

/// What a pull did.
public struct PullReport: Sendable, Equatable {
    /// Where the model came from (the location as written, normalised).
    public var source: String
    /// The name it was stored under, and its model digest.
    public var stored: StoreRef
    /// The OCI manifest's digest.
    public var manifestDigest: SHA256Digest
    /// Bytes of the model: its manifest, shards and assets (each distinct blob once).
    public var totalByteCount = 0
    /// Bytes received from the remote in this run.
    public var transferredByteCount = 0
    /// Bytes of partial downloads an earlier run left, continued rather than fetched again.
    public var resumedByteCount = 0
    /// Bytes of blobs the store already had (re-hashed, not fetched).
    public var reusedByteCount = 0
    public var fetchedBlobCount = 0
    public var reusedBlobCount = 0
    /// Blobs the store had but damaged; fetched again and replaced.
    public var repairedBlobCount = 0
    /// The signatures that met the pull's requirements (empty when none was required); they
    /// were stored with the model.
    public var signatures: [VerifiedSignature] = []
    public var seconds = 0.0

    public init(source: String, stored: StoreRef, manifestDigest: SHA256Digest) {
        self.source = source
        self.stored = stored
        self.manifestDigest = manifestDigest
    }
}

/// What a push did.
public struct PushReport: Sendable, Equatable {
    /// Where the model went, as `LOCATION:NAME:TAG` or `oci://HOST/REPO:TAG`.
    public var destination: String
    /// The model digest, and the OCI manifest digest it was pushed as.
    public var modelDigest: SHA256Digest
    public var manifestDigest: SHA256Digest
    /// Bytes of the model (each distinct blob once, the zoo manifest included).
    public var totalByteCount = 0
    /// Bytes sent in this run.
    public var uploadedByteCount = 0
    /// Bytes of blobs an interrupted upload had already delivered, not sent again.
    public var resumedByteCount = 0
    /// Bytes of blobs the remote already had.
    public var skippedByteCount = 0
    /// Bytes of blobs the registry mounted from another of its repositories.
    public var mountedByteCount = 0
    public var uploadedBlobCount = 0
    public var skippedBlobCount = 0
    public var mountedBlobCount = 0
    /// Signatures of the model sent as referrers of its manifest (already there counted too).
    public var signatureCount = 0
    public var seconds = 0.0

    public init(destination: String, modelDigest: SHA256Digest, manifestDigest: SHA256Digest) {
        self.destination = destination
        self.modelDigest = modelDigest
        self.manifestDigest = manifestDigest
    }
}

/// One model a remote offers (``RemoteClient/list(_:)``).
public struct RemoteEntry: Sendable, Equatable {
    /// The model name relative to the remote, and its tag.
    public var name: String
    public var tag: String
    /// The model digest (the OCI config digest).
    public var modelDigest: SHA256Digest
    public var manifestDigest: SHA256Digest
    /// Bytes of the config and every layer.
    public var byteCount: Int
    public var family: String?
    public var type: String?
    public var parameterCount: Int?

    public init(name: String, tag: String, modelDigest: SHA256Digest, manifestDigest: SHA256Digest, byteCount: Int,
                family: String?, type: String?, parameterCount: Int?)
    {
        self.name = name
        self.tag = tag
        self.modelDigest = modelDigest
        self.manifestDigest = manifestDigest
        self.byteCount = byteCount
        self.family = family
        self.type = type
        self.parameterCount = parameterCount
    }

    init(name: String, tag: String, manifestDigest: SHA256Digest, manifest: OCIImageManifest) {
        self.init(name: name, tag: tag, modelDigest: manifest.modelDigest, manifestDigest: manifestDigest,
                  byteCount: manifest.totalByteCount, family: manifest.annotations[OCIAnnotation.modelFamily],
                  type: manifest.annotations[OCIAnnotation.modelType],
                  parameterCount: manifest.annotations[OCIAnnotation.parameterCount].flatMap { Int($0) })
    }
}

/// Counters the transfer threads add to.
final class TransferCounters: @unchecked Sendable {
    enum Key: Hashable {
        case transferred, resumed, reused, fetchedBlobs, reusedBlobs, repairedBlobs
        case uploaded, skipped, mounted, uploadedBlobs, skippedBlobs, mountedBlobs
    }

    private let lock = NSLockBox()
    private var values: [Key: Int] = [:]

    func add(_ key: Key, _ amount: Int) { lock.run { values[key, default: 0] += amount } }
    subscript(key: Key) -> Int { lock.run { values[key, default: 0] } }
}

/// `NSLock` with a closure helper that returns a value.
final class NSLockBox: @unchecked Sendable {
    private let lock = NSLock()
    func run<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
