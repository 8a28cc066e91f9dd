import ZooFormat

/// How a blob upload began.
enum UploadStart: Equatable {
    /// The registry mounted the blob from another repository: nothing to send.
    case mounted
    /// An upload session at this URL.
    case started(location: String)
}

/// Blob uploads: POST (optionally mounting), PATCH chunks, GET status, PUT `?digest=`.
extension RegistryConnection {
    /// Starts an upload to `repository`; with `mount`, first asks the registry to mount the blob
    /// from another repository it holds it in (201), which it may decline by starting a normal
    /// upload instead (202).
    func startUpload(repository: String, mount: (digest: SHA256Digest, from: String)?, scopes: [String])
        throws(RemoteError) -> UploadStart
    {
        var url = registry.url("\(repository)/blobs/uploads/")
        if let mount { url += "?mount=\(mount.digest)&from=\(RegistryAuth.escape(mount.from))" }
        let request = HTTPRequest(.post, url, headers: [("Content-Type", "application/octet-stream")])
        let response = try send(request, scopes: scopes)
        if response.status == 201, mount != nil { return .mounted }
        guard response.status == 202, let location = response.headers["Location"] else { throw failure(response, request) }
        return .started(location: registry.resolve(location: location))
    }

    /// Asks an upload session how much it holds (OCI: `GET <location>` -> 204 with
    /// `Range: 0-<last byte>`). `nil` when the session is gone or unusable, e.g. the CNCF
    /// registry cancels a session whose last request was cut off.
    func uploadStatus(location: String, scopes: [String]) throws(RemoteError) -> (received: Int, location: String)? {
        let request = HTTPRequest(.get, location)
        let response = try send(request, scopes: scopes)
        guard response.status == 204 || response.status == 202 else {
            if (400..<500).contains(response.status) { return nil }
            throw failure(response, request)
        }
        let next = response.headers["Location"].map { registry.resolve(location: $0) } ?? location
        return (Self.received(fromRange: response.headers["Range"]), next)
    }

    /// Appends `body` to the upload (PATCH) and returns the session's next location and how many
    /// bytes it now holds.
    func patch(location: String, body: HTTPBody, offset: Int, scopes: [String]) throws(RemoteError)
        -> (location: String, received: Int)
    {
        let end = offset + body.length - 1
        let request = HTTPRequest(.patch, location, headers: [
            ("Content-Type", "application/octet-stream"), ("Content-Range", "\(offset)-\(end)"),
        ])
        let response = try send(request, scopes: scopes, body: body)
        guard response.status == 202 || response.status == 204 else { throw failure(response, request) }
        let next = response.headers["Location"].map { registry.resolve(location: $0) } ?? location
        let received = response.headers["Range"] == nil ? offset + body.length : Self.received(fromRange: response.headers["Range"])
        return (next, received)
    }

    /// Completes the upload (PUT `?digest=`); the registry checks the digest itself.
    func completeUpload(location: String, digest: SHA256Digest, scopes: [String]) throws(RemoteError) {
        let url = location + (location.contains("?") ? "&" : "?") + "digest=" + digest.description
        let request = HTTPRequest(.put, url, headers: [("Content-Type", "application/octet-stream")])
        let response = try send(request, scopes: scopes, body: .bytes([]))
        guard response.status == 201 || response.status == 204 else { throw failure(response, request) }
    }

    /// Bytes received, from `Range: 0-<last>` (`0-0` is read as nothing received: the CNCF
    /// registry writes it for an empty session).
    static func received(fromRange header: String?) -> Int {
        guard let header, let dash = header.firstIndex(of: "-"), let last = Int(header[header.index(after: dash)...]),
            last > 0
        else { return 0 }
        return last + 1
    }
}

/// Listing: tags of a repository and the registry's catalog, following `Link` pagination.
extension RegistryConnection {
    func tags(repository: String, scopes: [String]) throws(RemoteError) -> [String] {
        try paginated(registry.url("\(repository)/tags/list?n=1000"), member: "tags", scopes: scopes) ?? []
    }

    /// Repository names (`nil` when the registry does not offer a catalog).
    func catalog() throws(RemoteError) -> [String]? {
        try paginated(registry.url("_catalog?n=1000"), member: "repositories", scopes: [RegistryScope.catalog])
    }

    private func paginated(_ first: String, member: String, scopes: [String]) throws(RemoteError) -> [String]? {
        var names: [String] = []
        var next: String? = first
        var pages = 0
        while let url = next, pages < 10_000 {
            pages += 1
            let request = HTTPRequest(.get, url, headers: [("Accept", "application/json")])
            let response = try send(request, scopes: scopes, collectLimit: 16 << 20)
            if response.status == 404 { return pages == 1 ? nil : names }
            guard response.status == 200 else { throw failure(response, request) }
            guard let json = try? JSONValue(parsing: response.body) else {
                throw RemoteError(.invalidManifest(source: url, why: "the listing is not JSON"))
            }
            for value in json[member]?.arrayValue ?? [] { if let name = value.stringValue { names.append(name) } }
            next = Self.nextLink(response.headers["Link"]).map { registry.resolve(location: $0) }
        }
        return names
    }

    /// The target of `Link: <url>; rel="next"`.
    static func nextLink(_ header: String?) -> String? {
        guard let header, header.contains("rel=\"next\"") || header.contains("rel=next"),
            let open = header.firstIndex(of: "<"), let close = header.firstIndex(of: ">"), open < close
        else { return nil }
        return String(header[header.index(after: open)..<close])
    }
}
