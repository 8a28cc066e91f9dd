import ZooFormat

/// An ECDSA private key (P-256, P-384 or P-521) read from unencrypted PEM: PKCS#8
/// (`BEGIN PRIVATE KEY`) or SEC 1 (`BEGIN EC PRIVATE KEY`), as `openssl ecparam -genkey` writes.
///
/// ```swift
/// let key = try SigningKey(pemFile: "signing.pem")
/// let signature = try ModelSignature.sign(files, modelName: "bert", with: key)
/// ```
public struct SigningKey: Sendable {
    let key: ECKey
    /// Where the key came from, for messages.
    public let source: String

    /// Reads the private key in the PEM file at `pemFile` (at most 64 KiB).
    public init(pemFile: String) throws(SigningError) {
        try self.init(pem: try PEM.read(pemFile), source: pemFile)
    }

    /// Parses a PEM private key; `source` names it in errors.
    public init(pem: [UInt8], source: String = "private key") throws(SigningError) {
        key = try PEM.privateKey(pem, source: source)
        self.source = source
    }

    /// The public half, to verify what this key signs.
    public var publicKey: VerifyingKey { VerifyingKey(key: key, source: source) }
}
