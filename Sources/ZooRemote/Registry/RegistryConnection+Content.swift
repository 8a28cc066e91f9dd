import ZooFormat

/// Manifests and blobs: reading, probing, and writing manifests.
extension RegistryConnection {
    /// GETs the manifest `version` of `repository`; `nil` when the registry does not have it.
    /// The digest is computed from the bytes and must equal `version` when it is a digest, and
    /// the registry's `Docker-Content-Digest` when it sends one. At most
    /// ``OCIImageManifest/maxByteCount`` bytes are read: a larger declared `Content-Length` is
    /// refused before the body.
    func manifest(repository: String, version: RemoteVersion, scopes: [String]) throws(RemoteError)
        -> (bytes: [UInt8], digest: SHA256Digest)?
    {
        let reference: String = switch version {
        case let .tag(tag): tag
        case let .digest(digest): digest.description
        }
        let request = HTTPRequest(.get, registry.url("\(repository)/manifests/\(reference)"),
                                  headers: [("Accept", OCIMediaType.manifestAccept)])
        let response = try send(request, scopes: scopes, collectLimit: OCIImageManifest.maxByteCount, document: "manifest")
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw failure(response, request) }
        let digest = SHA256.digest(response.body)
        if case let .digest(expected) = version, expected != digest {
            throw RemoteError(.digestMismatch(blob: "manifest", source: request.url, expected: expected, actual: digest))
        }
        // Another algorithm (sha512) is the registry's business; a sha256 one must be this one.
        if let header = response.headers["Docker-Content-Digest"], header.hasPrefix(SHA256Digest.prefix) {
            guard let declared = SHA256Digest(parsing: header), declared == digest else {
                throw RemoteError(.invalidReply(source: request.url, why:
                    "Docker-Content-Digest \(header.prefix(80)) is not the digest of the manifest it sent (\(digest))"))
            }
        }
        return (response.body, digest)
    }

    /// PUTs an OCI image manifest under `reference` (a tag).
    func putManifest(repository: String, reference: String, bytes: [UInt8], scopes: [String]) throws(RemoteError) {
        try putManifest(repository: repository, reference: reference, bytes: bytes, mediaType: OCIMediaType.imageManifest,
                        scopes: scopes)
    }

    /// HEADs a blob: its size when the repository has it, `nil` otherwise.
    func blobSize(repository: String, digest: SHA256Digest, scopes: [String]) throws(RemoteError) -> Int? {
        let request = HTTPRequest(.head, registry.url("\(repository)/blobs/\(digest)"))
        let response = try send(request, scopes: scopes)
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw failure(response, request) }
        return response.headers["Content-Length"].flatMap { Int($0) }
    }

    /// GETs a blob from byte `offset` on (HTTP Range), streaming it into `sink`. The sink's
    /// `begin` sees 206 when the range was honoured, 200 when the whole blob comes instead.
    func fetchBlob(repository: String, digest: SHA256Digest, from offset: Int, into sink: HTTPResponseSink,
                   scopes: [String]) throws(RemoteError)
    {
        var request = HTTPRequest(.get, registry.url("\(repository)/blobs/\(digest)"))
        if offset > 0 { request.headers.append(("Range", "bytes=\(offset)-")) }
        let response = try send(request, scopes: scopes, sink: sink)
        guard response.status == 200 || response.status == 206 else {
            if response.status == 404 {
                throw RemoteError(.registry(status: 404, code: "BLOB_UNKNOWN", message: "the registry does not have blob \(digest)",
                                            method: "GET", url: request.url))
            }
            throw failure(response, request)
        }
    }

    /// GETs a small blob (a config) into memory, checking its digest.
    func smallBlob(repository: String, digest: SHA256Digest, limit: Int, scopes: [String]) throws(RemoteError) -> [UInt8] {
        let request = HTTPRequest(.get, registry.url("\(repository)/blobs/\(digest)"))
        let response = try send(request, scopes: scopes, collectLimit: limit, document: "config \(digest)")
        guard response.status == 200 else { throw failure(response, request) }
        let actual = SHA256.digest(response.body)
        guard actual == digest else {
            throw RemoteError(.digestMismatch(blob: "config \(digest)", source: request.url, expected: digest, actual: actual))
        }
        return response.body
    }
}
