import ZooFormat
import ZooSigning
import ZooStore

/// A signature a pull accepted: which key made it and where it came from.
public struct VerifiedSignature: Sendable, Equatable {
    /// The PEM file of the key that verified it.
    public var keyFile: String
    /// That key's fingerprint (``VerifyingKey/fingerprint``).
    public var fingerprint: String
    /// The signature artifact's manifest digest in the remote.
    public var artifactDigest: SHA256Digest
    /// The bundle's bytes, as stored with the model.
    public var bundle: [UInt8]
}

extension RemoteClient {
    /// Checks, before anything is fetched or stored, that the model is signed as `requirements`
    /// demand: for each, at least one of the signatures referring to manifest `subject` must
    /// verify with one of its keys and cover exactly the model's folder form (computed from
    /// `manifest`, whose blobs the pull then checks byte for byte).
    ///
    /// Signatures that fail are skipped (a stranger's or a broken one cannot hide a good one); the
    /// error, when no good one is found, says what each failed with.
    ///
    /// - Returns: the signatures that verified with a required key, one per artifact.
    /// - Throws: ``RemoteError/Reason/signatureRequired(source:keys:why:)``; a key file that
    ///   cannot be read as ``RemoteError/Reason/signing(_:)``; listing errors as they are.
    func verifySignatures(_ requirements: [SignatureRequirement], manifest: Manifest, modelDigest: SHA256Digest,
                          subject: SHA256Digest, endpoint: PullEndpoint, reader: EndpointReader, source: String)
        throws(RemoteError) -> [VerifiedSignature]
    {
        guard !requirements.isEmpty else { return [] }
        var keys: [String: VerifyingKey] = [:]
        for file in requirements.flatMap(\.keyFiles) where keys[file] == nil {
            do { keys[file] = try VerifyingKey(pemFile: file) } catch { throw RemoteError(.signing(error)) }
        }
        let files = SignedFile.folderForm(of: manifest, modelDigest: modelDigest)
        let listed = try endpoint.signatureReferrers(subject: subject, reader: reader)

        var satisfied = Array(repeating: false, count: requirements.count)
        var accepted: [VerifiedSignature] = []
        var failures: [String] = []
        for descriptor in listed {
            let name = "signature \(descriptor.digest.hex.prefix(12))"
            let signature: ModelSignature
            let artifactSource: String
            do throws(RemoteError) {
                let (_, bundle) = try endpoint.signature(descriptor, subject: subject, reader: reader)
                artifactSource = endpoint.signatureSource(descriptor.digest)
                do { signature = try ModelSignature(bundle: bundle, source: artifactSource) } catch {
                    failures.append("\(name): \(error.reason)")
                    continue
                }
            } catch {
                failures.append("\(name): \(error.reason)")
                continue
            }
            var firstFailure: SigningError?
            var verifiedBy: (file: String, key: VerifyingKey)?
            for (index, requirement) in requirements.enumerated() {
                for file in requirement.keyFiles {
                    guard let key = keys[file] else { continue }
                    do throws(SigningError) {
                        try signature.verify(with: key, against: files)
                        satisfied[index] = true
                        if verifiedBy == nil { verifiedBy = (file, key) }
                    } catch {
                        // A key mismatch says only "someone else's": prefer a more telling reason.
                        if firstFailure.map(Self.isKeyMismatch) ?? true { firstFailure = error }
                    }
                }
            }
            if let verifiedBy {
                accepted.append(VerifiedSignature(keyFile: verifiedBy.file, fingerprint: verifiedBy.key.fingerprint,
                                                  artifactDigest: descriptor.digest, bundle: signature.bundle))
            } else if let firstFailure {
                failures.append("\(name): \(firstFailure.reason)")
            }
        }
        if let missing = satisfied.firstIndex(of: false) {
            let requirement = requirements[missing]
            let why = listed.isEmpty ? "the model has no signatures" : failures.isEmpty
                ? "no signature by these keys" : failures.joined(separator: "; ")
            throw RemoteError(.signatureRequired(source: source, keys: requirement.keyFiles, why: why))
        }
        return accepted
    }

    private static func isKeyMismatch(_ error: SigningError) -> Bool {
        if case .keyMismatch = error.reason { true } else { false }
    }

    /// Sends `bundles` (the model's stored signatures) as artifacts referring to the manifest
    /// `subject`, once the model itself is there. Returns how many were sent or already there.
    func pushSignatures(_ bundles: [[UInt8]], subject: OCIDescriptor, to destination: SignatureDestination)
        throws(RemoteError) -> Int
    {
        for bundle in bundles {
            let artifact = SignatureArtifact(bundle: bundle, subject: subject)
            switch destination {
            case let .layout(layout):
                try layout.pushSignature(artifact, bundle: bundle)
            case let .registry(connection, repository, scopes):
                try connection.pushSignature(artifact, bundle: bundle, repository: repository, scopes: scopes)
            }
        }
        return bundles.count
    }
}

/// Where a push sends signatures.
enum SignatureDestination {
    case layout(ImageLayout)
    case registry(RegistryConnection, repository: String, scopes: [String])
}

extension PullEndpoint {
    /// The signature artifacts listed for manifest `subject`.
    func signatureReferrers(subject: SHA256Digest, reader: EndpointReader) throws(RemoteError) -> [OCIDescriptor] {
        switch self {
        case let .registry(_, repository):
            guard let connection = reader.connection else { return [] }
            return try connection.signatureReferrers(repository: repository, subject: subject, scopes: reader.scopes)
        case let .layout(layout, _):
            return try layout.signatureReferrers(subject: subject)
        }
    }

    /// One listed signature, checked to refer to `subject`.
    func signature(_ descriptor: OCIDescriptor, subject: SHA256Digest, reader: EndpointReader) throws(RemoteError)
        -> (artifact: SignatureArtifact, bundle: [UInt8])
    {
        switch self {
        case let .registry(_, repository):
            guard let connection = reader.connection else {
                throw RemoteError(.invalidSignature(source: repository, why: "no connection"))
            }
            return try connection.signature(descriptor, subject: subject, repository: repository, scopes: reader.scopes)
        case let .layout(layout, _):
            return try layout.signature(descriptor, subject: subject)
        }
    }

    /// Where the artifact `digest` is read from (for messages).
    func signatureSource(_ digest: SHA256Digest) -> String {
        switch self {
        case let .registry(registry, repository): registry.url("\(repository)/manifests/\(digest)")
        case let .layout(layout, _): layout.blobPath(digest)
        }
    }
}

extension RemoteClient {
    /// The bundles of the signatures the store keeps for model `digest`, oldest first.
    func storedSignatureBundles(for digest: SHA256Digest) throws(RemoteError) -> [[UInt8]] {
        do { return try store.signatures(for: digest).map(\.bundle) } catch { throw error.remote }
    }

    /// Keeps the accepted signatures with the pulled model (once its name is written: the store
    /// files signatures by model and wants the model there).
    func storeSignatures(_ signatures: [VerifiedSignature], for digest: SHA256Digest) throws(RemoteError) {
        for signature in signatures {
            do { try store.addSignature(signature.bundle, for: digest) } catch { throw error.remote }
        }
    }
}
