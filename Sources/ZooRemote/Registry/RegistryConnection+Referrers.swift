import ZooFormat

/// OCI 1.1 referrers: pushing a signature artifact with a `subject`, and listing the artifacts
/// that refer to a manifest, through the referrers API or, for registries without it (the CNCF
/// distribution registry 2.x), the referrers tag `sha256-<hex>`.
extension RegistryConnection {
    /// Pushes `artifact` (a signature of the manifest `artifact.subject`) with its bundle.
    ///
    /// The empty config and the bundle go up as blobs first, then the manifest by digest. A
    /// registry that indexes referrers says so with `OCI-Subject` on that PUT; for one that does
    /// not, the artifact is added to the image index at the referrers tag (read, add unless there,
    /// write back; other tools' entries are kept).
    ///
    /// - Returns: `true` when the registry has the referrers API, `false` when the tag was used.
    @discardableResult
    func pushSignature(_ artifact: SignatureArtifact, bundle: [UInt8], repository: String, scopes: [String])
        throws(RemoteError) -> Bool
    {
        precondition(SHA256.digest(bundle) == artifact.bundle.digest, "the artifact describes these bundle bytes")
        try putSmallBlob(OCIDescriptor.emptyBytes, digest: OCIDescriptor.empty.digest, repository: repository, scopes: scopes)
        try putSmallBlob(bundle, digest: artifact.bundle.digest, repository: repository, scopes: scopes)
        let headers = try putManifest(repository: repository, reference: artifact.digest.description,
                                      bytes: artifact.bytes, mediaType: OCIMediaType.imageManifest, scopes: scopes)
        if let subject = headers["OCI-Subject"], subject == artifact.subject.digest.description { return true }

        let tag = ReferrersIndex.tag(for: artifact.subject.digest)
        var index = try referrersTagIndex(repository: repository, tag: tag, scopes: scopes) ?? ReferrersIndex()
        guard index.add(artifact.referrerDescriptor) else { return false }
        try putManifest(repository: repository, reference: tag, bytes: index.bytes, mediaType: OCIMediaType.imageIndex,
                        scopes: scopes)
        return false
    }

    /// The signature artifacts that refer to manifest `subject`: the referrers API's answer when
    /// the registry has the API, else the referrers tag's index; empty when neither exists.
    ///
    /// A 404 from the API (no API; also 400, 405 and 501), or an answer that is not an image
    /// index, means the tag is asked instead. Only the first page of an API answer is read: the signatures zoo looks at are
    /// bounded anyway (``ReferrersIndex/maxSignatureCount``).
    func signatureReferrers(repository: String, subject: SHA256Digest, scopes: [String]) throws(RemoteError)
        -> [OCIDescriptor]
    {
        let filter = RegistryAuth.escape(OCIMediaType.sigstoreBundle)
        let request = HTTPRequest(.get, registry.url("\(repository)/referrers/\(subject)?artifactType=\(filter)"),
                                  headers: [("Accept", OCIMediaType.imageIndex)])
        let response = try send(request, scopes: scopes, collectLimit: ReferrersIndex.maxByteCount, document: "referrers list")
        if response.status == 200, let index = try? ReferrersIndex(parsing: response.body, source: request.url) {
            return index.manifests(ofType: OCIMediaType.sigstoreBundle)
        }
        // 404 is how the spec says "no referrers API"; some registries answer an unknown route
        // with 400, 405 or 501 instead. Authentication and server errors stay errors.
        guard [200, 400, 404, 405, 501].contains(response.status) else { throw failure(response, request) }
        let tag = ReferrersIndex.tag(for: subject)
        return try referrersTagIndex(repository: repository, tag: tag, scopes: scopes)?
            .manifests(ofType: OCIMediaType.sigstoreBundle) ?? []
    }

    /// Fetches one listed signature: its manifest (by digest, bounded, checked) and its bundle
    /// (bounded, digest-checked), and checks the manifest's subject is `subject`.
    func signature(_ descriptor: OCIDescriptor, subject: SHA256Digest, repository: String, scopes: [String])
        throws(RemoteError) -> (artifact: SignatureArtifact, bundle: [UInt8])
    {
        let source = registry.url("\(repository)/manifests/\(descriptor.digest)")
        guard descriptor.size <= SignatureArtifact.maxManifestByteCount else {
            throw RemoteError(.invalidSignature(source: source, why:
                "its manifest is listed as \(descriptor.size) bytes, over the \(SignatureArtifact.maxManifestByteCount)-byte limit"))
        }
        let request = HTTPRequest(.get, source, headers: [("Accept", OCIMediaType.manifestAccept)])
        let response = try send(request, scopes: scopes, collectLimit: SignatureArtifact.maxManifestByteCount,
                                document: "signature manifest")
        guard response.status == 200 else { throw failure(response, request) }
        let actual = SHA256.digest(response.body)
        guard actual == descriptor.digest else {
            throw RemoteError(.digestMismatch(blob: "signature manifest", source: source, expected: descriptor.digest, actual: actual))
        }
        let artifact = try SignatureArtifact(parsing: response.body, source: source)
        try artifact.requireSubject(subject, source: source)
        let bundle = try smallBlob(repository: repository, digest: artifact.bundle.digest,
                                   limit: SignatureArtifact.maxBundleByteCount, scopes: scopes)
        return (artifact, bundle)
    }

    /// The image index at the referrers tag; `nil` when the tag does not exist.
    ///
    /// - Throws: ``RemoteError/Reason/invalidSignature(source:why:)`` when the tag names something
    ///   else than an image index (it is then left alone, never overwritten).
    private func referrersTagIndex(repository: String, tag: String, scopes: [String]) throws(RemoteError) -> ReferrersIndex? {
        guard let (bytes, _) = try manifest(repository: repository, version: .tag(tag), scopes: scopes) else { return nil }
        return try ReferrersIndex(parsing: bytes, source: registry.url("\(repository)/manifests/\(tag)"))
    }

    /// PUTs a manifest (or index) under `reference`; returns the answer's headers (`OCI-Subject`).
    @discardableResult
    func putManifest(repository: String, reference: String, bytes: [UInt8], mediaType: String, scopes: [String])
        throws(RemoteError) -> HTTPHeaders
    {
        let request = HTTPRequest(.put, registry.url("\(repository)/manifests/\(reference)"),
                                  headers: [("Content-Type", mediaType)])
        let response = try send(request, scopes: scopes, body: .bytes(bytes))
        guard response.status == 201 || response.status == 200 else { throw failure(response, request) }
        return response.headers
    }

    /// Uploads a small blob in one POST + PUT unless the repository has it.
    private func putSmallBlob(_ bytes: [UInt8], digest: SHA256Digest, repository: String, scopes: [String])
        throws(RemoteError)
    {
        if let size = try blobSize(repository: repository, digest: digest, scopes: scopes), size == bytes.count { return }
        guard case let .started(location) = try startUpload(repository: repository, mount: nil, scopes: scopes) else { return }
        try completeUpload(location: location, digest: digest, body: .bytes(bytes), scopes: scopes)
    }
}
