#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// A password or token. Prints as `<redacted>` in every form, so it cannot leak into an error
/// message, a log line or a test failure by accident; ``reveal()`` is the only way to read it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The secret itself, for an `Authorization` header and nothing else.
    public func reveal() -> String { value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

/// A registry user name and password.
public struct Credentials: Sendable, Equatable {
    public var username: String
    public var password: Secret

    public init(username: String, password: Secret) {
        self.username = username
        self.password = password
    }
}

/// Where registry credentials come from, in order:
///
/// 1. `ZOO_REGISTRY_USER` and `ZOO_REGISTRY_PASSWORD` (for every registry);
/// 2. the credentials file, `$XDG_CONFIG_HOME/zoo/credentials.json`, else
///    `~/.config/zoo/credentials.json`, which must be readable by its owner only (mode 600):
///
/// ```json
/// { "registries": { "registry.example.com": { "username": "me", "password": "..." },
///                   "127.0.0.1:5000": { "username": "ci", "password": "..." } } }
/// ```
///
/// Keys are `HOST` or `HOST:PORT` as written in `oci://` URLs.
public struct CredentialSource: Sendable {
    public static let userVariable = "ZOO_REGISTRY_USER"
    public static let passwordVariable = "ZOO_REGISTRY_PASSWORD"

    public let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// The credentials file's path.
    public var filePath: String {
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty { return config + "/zoo/credentials.json" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "."
        return home + "/.config/zoo/credentials.json"
    }

    /// The credentials for `host` (`HOST[:PORT]`), or `nil` when none are configured.
    ///
    /// - Throws: ``RemoteError/Reason/credentialsFileTooOpen(path:mode:)`` for a file others can
    ///   read, ``RemoteError/Reason/invalidConfig(path:why:)`` for a malformed one or half of the
    ///   environment pair.
    public func credentials(forHost host: String) throws(RemoteError) -> Credentials? {
        let user = environment[Self.userVariable].flatMap { $0.isEmpty ? nil : $0 }
        let password = environment[Self.passwordVariable]
        switch (user, password) {
        case let (user?, password?):
            return Credentials(username: user, password: Secret(password))
        case (_?, nil):
            throw RemoteError(.invalidConfig(path: "environment", why: "\(Self.userVariable) is set but \(Self.passwordVariable) is not"))
        case (nil, _?):
            throw RemoteError(.invalidConfig(path: "environment", why: "\(Self.passwordVariable) is set but \(Self.userVariable) is not"))
        case (nil, nil):
            return try fromFile(host: host)
        }
    }

    private func fromFile(host: String) throws(RemoteError) -> Credentials? {
        let path = filePath
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw RemoteError(.io(IOError(call: "stat", path: path, errno: errno)))
        }
        guard info.st_uid == geteuid() else {
            throw RemoteError(.invalidConfig(path: path, why: "owned by uid \(info.st_uid), not by you (uid \(geteuid()))"))
        }
        guard info.st_mode & 0o077 == 0 else {
            throw RemoteError(.credentialsFileTooOpen(path: path, mode: UInt32(info.st_mode)))
        }
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path, limit: 1 << 20) } catch { throw RemoteError(.io(error)) }
        guard let bytes else { throw RemoteError(.invalidConfig(path: path, why: "larger than 1 MiB")) }
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw RemoteError(.invalidConfig(path: path, why: error.description)) }
        guard let registries = json["registries"]?.objectValue else {
            throw RemoteError(.invalidConfig(path: path, why: "no \"registries\" object"))
        }
        guard let entry = registries[host] else { return nil }
        guard let username = entry["username"]?.stringValue, let password = entry["password"]?.stringValue else {
            throw RemoteError(.invalidConfig(path: path, why: "registries.\(host) needs string members username and password"))
        }
        return Credentials(username: username, password: Secret(password))
    }
}
