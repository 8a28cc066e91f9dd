import Foundation

/// The scheme, host and port of a URL: credentials for one origin are never sent to another.
///
/// A bearer token is scoped to its registry and a basic password belongs to it, so an upload
/// `Location` or a redirect to another scheme, host or port (a storage bucket, a CDN) gets no
/// `Authorization` header, as docker, containerd and oras do. Hosts compare case-insensitively
/// and a missing port is the scheme's default (80, 443).
struct HTTPOrigin: Hashable, Sendable, CustomStringConvertible {
    var scheme: String
    var host: String
    var port: Int

    /// `nil` for a URL that is not absolute http(s) with a host.
    init?(_ url: String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
    }

    var description: String { "\(scheme)://\(host):\(port)" }

    /// Where a redirect from `url` with header `Location: location` leads, resolved against
    /// `url` when relative.
    ///
    /// - Throws: ``RemoteError/Reason/invalidReply(source:why:)`` for a target that is not
    ///   http(s), or that goes from https down to plain http (whatever `--insecure` says: it
    ///   allows a registry that speaks http, not a TLS registry that hands readers to one).
    static func redirect(from url: String, to location: String) throws(RemoteError) -> String {
        guard let base = URL(string: url), let resolved = URL(string: location, relativeTo: base)?.absoluteString,
            let target = HTTPOrigin(resolved)
        else {
            throw RemoteError(.invalidReply(source: url, why: "it redirects to \(URLRedaction.redact(location)), which is no http(s) URL"))
        }
        if HTTPOrigin(url)?.scheme == "https", target.scheme == "http" {
            throw RemoteError(.invalidReply(source: url, why:
                "it redirects from https to plain http (\(URLRedaction.redact(resolved))); zoo never downgrades"))
        }
        return resolved
    }
}
