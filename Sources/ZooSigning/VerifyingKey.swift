import ZooFormat

/// An ECDSA public key (P-256, P-384 or P-521) read from SubjectPublicKeyInfo PEM
/// (`BEGIN PUBLIC KEY`, as `openssl ec -pubout` writes).
public struct VerifyingKey: Sendable, CustomStringConvertible {
    let key: ECKey
    /// Where the key came from, for messages.
    public let source: String

    /// Reads the public key in the PEM file at `pemFile` (at most 64 KiB).
    public init(pemFile: String) throws(SigningError) {
        try self.init(pem: try PEM.read(pemFile), source: pemFile)
    }

    /// Parses a PEM public key; `source` names it in errors.
    public init(pem: [UInt8], source: String = "public key") throws(SigningError) {
        key = try PEM.publicKey(pem, source: source)
        self.source = source
    }

    init(key: ECKey, source: String) {
        self.key = key
        self.source = source
    }

    /// The key's fingerprint: the SHA-256 (64 lowercase hex digits) of its SubjectPublicKeyInfo
    /// PEM text, which is what `model_signing` writes as the bundle's `publicKey.hint`.
    public var fingerprint: String { SHA256.digest(key.publicKeyPEM()).hex }

    /// The curve: `P-256`, `P-384` or `P-521`.
    public var curveName: String { key.curve.displayName }

    /// The public key as SubjectPublicKeyInfo PEM.
    public var pem: [UInt8] { key.publicKeyPEM() }

    public var description: String { "\(curveName) key \(fingerprint)" }
}
