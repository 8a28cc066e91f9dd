/// Checks a model's signatures against one trusted key: the question `zoo verify --key` and
/// `zoo pull --key` ask. A model may carry several signatures (by several keys, or re-signed);
/// it passes when one of them is by `key`, verifies, and covers exactly `files`.
public enum SignatureCheck {
    /// The signature that passes.
    ///
    /// - Parameter model: names the model in errors (a reference or digest).
    /// - Throws: ``SigningError`` whose `file` is `model`: `.unsigned` when `signatures` is
    ///   empty; `.noSignatureByKey` when none is by `key`; else the first failure of a
    ///   signature by `key` (`.badSignature`, `.filesDiffer`, ...), with the bundle as `file`.
    @discardableResult
    public static func verify(_ signatures: [ModelSignature], with key: VerifyingKey, against files: [SignedFile],
                              model: String) throws(SigningError) -> ModelSignature
    {
        guard !signatures.isEmpty else { throw SigningError(file: model, reason: .unsigned) }
        let fingerprint = key.fingerprint
        // Bundles that name this key, then bundles naming no key (older signers); one naming
        // another key cannot be by this one.
        var failure: SigningError?
        for signature in signatures where signature.keyHint == fingerprint {
            do throws(SigningError) { try signature.verify(with: key, against: files); return signature } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        for signature in signatures where signature.keyHint == nil {
            do throws(SigningError) { try signature.verify(with: key, against: files); return signature } catch {
                // Only a signature that verifies with this key says something about the files.
                if case .filesDiffer = error.reason { failure = failure ?? error }
            }
        }
        if let failure { throw failure }
        let signers = Array(Set(signatures.compactMap(\.keyHint))).sorted()
        throw SigningError(file: model, reason: .noSignatureByKey(key: fingerprint, signers: signers))
    }
}
