import ZooFormat

/// One registry, shared by the transfer threads that talk to it: its address, HTTP options and
/// authentication state. Each thread talks through its own ``RegistryConnection``.
final class Registry: @unchecked Sendable {
    let address: RegistryAddress
    let auth: RegistryAuth
    let options: HTTPOptions

    init(address: RegistryAddress, credentials: CredentialSource, options: HTTPOptions) {
        self.address = address
        var options = options
        options.allowInsecure = address.insecure
        self.options = options
        let host = address.host
        self.auth = RegistryAuth(
            host: host,
            credentialHint: "set \(CredentialSource.userVariable) and \(CredentialSource.passwordVariable), "
                + "or add \(host) to \(credentials.filePath) (mode 600)",
            loadCredentials: { () throws(RemoteError) in try credentials.credentials(forHost: host) })
    }

    /// A connection for the calling thread (its own libcurl handle and TCP connection).
    func connect() throws(RemoteError) -> RegistryConnection {
        RegistryConnection(registry: self, http: try HTTPClient(options: options))
    }

    /// `https://HOST/v2/` + `path`.
    func url(_ path: String) -> String { address.origin + "/v2/" + path }

    /// Resolves a `Location` header against the registry (absolute, or a path on it).
    func resolve(location: String) -> String {
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        if location.hasPrefix("/") { return address.origin + location }
        return address.origin + "/v2/" + location
    }
}

/// The scopes a bearer token is asked for.
enum RegistryScope {
    static func pull(_ repository: String) -> String { "repository:\(repository):pull" }
    static func push(_ repository: String) -> String { "repository:\(repository):pull,push" }
    static let catalog = "registry:catalog:*"
}

/// One thread's view of a ``Registry``: sends requests with authentication, retrying once after
/// a 401 challenge, and turns error answers into ``RemoteError``s naming the OCI error code.
final class RegistryConnection {
    let registry: Registry
    let http: HTTPClient

    init(registry: Registry, http: HTTPClient) {
        self.registry = registry
        self.http = http
    }

    /// Sends `request` (authenticated for `scopes`); a 401 is answered once through
    /// ``RegistryAuth``. Returns the final response whatever its status.
    ///
    /// Credentials go only to the registry's own origin (``HTTPOrigin``): a request to another
    /// one (an upload `Location` on a storage host) goes without, and its 401 is returned as is.
    func send(_ request: HTTPRequest, scopes: [String], body: HTTPBody = .none, sink: HTTPResponseSink? = nil,
              collectLimit: Int = 1 << 20, document: String = "the answer") throws(RemoteError) -> HTTPResponse
    {
        let ownOrigin = HTTPOrigin(request.url) == HTTPOrigin(registry.address.origin)
        var attempt = 0
        while true {
            var authorized = request
            if ownOrigin, let value = registry.auth.authorization(scopes: scopes) {
                authorized.headers.append(("Authorization", value))
            }
            let response = try http.perform(authorized, body: body, sink: sink, collectLimit: collectLimit,
                                            document: document)
            guard response.status == 401, ownOrigin else { return response }
            guard attempt == 0 else { throw registry.auth.refused() }
            attempt += 1
            try registry.auth.respond(to: response.headers.values("WWW-Authenticate"), scopes: scopes, using: http)
        }
    }

    /// The error for an unexpected status, with the OCI error code and message from the body.
    func failure(_ response: HTTPResponse, _ request: HTTPRequest) -> RemoteError {
        var code: String?
        var message: String?
        if let json = try? JSONValue(parsing: response.body), let first = json["errors"]?.arrayValue?.first {
            code = first["code"]?.stringValue
            message = first["message"]?.stringValue
        }
        if response.status == 403 {
            return RemoteError(.unauthorized(host: registry.address.host, detail:
                "access denied to \(URLRedaction.redact(request.url))\(message.map { " (\($0))" } ?? "")"))
        }
        return RemoteError(.registry(status: response.status, code: code, message: message,
                                     method: request.method.rawValue, url: request.url))
    }
}
