#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat
import ZooStore

/// Moves models between a local ``Store`` and remotes: OCI registries and folders holding an
/// OCI image layout.
///
/// ```swift
/// let client = RemoteClient(store: store)
/// let source = try client.target("oci://registry.example.com/team/bert:v1")
/// let report = try client.pull(source, as: nil)            // stored as team/bert:v1
/// try client.push(try ModelReference(parsing: "bert:v1"), to: try client.target("backup:bert"))
/// ```
///
/// Several blobs move at once (``concurrency`` threads, each with its own connection); every
/// byte is hashed as it streams; memory stays bounded whatever the blob size.
public struct RemoteClient: Sendable {
    public let store: Store
    public let credentials: CredentialSource
    /// Blobs transferred at once.
    public var concurrency = 4
    /// A cap per transfer in bytes per second (`nil`: none).
    public var bytesPerSecond: Int?
    /// Allow plain http for `oci://` URLs given on the command line.
    public var insecure = false
    /// Relative folder paths are resolved against this.
    public var workingDirectory: String

    /// Upload chunk size: each PATCH sends this much, and the upload's position is saved after it.
    public static let uploadChunkSize = 64 << 20

    /// Blobs of at most this many bytes (4 MiB) are pushed whole: `POST .../blobs/uploads/`,
    /// then `PUT <location>?digest=` with the bytes (the OCI distribution spec's POST + PUT
    /// upload). Larger blobs go in resumable ``uploadChunkSize`` chunks.
    public static let monolithicUploadLimit = 4 << 20

    /// Bytes per PATCH for chunked uploads; ``uploadChunkSize`` unless a test wants many chunks
    /// of a small blob.
    var uploadChunkByteCount = RemoteClient.uploadChunkSize

    public init(store: Store, environment: [String: String] = Store.currentEnvironment(),
                workingDirectory: String = RemoteClient.currentDirectory())
    {
        self.store = store
        self.credentials = CredentialSource(environment: environment)
        self.workingDirectory = workingDirectory
    }

    /// The process's working directory.
    public static func currentDirectory() -> String {
        guard let path = getcwd(nil, 0) else { return "." }
        defer { free(path) }
        return String(cString: path)
    }

    /// The remotes: the config folder's, merged with the store's old `remotes.json`.
    public var remotes: RemoteList { RemoteList(store: store) }

    /// Parses a SOURCE / DEST argument against the configured remotes (see ``RemoteTarget``).
    public func target(_ text: String) throws(RemoteError) -> RemoteTarget {
        try RemoteTarget.parse(text, remotes: try remotes.load(), insecure: insecure, workingDirectory: workingDirectory)
    }

    /// A remote name, or a location without a model (`oci://HOST[/PREFIX]`, a folder).
    public func base(_ text: String) throws(RemoteError) -> RemoteBase {
        if let remote = try remotes.load().first(where: { $0.name == text }) { return try remote.base(insecure: insecure) }
        return try RemoteTarget.parseBase(text, insecure: insecure, workingDirectory: workingDirectory)
    }

    func registry(_ address: RegistryAddress) -> Registry {
        Registry(address: address, credentials: credentials,
                 options: HTTPOptions(allowInsecure: address.insecure, bytesPerSecond: bytesPerSecond))
    }
}

/// The remote side of one pull: a registry repository or a layout.
enum PullEndpoint: Sendable {
    case registry(Registry, repository: String)
    /// A layout, and the cap on each blob copy (`--limit-rate`, as for registries).
    case layout(ImageLayout, bytesPerSecond: Int?)

    /// A per-thread reader.
    func reader() throws(RemoteError) -> EndpointReader {
        switch self {
        case let .registry(registry, repository):
            EndpointReader(endpoint: self, connection: try registry.connect(), repository: repository)
        case .layout:
            EndpointReader(endpoint: self, connection: nil, repository: "")
        }
    }
}

/// One thread's access to a ``PullEndpoint``.
final class EndpointReader {
    let endpoint: PullEndpoint
    let connection: RegistryConnection?
    let repository: String

    init(endpoint: PullEndpoint, connection: RegistryConnection?, repository: String) {
        self.endpoint = endpoint
        self.connection = connection
        self.repository = repository
    }

    var scopes: [String] { [RegistryScope.pull(repository)] }

    /// Where blob `digest` is read from (for messages).
    func source(_ digest: SHA256Digest) -> String {
        switch endpoint {
        case let .registry(registry, repository): registry.url("\(repository)/blobs/\(digest)")
        case let .layout(layout, _): layout.blobPath(digest)
        }
    }

    /// Streams blob `digest` from byte `offset` into `receiver`.
    func fetch(_ digest: SHA256Digest, from offset: Int, into receiver: BlobReceiver) throws(RemoteError) {
        switch endpoint {
        case .registry:
            guard let connection else { return }
            try connection.fetchBlob(repository: repository, digest: digest, from: offset, into: receiver, scopes: scopes)
        case let .layout(layout, bytesPerSecond):
            guard FileSystem.kind(of: layout.blobPath(digest)) == .regular else {
                throw RemoteError(.invalidLayout(path: layout.path, why: "blob \(digest) is missing"))
            }
            try receiver.copy(fromFile: layout.blobPath(digest), offset: offset, bytesPerSecond: bytesPerSecond)
        }
    }

    /// A small blob (the config), verified.
    func smallBlob(_ digest: SHA256Digest, limit: Int) throws(RemoteError) -> [UInt8] {
        switch endpoint {
        case .registry:
            guard let connection else { return [] }
            return try connection.smallBlob(repository: repository, digest: digest, limit: limit, scopes: scopes)
        case let .layout(layout, _):
            return try layout.smallBlob(digest, limit: limit)
        }
    }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

extension StoreError {
    /// Wrapped for the remote layer.
    var remote: RemoteError { RemoteError(.store(self)) }
}
