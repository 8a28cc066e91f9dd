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
    /// registry cancels a session whose last request was cut off; `range` is `nil` when the
    /// answer has no `Range` (nothing is known about what the session holds).
    func uploadStatus(location: String, scopes: [String]) throws(RemoteError) -> (range: UploadRange?, location: String)? {
        let request = HTTPRequest(.get, location)
        let response = try send(request, scopes: scopes)
        guard response.status == 204 || response.status == 202 else {
            if (400..<500).contains(response.status) { return nil }
            throw failure(response, request)
        }
        let next = response.headers["Location"].map { registry.resolve(location: $0) } ?? location
        return (try UploadRange(header: response.headers["Range"], source: location), next)
    }

    /// Appends `body` (the upload's bytes from `offset`) with a PATCH and returns the session's
    /// next location.
    ///
    /// - Throws: ``RemoteError/Reason/registry(status:code:message:method:url:)`` when the answer's
    ///   `Range` does not confirm `offset + body.length` bytes (`0-0`, which the CNCF registry writes
    ///   for 0 and for 1 byte, confirms a chunk ending at byte 1); ``RemoteError/Reason/invalidReply(source:why:)``
    ///   for a malformed `Range`. An answer without `Range` is taken as accepting the chunk: the
    ///   registry checks the whole blob's digest at the final PUT.
    func patch(location: String, body: HTTPBody, offset: Int, scopes: [String]) throws(RemoteError) -> String {
        let (end, overflow) = offset.addingReportingOverflow(body.length)
        precondition(body.length > 0 && !overflow, "PATCH of an empty or impossible chunk")
        let request = HTTPRequest(.patch, location, headers: [
            ("Content-Type", "application/octet-stream"), ("Content-Range", "\(offset)-\(end - 1)"),
        ])
        let response = try send(request, scopes: scopes, body: body)
        guard response.status == 202 || response.status == 204 else { throw failure(response, request) }
        let next = response.headers["Location"].map { registry.resolve(location: $0) } ?? location
        if let range = try UploadRange(header: response.headers["Range"], source: location), !range.confirms(end) {
            throw RemoteError(.registry(status: response.status, code: nil,
                                        message: "the upload holds \(range.held) after a chunk ending at byte \(end)",
                                        method: "PATCH", url: location))
        }
        return next
    }

    /// Completes the upload (PUT `?digest=`) with the last bytes, if any, in the body: with the
    /// whole blob after an empty POST this is the OCI "monolithic" upload. The registry checks
    /// the digest itself.
    func completeUpload(location: String, digest: SHA256Digest, body: HTTPBody = .bytes([]), scopes: [String])
        throws(RemoteError)
    {
        let url = location + (location.contains("?") ? "&" : "?") + "digest=" + digest.description
        let request = HTTPRequest(.put, url, headers: [("Content-Type", "application/octet-stream")])
        let response = try send(request, scopes: scopes, body: body)
        guard response.status == 201 || response.status == 204 else { throw failure(response, request) }
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

    /// All pages of a listing hold at most this many bytes together (a page: 16 MiB).
    static let listingByteLimit = 64 << 20

    private func paginated(_ first: String, member: String, scopes: [String]) throws(RemoteError) -> [String]? {
        var names: [String] = []
        var next: String? = first
        var pages = 0
        var bytes = 0
        while let url = next, pages < 10_000 {
            pages += 1
            let request = HTTPRequest(.get, url, headers: [("Accept", "application/json")])
            let response = try send(request, scopes: scopes, collectLimit: 16 << 20, document: "listing")
            if response.status == 404 { return pages == 1 ? nil : names }
            bytes += response.body.count
            guard bytes <= Self.listingByteLimit else {
                throw RemoteError(.replyTooLarge(what: "listing", source: first, declared: nil, limit: Self.listingByteLimit))
            }
            guard response.status == 200 else { throw failure(response, request) }
            guard let json = try? JSONValue(parsing: response.body) else {
                throw RemoteError(.invalidManifest(source: url, why: "the listing is not JSON"))
            }
            for value in json[member]?.arrayValue ?? [] { if let name = value.stringValue { names.append(name) } }
            next = Self.nextLink(response.headers["Link"]).map { registry.resolve(location: $0) }
            // Credentials go with every request: never follow a Link to another server.
            if let link = next, !link.hasPrefix(registry.address.origin + "/") {
                throw RemoteError(.invalidReply(source: url, why: "its next page is on another server (\(URLRedaction.redact(link)))"))
            }
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
