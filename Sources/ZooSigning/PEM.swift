import COpenSSL
import ZooFormat

/// Reads PEM keys through OpenSSL, after checking the block's label ourselves so that a public
/// key given as a private one (or an encrypted key) gets a message that says so.
enum PEM {
    /// Key files are small; anything bigger is not a key.
    static let maxByteCount = 64 << 10

    static let privateLabels = ["PRIVATE KEY", "EC PRIVATE KEY"]
    static let publicLabels = ["PUBLIC KEY"]

    /// Reads the file at `path`, bounded.
    static func read(_ path: String) throws(SigningError) -> [UInt8] {
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path, limit: maxByteCount) } catch { throw SigningError(file: path, reason: .io(error)) }
        guard let bytes else {
            throw SigningError(file: path, reason: .tooLarge(size: (try? FileSystem.fileSize(path)) ?? 0, limit: maxByteCount))
        }
        return bytes
    }

    /// The label of the first `-----BEGIN X-----` line, if any.
    static func firstLabel(_ pem: [UInt8]) -> String? {
        let text = String(decoding: pem, as: UTF8.self)
        guard let begin = text.range(of: "-----BEGIN ") else { return nil }
        let rest = text[begin.upperBound...]
        guard let end = rest.range(of: "-----") else { return nil }
        return String(rest[..<end.lowerBound])
    }

    static func privateKey(_ pem: [UInt8], source: String) throws(SigningError) -> ECKey {
        guard pem.count <= maxByteCount else { throw SigningError(file: source, reason: .tooLarge(size: pem.count, limit: maxByteCount)) }
        switch firstLabel(pem) {
        case "ENCRYPTED PRIVATE KEY": throw SigningError(file: source, reason: .encryptedKey)
        case "PUBLIC KEY": throw SigningError(file: source, reason: .wrongKeyKind(found: "public key", expected: "private key"))
        case let label? where privateLabels.contains(label): break
        default: throw SigningError(file: source, reason: .notPEM(expected: privateLabels))
        }
        // Traditional "EC PRIVATE KEY" PEM marks encryption with a Proc-Type header instead.
        if String(decoding: pem, as: UTF8.self).contains("Proc-Type: 4,ENCRYPTED") {
            throw SigningError(file: source, reason: .encryptedKey)
        }
        let key: OpaquePointer? = withBIO(pem) { bio in
            // A callback that supplies no password, so OpenSSL never prompts on the terminal.
            PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let key else { throw SigningError(file: source, reason: .invalidKey(ECKey.openSSLError())) }
        return try ECKey(taking: key, source: source)
    }

    static func publicKey(_ pem: [UInt8], source: String) throws(SigningError) -> ECKey {
        guard pem.count <= maxByteCount else { throw SigningError(file: source, reason: .tooLarge(size: pem.count, limit: maxByteCount)) }
        switch firstLabel(pem) {
        case let label? where privateLabels.contains(label) || label == "ENCRYPTED PRIVATE KEY":
            throw SigningError(file: source, reason: .wrongKeyKind(found: "private key", expected: "public key"))
        case "PUBLIC KEY": break
        default: throw SigningError(file: source, reason: .notPEM(expected: publicLabels))
        }
        let key: OpaquePointer? = withBIO(pem) { bio in PEM_read_bio_PUBKEY(bio, nil, { _, _, _, _ in 0 }, nil) }
        guard let key else { throw SigningError(file: source, reason: .invalidKey(ECKey.openSSLError())) }
        return try ECKey(taking: key, source: source)
    }

    private static func withBIO(_ bytes: [UInt8], _ body: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
        bytes.withUnsafeBytes { raw -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }
}
