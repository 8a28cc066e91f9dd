import ZooFormat

/// Signatures in a folder remote. A layout has no referrers API, so it keeps what a registry
/// without one keeps (distribution spec 1.1, "Referrers Tag Schema"): the signature artifact's
/// manifest, its empty config and its bundle as blobs, and an image index listing the artifacts
/// of a manifest, named in `index.json` by the referrers tag `sha256-<hex of the manifest digest>`
/// (`org.opencontainers.image.ref.name`). The tag has no `:`, so it never reads as a model.
extension ImageLayout {
    /// Stores `artifact` and its bundle and adds it to its subject's referrers index, under the
    /// layout lock (blobs first, `index.json` last). Pushing the same artifact again adds nothing.
    func pushSignature(_ artifact: SignatureArtifact, bundle: [UInt8]) throws(RemoteError) {
        precondition(SHA256.digest(bundle) == artifact.bundle.digest, "the artifact describes these bundle bytes")
        try writeSmallBlob(OCIDescriptor.emptyBytes, digest: OCIDescriptor.empty.digest)
        try writeSmallBlob(bundle, digest: artifact.bundle.digest)
        try writeSmallBlob(artifact.bytes, digest: artifact.digest)
        let tag = ReferrersIndex.tag(for: artifact.subject.digest)
        try locked { () throws(RemoteError) in
            var index = try referrersIndex(tag: tag) ?? ReferrersIndex()
            guard index.add(artifact.referrerDescriptor) else { return }
            let bytes = index.bytes
            let digest = SHA256.digest(bytes)
            try writeSmallBlob(bytes, digest: digest)
            try setReferenceLocked(tag, to: OCIDescriptor(mediaType: OCIMediaType.imageIndex, digest: digest, size: bytes.count))
        }
    }

    /// The signature artifacts listed for manifest `subject` (bounded, duplicates dropped).
    func signatureReferrers(subject: SHA256Digest) throws(RemoteError) -> [OCIDescriptor] {
        try referrersIndex(tag: ReferrersIndex.tag(for: subject))?.manifests(ofType: OCIMediaType.sigstoreBundle) ?? []
    }

    /// Reads one listed signature: its manifest and bundle (bounded, digest-checked), and checks
    /// the manifest's subject is `subject`.
    func signature(_ descriptor: OCIDescriptor, subject: SHA256Digest) throws(RemoteError)
        -> (artifact: SignatureArtifact, bundle: [UInt8])
    {
        let source = blobPath(descriptor.digest)
        let bytes: [UInt8]
        do { bytes = try smallBlob(descriptor.digest, limit: SignatureArtifact.maxManifestByteCount) } catch {
            guard case .sizeMismatch = error.reason else { throw error }
            throw RemoteError(.invalidSignature(source: source, why:
                "its manifest is over the \(SignatureArtifact.maxManifestByteCount)-byte limit"))
        }
        let artifact = try SignatureArtifact(parsing: bytes, source: source)
        try artifact.requireSubject(subject, source: source)
        let bundle: [UInt8]
        do { bundle = try smallBlob(artifact.bundle.digest, limit: SignatureArtifact.maxBundleByteCount) } catch {
            guard case .sizeMismatch = error.reason else { throw error }
            throw RemoteError(.invalidSignature(source: blobPath(artifact.bundle.digest), why:
                "the bundle is over the \(SignatureArtifact.maxBundleByteCount)-byte limit"))
        }
        return (artifact, bundle)
    }

    /// The referrers index named `tag` in `index.json`; `nil` when there is none.
    private func referrersIndex(tag: String) throws(RemoteError) -> ReferrersIndex? {
        guard let entry = try entries().last(where: { $0.reference == tag }) else { return nil }
        let source = path + "/" + Self.indexFile + " (" + tag + ")"
        guard entry.manifest.mediaType == OCIMediaType.imageIndex else {
            throw RemoteError(.invalidSignature(source: source, why: "the referrers tag names \(entry.manifest.mediaType), not an image index"))
        }
        let bytes: [UInt8]
        do { bytes = try smallBlob(entry.manifest.digest, limit: ReferrersIndex.maxByteCount) } catch {
            guard case .sizeMismatch = error.reason else { throw error }
            throw RemoteError(.invalidSignature(source: source, why: "referrers list: over the \(ReferrersIndex.maxByteCount)-byte limit"))
        }
        return try ReferrersIndex(parsing: bytes, source: source)
    }
}
