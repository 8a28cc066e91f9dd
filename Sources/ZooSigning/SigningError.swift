import ZooFormat

/// Why a key, a signature bundle or a signed folder was refused.
///
/// `file` names what the problem is in (a key file, a bundle such as `DIR/model.sig`, or a
/// folder); `reason` is what tests match. The description never holds key material.
public struct SigningError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// Reading or writing failed.
        case io(IOError)
        /// The file is larger than the limit for its kind.
        case tooLarge(size: Int, limit: Int)
        /// No PEM block of an accepted label (the labels are listed).
        case notPEM(expected: [String])
        /// A private key was given where a public one is wanted, or the other way round.
        case wrongKeyKind(found: String, expected: String)
        /// A password-protected private key: zoo reads unencrypted PEM only.
        case encryptedKey
        /// OpenSSL could not decode the key.
        case invalidKey(String)
        /// Not an ECDSA key on P-256, P-384 or P-521.
        case unsupportedKey(String)
        /// OpenSSL failed to sign.
        case signingFailed(String)
        /// The bundle is not valid JSON.
        case invalidJSON(JSONError)
        /// A member of the bundle or statement is missing or has the wrong type or value.
        case invalidMember(String, expected: String)
        /// A base64 member is not canonical standard base64.
        case invalidBase64(String)
        /// The bundle's media type is not the Sigstore bundle v0.3 one.
        case unsupportedMediaType(String)
        /// The DSSE payload type is not in-toto JSON.
        case unsupportedPayloadType(String)
        /// The envelope holds a number of signatures other than one.
        case signatureCount(Int)
        /// The predicate type is not `https://model_signing/signature/v1.0`.
        case unsupportedPredicate(String)
        /// The serialization method is not `files` with SHA-256.
        case unsupportedSerialization(String)
        /// A resource name is not a safe relative path, or appears twice.
        case invalidResourceName(String)
        /// The subject digest is not the SHA-256 of the resource digests.
        case subjectDigestMismatch(declared: String, computed: String)
        /// The bundle's key hint names another key.
        case keyMismatch(hint: String, key: String)
        /// The ECDSA signature does not verify with the given key.
        case badSignature(key: String)
        /// The signed file list differs from the files at hand.
        case filesDiffer(missing: [String], extra: [String], changed: [String])
        /// The model has no signature at all.
        case unsigned
        /// None of the model's signatures names or verifies with `key`; `signers` are the key
        /// hints the signatures carry (unverified).
        case noSignatureByKey(key: String, signers: [String])
        /// A symbolic link inside a folder to sign or verify (refused like `model_signing` does).
        case symbolicLink(String)
        /// Something other than a file or folder (a FIFO, a socket, a device).
        case notRegularFile(String)
    }

    /// What the problem is in: a key file, a bundle, or a folder.
    public var file: String
    public var reason: Reason

    public init(file: String, reason: Reason) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}

extension SigningError.Reason: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .io(error): return error.description
        case let .tooLarge(size, limit): return "\(size) bytes, over the \(limit)-byte limit"
        case let .notPEM(expected):
            return "no PEM block " + expected.map { "'-----BEGIN \($0)-----'" }.joined(separator: " or ")
        case let .wrongKeyKind(found, expected): return "holds a \(found), but a \(expected) is needed"
        case .encryptedKey: return "the private key is encrypted; zoo reads unencrypted PEM keys only"
        case let .invalidKey(message): return "not a valid key: \(message)"
        case let .unsupportedKey(what): return "\(what); model signing keys are ECDSA on P-256, P-384 or P-521"
        case let .signingFailed(message): return "signing failed: \(message)"
        case let .invalidJSON(error): return "not a signature bundle: \(error)"
        case let .invalidMember(member, expected): return "\(member): expected \(expected)"
        case let .invalidBase64(member): return "\(member) is not canonical base64"
        case let .unsupportedMediaType(type):
            return "media type '\(type)' is not \(SigstoreBundle.mediaType)"
        case let .unsupportedPayloadType(type):
            return "DSSE payload type '\(type)' is not \(SigstoreBundle.payloadType)"
        case let .signatureCount(count): return "the envelope holds \(count) signatures; exactly one is required"
        case let .unsupportedPredicate(type):
            return "predicate type '\(type)' is not \(InTotoStatement.predicateType)"
        case let .unsupportedSerialization(what): return "serialization \(what) is not supported (only method files, hash_type sha256)"
        case let .invalidResourceName(name): return "resource name '\(name)' is not a safe relative path or is repeated"
        case let .subjectDigestMismatch(declared, computed):
            return "subject digest \(declared) is not the digest of the listed resources (\(computed))"
        case let .keyMismatch(hint, key):
            return "signed by another key: the signature names key \(hint), the given key is \(key)"
        case let .badSignature(key): return "the signature does not verify with key \(key) (tampered bundle or another key)"
        case let .filesDiffer(missing, extra, changed):
            var parts: [String] = []
            if !changed.isEmpty { parts.append("changed since signing: " + changed.joined(separator: ", ")) }
            if !missing.isEmpty { parts.append("signed but missing: " + missing.joined(separator: ", ")) }
            if !extra.isEmpty { parts.append("not covered by the signature: " + extra.joined(separator: ", ")) }
            return "the files do not match the signature; " + parts.joined(separator: "; ")
        case .unsigned: return "the model has no signature"
        case let .noSignatureByKey(key, signers):
            return "no signature by key \(key)" + (signers.isEmpty ? "" : "; its signatures name keys " + signers.joined(separator: ", "))
        case let .symbolicLink(path): return "'\(path)' is a symbolic link; signed folders may not hold links"
        case let .notRegularFile(path): return "'\(path)' is neither a regular file nor a folder"
        }
    }
}
