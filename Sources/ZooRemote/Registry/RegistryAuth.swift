import Foundation
import ZooFormat

/// The authentication state for one registry, shared by every transfer thread talking to it.
///
/// The first request goes out without credentials. A `401` carries a `WWW-Authenticate`
/// challenge: `Basic` -> later requests send the user and password; `Bearer realm=...,
/// service=...,scope=...` -> a token is fetched from the realm (with the user and password as
/// basic credentials when there are any, anonymously otherwise) and sent as `Bearer`. Tokens are
/// cached per scope. Neither passwords nor tokens appear in any description or error.
final class RegistryAuth: @unchecked Sendable {
    enum Scheme: Equatable {
        case basic
        case bearer(realm: String, service: String?)
    }

    let host: String
    /// Where the credentials come from, for the error that says to set them.
    let credentialHint: String
    private let loadCredentials: @Sendable () throws(RemoteError) -> Credentials?
    private let lock = NSLock()
    private var scheme: Scheme?
    private var tokens: [String: Secret] = [:]
    private var loaded: Result<Credentials?, RemoteError>?

    /// `loadCredentials` runs at the first challenge only: a registry that needs no
    /// authentication never reads the credentials file.
    init(host: String, credentialHint: String, loadCredentials: @escaping @Sendable () throws(RemoteError) -> Credentials?) {
        self.host = host
        self.credentialHint = credentialHint
        self.loadCredentials = loadCredentials
    }

    /// The credentials, loaded once.
    private func credentials() throws(RemoteError) -> Credentials? {
        let result: Result<Credentials?, RemoteError> = lock.withLock {
            if let loaded { return loaded }
            let result = Result { () throws(RemoteError) in try loadCredentials() }
            loaded = result
            return result
        }
        return try result.get()
    }

    /// The credentials if they were loaded without error.
    private var knownCredentials: Credentials? {
        lock.withLock { if case let .success(value)? = loaded { value } else { nil } }
    }

    /// The `Authorization` header value for a request needing `scopes`, if known yet.
    func authorization(scopes: [String]) -> String? {
        lock.lock()
        defer { lock.unlock() }
        switch scheme {
        case .basic:
            if case let .success(credentials?)? = loaded { return Self.basic(credentials) }
            return nil
        case .bearer:
            return tokens[Self.key(scopes)].map { "Bearer " + $0.reveal() }
        case nil:
            return nil
        }
    }

    /// Answers a 401: learns the scheme from the challenge and, for bearer, fetches a token for
    /// `scopes` (plus the challenge's own scope). Afterwards ``authorization(scopes:)`` has a value.
    ///
    /// - Throws: ``RemoteError/Reason/unauthorized(host:detail:)`` when there is nothing more to
    ///   try: no credentials for a basic registry, or the token server refused them.
    func respond(to challenges: [String], scopes: [String], using http: HTTPClient) throws(RemoteError) {
        guard let challenge = challenges.compactMap(Challenge.init(parsing:)).first else {
            throw RemoteError(.unauthorized(host: host, detail: "the registry answered 401 without a usable WWW-Authenticate challenge"))
        }
        switch challenge.scheme {
        case "basic":
            guard try credentials() != nil else { throw missingCredentials() }
            lock.lock()
            scheme = .basic
            lock.unlock()
        case "bearer":
            guard let realm = challenge.parameters["realm"], realm.hasPrefix("https://") || realm.hasPrefix("http://") else {
                throw RemoteError(.unauthorized(host: host, detail: "bearer challenge without an http(s) realm"))
            }
            var wanted = scopes
            if let scope = challenge.parameters["scope"] {
                for part in scope.split(separator: " ") where !wanted.contains(String(part)) { wanted.append(String(part)) }
            }
            let token = try fetchToken(realm: realm, service: challenge.parameters["service"], scopes: wanted, using: http)
            lock.lock()
            scheme = .bearer(realm: realm, service: challenge.parameters["service"])
            tokens[Self.key(scopes)] = token
            lock.unlock()
        default:
            throw RemoteError(.unauthorized(host: host, detail: "unsupported authentication scheme \(challenge.scheme)"))
        }
    }

    /// The error for a second 401: the credentials did not do.
    func refused() -> RemoteError {
        guard let credentials = knownCredentials else { return missingCredentials() }
        return RemoteError(.unauthorized(host: host, detail: "the registry refused the credentials of user \"\(credentials.username)\""))
    }

    private func missingCredentials() -> RemoteError {
        RemoteError(.unauthorized(host: host, detail: "the registry requires credentials: \(credentialHint)"))
    }

    private func fetchToken(realm: String, service: String?, scopes: [String], using http: HTTPClient)
        throws(RemoteError) -> Secret
    {
        var query: [String] = []
        if let service { query.append("service=" + Self.escape(service)) }
        for scope in scopes { query.append("scope=" + Self.escape(scope)) }
        let url = realm + (query.isEmpty ? "" : (realm.contains("?") ? "&" : "?") + query.joined(separator: "&"))
        var request = HTTPRequest(.get, url)
        let credentials = try credentials()
        if let credentials { request.headers.append(("Authorization", Self.basic(credentials))) }
        let response = try http.perform(request, collectLimit: 1 << 20, document: "token answer")
        if response.status == 401 || response.status == 403 {
            guard let credentials else { throw missingCredentials() }
            throw RemoteError(.unauthorized(host: host, detail:
                "the token server refused the credentials of user \"\(credentials.username)\""))
        }
        guard response.isSuccess else {
            throw RemoteError(.unauthorized(host: host, detail: "the token server answered \(response.status)"))
        }
        guard let json = try? JSONValue(parsing: response.body),
            let token = json["token"]?.stringValue ?? json["access_token"]?.stringValue, !token.isEmpty
        else {
            throw RemoteError(.unauthorized(host: host, detail: "the token server's answer holds no token"))
        }
        return Secret(token)
    }

    private static func key(_ scopes: [String]) -> String { scopes.sorted().joined(separator: " ") }

    private static func basic(_ credentials: Credentials) -> String {
        "Basic " + Data((credentials.username + ":" + credentials.password.reveal()).utf8).base64EncodedString()
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// One `WWW-Authenticate` challenge: `Scheme key="value",key=value`.
struct Challenge: Equatable {
    /// Lowercased: `basic`, `bearer`.
    var scheme: String
    var parameters: [String: String]

    init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    init?(parsing header: String) {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard let space = text.firstIndex(of: " ") else {
            guard !text.isEmpty else { return nil }
            scheme = text.lowercased()
            parameters = [:]
            return
        }
        scheme = text[..<space].lowercased()
        parameters = [:]
        var rest = Substring(text[text.index(after: space)...])
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first, character != "\"" {
                    if character == "\\" { rest = rest.dropFirst() }
                    if let next = rest.first { value.append(next) }
                    rest = rest.dropFirst()
                }
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            parameters[key] = value
        }
    }
}
