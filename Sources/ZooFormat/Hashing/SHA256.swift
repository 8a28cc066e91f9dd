import COpenSSL

/// An incremental SHA-256 computed by OpenSSL's EVP interface (SHA-NI where the CPU has it).
///
/// Owns its `EVP_MD_CTX`, so it is a class: a copied struct would free the context twice.
/// Use one instance from one thread at a time.
public final class SHA256: @unchecked Sendable {
    private let context: OpaquePointer  // EVP_MD_CTX *
    private var finished = false

    /// Starts a new digest.
    public init() {
        // Allocation failure here means the process is out of memory; there is no useful recovery.
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            fatalError("EVP_DigestInit_ex(SHA-256) failed: OpenSSL is misconfigured")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds `bytes` to the digest.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "SHA256.update after finalize")
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        // EVP_DigestUpdate only fails on a finalised or broken context, which the precondition rules out.
        _ = EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Adds `bytes` to the digest.
    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Finishes the digest. The hasher cannot be used afterwards.
    public func finalize() -> SHA256Digest {
        precondition(!finished, "SHA256.finalize called twice")
        finished = true
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        return SHA256Digest(bytes: out.prefix(Int(length)))
    }

    /// The digest of `bytes`.
    public static func digest(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        let hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> SHA256Digest {
        bytes.withUnsafeBytes { digest($0) }
    }
}
