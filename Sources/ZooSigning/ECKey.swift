import COpenSSL
import ZooFormat

/// An OpenSSL `EVP_PKEY` holding an ECDSA key on a curve model signing accepts. Owns the handle,
/// so it is a class; it is never mutated after `init`, which makes sharing it across threads safe.
final class ECKey: @unchecked Sendable {
    /// The curves `model_signing` accepts, with the digest it signs with on each.
    enum Curve: String, Sendable {
        case p256 = "prime256v1", p384 = "secp384r1", p521 = "secp521r1"

        /// SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521 (`get_ec_key_hash`).
        var digest: OpaquePointer {  // const EVP_MD *
            switch self {
            case .p256: EVP_sha256()
            case .p384: EVP_sha384()
            case .p521: EVP_sha512()
            }
        }

        var displayName: String {
            switch self {
            case .p256: "P-256"
            case .p384: "P-384"
            case .p521: "P-521"
            }
        }
    }

    let handle: OpaquePointer  // EVP_PKEY *
    let curve: Curve

    /// Takes ownership of `handle`, freeing it when the key is refused.
    init(taking handle: OpaquePointer, source: String) throws(SigningError) {
        guard EVP_PKEY_is_a(handle, "EC") == 1 else {
            let name = EVP_PKEY_get0_type_name(handle).map { String(cString: $0) } ?? "unknown"
            EVP_PKEY_free(handle)
            throw SigningError(file: source, reason: .unsupportedKey("a \(name) key"))
        }
        var buffer = [CChar](repeating: 0, count: 80)
        var length = 0
        guard EVP_PKEY_get_group_name(handle, &buffer, buffer.count, &length) == 1 else {
            EVP_PKEY_free(handle)
            throw SigningError(file: source, reason: .unsupportedKey("an EC key without a named curve"))
        }
        let name = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let curve = Curve(rawValue: name) else {
            EVP_PKEY_free(handle)
            throw SigningError(file: source, reason: .unsupportedKey("an EC key on curve \(name)"))
        }
        // Python's cryptography writes (and so fingerprints) public keys with uncompressed points,
        // whatever form the PEM held; encode ours the same way.
        guard EVP_PKEY_set_utf8_string_param(handle, "point-format", "uncompressed") == 1 else {
            EVP_PKEY_free(handle)
            throw SigningError(file: source, reason: .invalidKey("cannot set the point format: " + Self.openSSLError()))
        }
        self.handle = handle
        self.curve = curve
    }

    deinit { EVP_PKEY_free(handle) }

    /// The SubjectPublicKeyInfo DER of the public half.
    func publicKeyDER() -> [UInt8] {
        let length = i2d_PUBKEY(handle, nil)
        guard length > 0 else { return [] }
        var der = [UInt8](repeating: 0, count: Int(length))
        der.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_PUBKEY(handle, &cursor)
        }
        return der
    }

    /// The public key as PEM, exactly as Python's `cryptography` writes it
    /// (`public_bytes(PEM, SubjectPublicKeyInfo)`): 64-column base64 lines.
    func publicKeyPEM() -> [UInt8] {
        let body = Array(Base64.encode(publicKeyDER()).utf8)
        var pem = Array("-----BEGIN PUBLIC KEY-----\n".utf8)
        var i = 0
        while i < body.count {
            pem += body[i..<min(i + 64, body.count)]
            pem.append(UInt8(ascii: "\n"))
            i += 64
        }
        pem += Array("-----END PUBLIC KEY-----\n".utf8)
        return pem
    }

    /// A DER ECDSA signature of `message`, hashed with the curve's digest.
    func sign(_ message: [UInt8], source: String) throws(SigningError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw SigningError(file: source, reason: .signingFailed("out of memory")) }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, curve.digest, nil, handle) == 1 else {
            throw SigningError(file: source, reason: .signingFailed(Self.openSSLError()))
        }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1, length > 0 else {
            throw SigningError(file: source, reason: .signingFailed(Self.openSSLError()))
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw SigningError(file: source, reason: .signingFailed(Self.openSSLError()))
        }
        return Array(signature.prefix(length))
    }

    /// Whether `signature` (DER ECDSA) verifies for `message` with this key.
    func verify(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, curve.digest, nil, handle) == 1 else {
            ERR_clear_error()
            return false
        }
        let ok = EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
        ERR_clear_error()  // a failed verification queues errors nobody else should see
        return ok
    }

    /// The oldest queued OpenSSL error's text, clearing the queue.
    static func openSSLError() -> String {
        let code = ERR_get_error()
        defer { ERR_clear_error() }
        guard code != 0 else { return "unknown OpenSSL error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: text, as: UTF8.self)
    }
}
