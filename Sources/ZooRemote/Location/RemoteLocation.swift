import Foundation
import ZooFormat
import ZooStore

/// A registry: `HOST[:PORT]`, reached over https, or plain http when `insecure`.
public struct RegistryAddress: Sendable, Hashable, CustomStringConvertible {
    /// `HOST` or `HOST:PORT`, as written.
    public var host: String
    public var insecure: Bool

    public init(host: String, insecure: Bool) {
        self.host = host
        self.insecure = insecure
    }

    /// Whether `host` (`HOST[:PORT]`) names this machine's loopback, where a registry is usually
    /// a local test or cache speaking plain http: zoo then allows http without `--insecure`, as
    /// docker does for localhost registries. Nothing leaves the machine either way.
    public static func isLoopback(_ host: String) -> Bool {
        let name = host.split(separator: ":", maxSplits: 1).first.map(String.init)?.lowercased() ?? ""
        return name == "localhost" || name == "127.0.0.1"
    }

    /// `https://HOST[:PORT]` (or `http://`).
    public var origin: String { (insecure ? "http://" : "https://") + host }

    public var description: String { "oci://" + host }
}

/// Where models live outside the store: a registry (and a repository prefix in it), or a folder
/// holding an OCI image layout.
public enum RemoteBase: Sendable, Equatable, CustomStringConvertible {
    /// Repositories are `namespace/NAME` (or `NAME` when the namespace is empty).
    case registry(RegistryAddress, namespace: String)
    case folder(path: String)

    /// The repository that holds model `name` (registries).
    public func repository(for name: String) -> String {
        guard case let .registry(_, namespace) = self, !namespace.isEmpty else { return name }
        return namespace + "/" + name
    }

    public var description: String {
        switch self {
        case let .registry(address, namespace): namespace.isEmpty ? address.description : "\(address)/\(namespace)"
        case let .folder(path): path
        }
    }
}

/// A tag or a digest naming one model version in a remote.
public enum RemoteVersion: Sendable, Equatable, CustomStringConvertible {
    case tag(String)
    /// An OCI manifest digest (folders also accept the model digest).
    case digest(SHA256Digest)

    public var description: String {
        switch self {
        case let .tag(tag): ":" + tag
        case let .digest(digest): "@" + digest.description
        }
    }
}

/// A model in a remote (or just the remote, when ``name`` is `nil`), parsed from the
/// SOURCE / DEST argument of `zoo pull` and `zoo push`:
///
/// | text | meaning |
/// | --- | --- |
/// | `oci://HOST[:PORT]/REPO[:TAG\|@sha256:...]` | a registry repository (https; `--insecure` for http; http for localhost and 127.0.0.1) |
/// | `HOST[:PORT]/REPO[:TAG\|@sha256:...]` | the same, when HOST has a `.` or a port or is `localhost` and is no folder here |
/// | `REMOTE:NAME[:TAG\|@sha256:...]` | model NAME of a configured remote (`zoo remote add`) |
/// | `PATH:NAME[:TAG]`, `file://PATH:NAME[:TAG]` | model NAME of the OCI image layout at PATH |
///
/// A word before the first `:` is a remote name when such a remote exists, else a folder; a
/// text with a `/` before the first `:` (or starting with `.`) is always a folder. Folder
/// paths therefore cannot contain `:` (a `file://` URL may write it as `%3A`).
public struct RemoteTarget: Sendable, Equatable, CustomStringConvertible {
    public var base: RemoteBase
    /// The model's name relative to the base, e.g. `bert-tiny`; `nil` when not given.
    public var name: String?
    /// `nil` when not given (pull: `latest`; push: the local tag).
    public var version: RemoteVersion?

    public init(base: RemoteBase, name: String?, version: RemoteVersion?) {
        self.base = base
        self.name = name
        self.version = version
    }

    /// The registry repository (registries only, when a name is set).
    public var repository: String? { name.map { base.repository(for: $0) } }

    public var description: String {
        guard let name else { return base.description }
        let version = self.version?.description ?? ""
        switch base {
        case .registry: return "\(base)/\(name)\(version)"
        case .folder: return "\(base):\(name)\(version)"
        }
    }

    /// Parses a SOURCE / DEST argument.
    ///
    /// - Parameters:
    ///   - remotes: the configured remotes, for `REMOTE:NAME`.
    ///   - insecure: `--insecure`: allow plain http for an `oci://` URL.
    ///   - workingDirectory: relative folder paths are made absolute against it.
    public static func parse(_ text: String, remotes: [RemoteConfig], insecure: Bool, workingDirectory: String)
        throws(RemoteError) -> RemoteTarget
    {
        func fail(_ why: String) -> RemoteError { RemoteError(.invalidLocation(text, why: why)) }
        if text.hasPrefix("oci://") {
            let rest = String(text.dropFirst("oci://".count))
            let (host, path) = splitAuthority(rest)
            try validateHost(host, text: text)
            let address = RegistryAddress(host: host, insecure: insecure || RegistryAddress.isLoopback(host))
            guard !path.isEmpty else { return RemoteTarget(base: .registry(address, namespace: ""), name: nil, version: nil) }
            let (name, version) = try parseModel(path, text: text)
            return RemoteTarget(base: .registry(address, namespace: ""), name: name, version: version)
        }
        if text.hasPrefix("http://") || text.hasPrefix("https://") {
            throw fail("write a registry as oci://HOST[:PORT]/REPO (with --insecure for plain http)")
        }
        if text.hasPrefix("file://") {
            var rest = String(text.dropFirst("file://".count))
            if rest.hasPrefix("localhost/") { rest.removeFirst("localhost".count) }
            guard rest.hasPrefix("/") else { throw fail("a file:// URL needs an absolute path") }
            let (path, model) = splitModel(rest)
            guard let decoded = path.removingPercentEncoding else { throw fail("bad %-escape in the path") }
            return try folderTarget(decoded, model: model, text: text, workingDirectory: workingDirectory)
        }
        guard !text.isEmpty else { throw fail("empty") }
        if let registry = registryWithoutScheme(text, workingDirectory: workingDirectory) {
            return try parse("oci://" + registry, remotes: remotes, insecure: insecure, workingDirectory: workingDirectory)
        }
        let (location, model) = splitModel(text)
        let looksLikePath = location.contains("/") || location.hasPrefix(".") || location.hasPrefix("~")
        if !looksLikePath, let remote = remotes.first(where: { $0.name == location }) {
            let base = try remote.base(insecure: insecure)
            guard let model else { return RemoteTarget(base: base, name: nil, version: nil) }
            let (name, version) = try parseModel(model, text: text)
            return RemoteTarget(base: base, name: name, version: version)
        }
        if !looksLikePath {
            let absolute = makeAbsolute(location, workingDirectory: workingDirectory)
            guard FileSystem.kind(of: absolute) == .directory else {
                throw RemoteError(.invalidLocation(text, why:
                    "no remote named \"\(location)\" and no folder ./\(location) (write ./\(location) for a new folder)"))
            }
        }
        return try folderTarget(location, model: model, text: text, workingDirectory: workingDirectory)
    }

    /// Parses a remote's URL as stored by `zoo remote add`: `oci://HOST[:PORT][/NAMESPACE]` or
    /// a folder (path or `file://` URL).
    public static func parseBase(_ url: String, insecure: Bool, workingDirectory: String) throws(RemoteError) -> RemoteBase {
        func fail(_ why: String) -> RemoteError { RemoteError(.invalidLocation(url, why: why)) }
        if url.hasPrefix("oci://") {
            let (host, path) = splitAuthority(String(url.dropFirst("oci://".count)))
            try validateHost(host, text: url)
            var namespace = path
            while namespace.hasSuffix("/") { namespace.removeLast() }
            if !namespace.isEmpty {
                guard !namespace.contains(":"), !namespace.contains("@") else {
                    throw fail("a remote is a registry and an optional repository prefix, without a tag or digest")
                }
                do { try ModelReference.validateName(namespace) } catch { throw fail("repository prefix: \(error.reason)") }
            }
            return .registry(RegistryAddress(host: host, insecure: insecure || RegistryAddress.isLoopback(host)), namespace: namespace)
        }
        if url.hasPrefix("http://") || url.hasPrefix("https://") {
            throw fail("write a registry as oci://HOST[:PORT][/PREFIX] (with --insecure for plain http)")
        }
        var path = url
        if path.hasPrefix("file://") {
            path = String(path.dropFirst("file://".count))
            guard let decoded = path.removingPercentEncoding, decoded.hasPrefix("/") else {
                throw fail("a file:// URL needs an absolute path")
            }
            path = decoded
        }
        guard !path.isEmpty, !path.contains(":") else { throw fail("a folder path cannot contain \":\"") }
        return .folder(path: FileSystem.trimmingTrailingSlashes(makeAbsolute(path, workingDirectory: workingDirectory)))
    }

    // MARK: Pieces

    private static func folderTarget(_ path: String, model: String?, text: String, workingDirectory: String)
        throws(RemoteError) -> RemoteTarget
    {
        guard !path.isEmpty else { throw RemoteError(.invalidLocation(text, why: "empty folder path")) }
        let base = RemoteBase.folder(path: FileSystem.trimmingTrailingSlashes(makeAbsolute(path, workingDirectory: workingDirectory)))
        guard let model else { return RemoteTarget(base: base, name: nil, version: nil) }
        let (name, version) = try parseModel(model, text: text)
        return RemoteTarget(base: base, name: name, version: version)
    }

    /// `NAME[:TAG|@sha256:HEX]`.
    static func parseModel(_ text: String, text whole: String) throws(RemoteError) -> (String, RemoteVersion?) {
        func fail(_ why: String) -> RemoteError { RemoteError(.invalidLocation(whole, why: why)) }
        var name = text
        var version: RemoteVersion?
        if let at = text.firstIndex(of: "@") {
            name = String(text[..<at])
            let digestText = String(text[text.index(after: at)...])
            guard let digest = SHA256Digest(parsing: digestText) else {
                throw fail("\"\(digestText)\" is not a digest (sha256:<64 lowercase hex>)")
            }
            version = .digest(digest)
        } else if let colon = text.lastIndex(of: ":") {
            name = String(text[..<colon])
            let tag = String(text[text.index(after: colon)...])
            do { try ModelReference.validateTag(tag) } catch { throw fail(error.reason.description) }
            version = .tag(tag)
        }
        do { try ModelReference.validateName(name) } catch { throw fail(error.reason.description) }
        return (name, version)
    }

    /// `HOST[:PORT]/REPO[:TAG]` written without `oci://`, as docker, ORAS and Ollama take it: the
    /// text before the first `/` is a registry when it holds a `.` or a `:` port or is `localhost`
    /// (docker's rule), is a valid HOST[:PORT], and is not a folder here (a folder wins, so an
    /// existing `models.v2/` stays a folder). Returns the text to read as `oci://` + it, or nil.
    private static func registryWithoutScheme(_ text: String, workingDirectory: String) -> String? {
        guard !text.hasPrefix("/"), !text.hasPrefix("."), !text.hasPrefix("~"), let slash = text.firstIndex(of: "/") else {
            return nil
        }
        let host = String(text[..<slash])
        guard host.contains(".") || host.contains(":") || host.lowercased() == "localhost",
            (try? validateHost(host, text: text)) != nil,
            FileSystem.kind(of: makeAbsolute(host, workingDirectory: workingDirectory)) == .missing
        else { return nil }
        return text
    }

    /// `HOST[:PORT]/PATH` -> (`HOST[:PORT]`, `PATH`).
    private static func splitAuthority(_ text: String) -> (String, String) {
        guard let slash = text.firstIndex(of: "/") else { return (text, "") }
        return (String(text[..<slash]), String(text[text.index(after: slash)...]))
    }

    /// `LOCATION:MODEL` split at the first `:`.
    private static func splitModel(_ text: String) -> (String, String?) {
        guard let colon = text.firstIndex(of: ":") else { return (text, nil) }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private static func validateHost(_ host: String, text: String) throws(RemoteError) {
        let parts = host.split(separator: ":", omittingEmptySubsequences: false)
        let name = parts.first.map(String.init) ?? ""
        let validName = !name.isEmpty && name.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e || $0 == 0x2d
        }
        let validPort = parts.count == 1 || (parts.count == 2 && (UInt16(parts[1]).map { $0 > 0 } ?? false))
        guard validName, validPort else {
            throw RemoteError(.invalidLocation(text, why: "\"\(host)\" is not HOST or HOST:PORT"))
        }
    }

    static func makeAbsolute(_ path: String, workingDirectory: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/") {
            let home = ProcessInfo.processInfo.environment["HOME"] ?? "/"
            return home + path.dropFirst()
        }
        var relative = Substring(path)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        if relative == "." || relative.isEmpty { return workingDirectory }
        return workingDirectory + "/" + relative
    }
}
