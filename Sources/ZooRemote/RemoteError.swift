import ZooFormat
import ZooSigning
import ZooStore

/// Why a pull, push or remote operation failed.
///
/// Descriptions name the registry URL or folder, the blob and its digest; they never hold a
/// password or token (credentials are kept in ``Secret`` values, which print as `<redacted>`),
/// and every URL in them goes through ``URLRedaction``: an upload session's query (its `_state`
/// token) prints as `?<redacted>`. The reason's values keep the URLs as they were.
///
/// ```swift
/// do { try puller.pull(source, name: nil) } catch let error as RemoteError {
///     if case .unauthorized = error.reason { ... }
/// }
/// ```
public struct RemoteError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The registry answered `status` with the OCI error `code` (e.g. `MANIFEST_UNKNOWN`).
        case registry(status: Int, code: String?, message: String?, method: String, url: String)
        /// The registry (or its token server) refused to authenticate us. `detail` says whether
        /// credentials were missing or wrong.
        case unauthorized(host: String, detail: String)
        /// The server could not be reached or the connection failed (libcurl's message).
        case transport(url: String, message: String)
        /// A plain-http URL without `--insecure` (or the remote's insecure setting).
        case insecureNotAllowed(url: String)
        /// A blob's bytes do not hash to its digest. `source` is the URL or file they came from.
        case digestMismatch(blob: String, source: String, expected: SHA256Digest, actual: SHA256Digest)
        /// A blob has a different length than its descriptor declares.
        case sizeMismatch(blob: String, source: String, expected: Int, actual: Int)
        /// The server's answer breaks the protocol: a malformed `Range`, a `Content-Length` that
        /// disagrees with the descriptor, a `Docker-Content-Digest` that is not the bytes' digest.
        case invalidReply(source: String, why: String)
        /// A document (manifest, config, listing) larger than zoo accepts; `declared` is the
        /// server's `Content-Length` when it gave one (refused before the body is read).
        case replyTooLarge(what: String, source: String, declared: Int?, limit: Int)
        /// The remote artifact is not a zoo checkpoint (another media type).
        case notACheckpoint(source: String, why: String)
        /// The OCI manifest or index is malformed or inconsistent with the zoo manifest.
        case invalidManifest(source: String, why: String)
        /// A signature artifact or referrers list that is malformed, oversized or made for
        /// another manifest.
        case invalidSignature(source: String, why: String)
        /// A pull that requires signatures found none that verifies: `why` says what each
        /// signature found failed with (or that there were none), `keys` the required keys' files.
        case signatureRequired(source: String, keys: [String], why: String)
        /// A key file for checking signatures cannot be used.
        case signing(SigningError)
        /// The trust policy file (`trust.json`) cannot be used; `entry` names the rule.
        case invalidTrustPolicy(path: String, entry: String?, why: String)
        /// The remote has no such model (tag or digest).
        case noSuchModel(String)
        /// A SOURCE/DEST text that is not a valid location.
        case invalidLocation(String, why: String)
        /// No remote of that name is configured.
        case unknownRemote(String)
        /// `zoo remote add` of a name that exists.
        case remoteExists(String)
        /// A remote name that breaks the naming rule.
        case invalidRemoteName(String, why: String)
        /// A folder that is not a valid OCI image layout.
        case invalidLayout(path: String, why: String)
        /// A configuration file (remotes, credentials) that cannot be used.
        case invalidConfig(path: String, why: String)
        /// The credentials file can be read by others: it is refused until it is `chmod 600`.
        case credentialsFileTooOpen(path: String, mode: UInt32)
        /// A blob in the local store does not hash to its name (found while pushing it).
        case corruptLocalBlob(name: String, digest: SHA256Digest, actual: SHA256Digest)
        /// The local store failed.
        case store(StoreError)
        /// A checkpoint was rejected.
        case format(FormatError)
        /// A system call failed.
        case io(IOError)
    }

    public var reason: Reason

    public init(_ reason: Reason) {
        self.reason = reason
    }

    public var description: String { reason.description }
}

extension RemoteError.Reason: CustomStringConvertible {
    public var description: String {
        let r = URLRedaction.redact
        return switch self {
        case let .registry(status, code, message, method, url):
            "registry answered \(status)\(code.map { " \($0)" } ?? "")\(message.map { ": \($0)" } ?? "") for \(method) \(r(url))"
        case let .unauthorized(host, detail): "authentication with \(host) failed: \(detail)"
        case let .transport(url, message): "cannot reach \(r(url)): \(message)"
        case let .insecureNotAllowed(url):
            "\(r(url)) uses plain http: pass --insecure (or add the remote with --insecure) to allow it"
        case let .digestMismatch(blob, source, expected, actual):
            "\(blob) from \(r(source)) hashes to \(actual), expected \(expected); the data was discarded"
        case let .sizeMismatch(blob, source, expected, actual):
            "\(blob) from \(r(source)) is \(actual) bytes, expected \(expected)"
        case let .invalidReply(source, why): "invalid answer from \(r(source)): \(why)"
        case let .replyTooLarge(what, source, declared, limit):
            "\(what) from \(r(source)) is larger than the \(limit)-byte limit"
                + (declared.map { " (Content-Length \($0))" } ?? "") + "; nothing was kept"
        case let .notACheckpoint(source, why): "\(r(source)) is not a zoo checkpoint: \(why)"
        case let .invalidManifest(source, why): "invalid OCI manifest from \(r(source)): \(why)"
        case let .invalidSignature(source, why): "invalid signature from \(r(source)): \(why)"
        case let .signatureRequired(source, keys, why):
            "refused \(r(source)): no signature by \(keys.count == 1 ? "the key " : "any of the keys ")"
                + keys.joined(separator: ", ") + " verifies it (\(why)); nothing was stored"
        case let .signing(error): error.description
        case let .invalidTrustPolicy(path, entry, why): "\(path)\(entry.map { ": \($0)" } ?? ""): \(why)"
        case let .noSuchModel(reference): "no model \(reference) in the remote"
        case let .invalidLocation(text, why): "invalid location \"\(text)\": \(why)"
        case let .unknownRemote(name): "no remote named \"\(name)\" (zoo remote list shows them)"
        case let .remoteExists(name): "a remote named \"\(name)\" exists already (zoo remote rm \(name) first)"
        case let .invalidRemoteName(name, why): "invalid remote name \"\(name)\": \(why)"
        case let .invalidLayout(path, why): "\(path) is not a usable OCI image layout: \(why)"
        case let .invalidConfig(path, why): "\(path): \(why)"
        case let .credentialsFileTooOpen(path, mode):
            "\(path) is readable by others (mode \(String(mode & 0o777, radix: 8))): run chmod 600 \(path)"
        case let .corruptLocalBlob(name, digest, actual):
            "\(name): the store's blob \(digest) hashes to \(actual); run zoo verify, then re-import or re-pull the model"
        case let .store(error): error.description
        case let .format(error): error.description
        case let .io(error): error.description
        }
    }
}
