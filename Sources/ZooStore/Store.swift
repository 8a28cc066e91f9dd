#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// The local content-addressed model store.
///
/// ```text
/// <root>/blobs/sha256/<hex>   manifests (canonical bytes), shards and assets, named by their SHA-256
/// <root>/refs/<name>/<tag>    "sha256:<model digest>\n"
/// <root>/refs/<name>/@sha256-<hex>  the same, for a model kept under `name` without a tag
/// <root>/tmp/                 staging; anything left here after a crash is garbage
/// <root>/lock                 flock(2) file
/// <root>/index/models/<hex>   a ``ModelSummary`` of each model (derived from its manifest blob)
/// <root>/index/refs           every ref with what `list` prints of its model (derived from refs/)
/// ```
///
/// Blobs are written to `tmp/`, hashed, fsynced and only then moved into `blobs/`; the model's
/// summary next, the ref last. So a ref only ever points at complete blobs whatever moment a
/// process dies. `index/` only saves reading manifests and walking `refs/`: any file of it that
/// is missing or does not match is rebuilt from them.
///
/// ```swift
/// let store = Store(root: Store.defaultRoot())
/// let digest = try store.importCheckpoint(try Checkpoint(directory: "out/bert"),
///                                         name: try ModelReference(parsing: "bert:v1"))
/// let checkpoint = try store.checkpoint(for: .digest(digest))   // tensors mapped from the blobs
/// ```
public struct Store: Sendable {
    /// The store's directory.
    public let root: String

    /// A store at `root`. Nothing is created until something is imported.
    public init(root: String) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    /// `$ZOO_HOME`, else `$XDG_DATA_HOME/zoo`, else `~/.local/share/zoo` (`$HOME`, else the
    /// password database's home directory). Empty variables count as unset.
    public static func defaultRoot(environment: [String: String] = currentEnvironment()) -> String {
        if let home = environment["ZOO_HOME"], !home.isEmpty { return home }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty { return data + "/zoo" }
        return userHome(environment: environment) + "/.local/share/zoo"
    }

    /// `$HOME`, else the password database's home directory, else `.`.
    package static func userHome(environment: [String: String]) -> String {
        environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? passwordDatabaseHome() ?? "."
    }

    /// The process environment.
    public static func currentEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return environment
    }

    private static func passwordDatabaseHome() -> String? {
        guard let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir else { return nil }
        return String(cString: dir)
    }

    // MARK: Layout

    /// `<root>/blobs/sha256`.
    public var blobDirectory: String { root + "/blobs/sha256" }
    /// `<root>/refs`.
    public var refDirectory: String { root + "/refs" }
    /// `<root>/tmp`: staging. Converters that write a checkpoint for ``importStaged(directory:name:options:names:progress:)``
    /// write it here, so its files can be renamed into place.
    public var tmpDirectory: String { root + "/tmp" }
    /// `<root>/lock`.
    public var lockPath: String { root + "/lock" }

    /// Where the blob with `digest` lives.
    public func blobPath(_ digest: SHA256Digest) -> String { blobDirectory + "/" + digest.hex }

    /// Where the ref for `name:tag` lives.
    func refPath(name: String, tag: String) -> String { refDirectory + "/" + name + "/" + tag }
    /// Where `ref` lives: `refs/<name>/<tag>`, or `refs/<name>/@sha256-<hex>` when untagged.
    func refPath(_ ref: StoreRef) -> String { refDirectory + "/" + ref.name + "/" + ref.fileName }

    /// Creates the store's directories (idempotent).
    func prepareDirectories() throws(StoreError) {
        do {
            try FileSystem.makeDirectories(blobDirectory)
            try FileSystem.makeDirectories(refDirectory)
            try FileSystem.makeDirectories(tmpDirectory)
        } catch {
            throw StoreError(.io(error))
        }
    }

    // MARK: Refs and manifest blobs

    /// The digest the ref file at `path` holds, `nil` when there is no such file.
    func readRef(at path: String) throws(StoreError) -> SHA256Digest? {
        guard FileSystem.kind(of: path) == .regular else { return nil }
        let bytes: [UInt8]?
        do {
            bytes = try FileSystem.readFile(path, limit: 256)
        } catch {
            if error.errno == ENOENT || error.errno == ENOTDIR || error.errno == EISDIR { return nil }
            throw StoreError(.io(error))
        }
        guard let bytes else { throw StoreError(.corruptRef(path: path)) }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        guard let digest = SHA256Digest(parsing: text) else { throw StoreError(.corruptRef(path: path)) }
        return digest
    }

    /// Reads the manifest blob of `digest` and checks that it hashes to `digest`.
    public func manifest(for digest: SHA256Digest) throws(StoreError) -> Manifest {
        try manifestAndByteCount(for: digest).manifest
    }

    /// ``manifest(for:)`` and the size of the blob it was read from.
    func manifestAndByteCount(for digest: SHA256Digest) throws(StoreError) -> (manifest: Manifest, byteCount: Int) {
        let path = blobPath(digest)
        let bytes: [UInt8]?
        do {
            bytes = try FileSystem.readFile(path, limit: Manifest.maxByteCount)
        } catch {
            if error.errno == ENOENT { throw StoreError(.missingBlob(name: "manifest", digest: digest)) }
            throw StoreError(.io(error))
        }
        guard let bytes else {
            throw StoreError(.corruptManifestBlob(digest: digest, why: "larger than \(Manifest.maxByteCount) bytes"))
        }
        let actual = SHA256.digest(bytes)
        guard actual == digest else {
            throw StoreError(.corruptManifestBlob(digest: digest, why: "its bytes hash to \(actual)"))
        }
        do {
            return (try Manifest(parsing: bytes, file: path), bytes.count)
        } catch {
            throw StoreError(.corruptManifestBlob(digest: digest, why: error.description))
        }
    }
}
