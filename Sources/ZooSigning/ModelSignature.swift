import ZooFormat

/// One OpenSSF Model Signing (OMS) signature: a Sigstore bundle v0.3 holding a DSSE envelope
/// over an in-toto statement that lists every file of a model with its SHA-256. The same bytes
/// `model_signing sign key` writes to `model.sig`, and that `model_signing verify key` checks.
///
/// ```swift
/// let files = try SignedFolder.files(in: "bert-hf")
/// let signature = try ModelSignature.sign(files, modelName: "bert-hf", with: SigningKey(pemFile: "key.pem"))
/// try signature.verify(with: VerifyingKey(pemFile: "key.pub"), against: files)
/// ```
///
/// Parsing checks the bundle and the statement (structure, types, the subject digest) but
/// proves nothing about who signed: only ``verify(with:against:)`` does.
public struct ModelSignature: Sendable {
    /// The bundle's bytes, exactly as read or written.
    public let bundle: [UInt8]
    /// Where the bundle came from, for messages.
    public let source: String
    let parsed: SigstoreBundle
    let statement: InTotoStatement

    /// Parses a bundle (at most 32 MiB) without checking its signature.
    public init(bundle: [UInt8], source: String) throws(SigningError) {
        parsed = try SigstoreBundle(bytes: bundle, source: source)
        statement = try InTotoStatement(payload: parsed.payload, source: source)
        self.bundle = bundle
        self.source = source
    }

    /// Reads and parses the bundle file at `path` (for example `DIR/model.sig`).
    public init(file path: String) throws(SigningError) {
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path, limit: SigstoreBundle.maxByteCount) } catch {
            throw SigningError(file: path, reason: .io(error))
        }
        guard let bytes else {
            throw SigningError(file: path, reason: .tooLarge(size: (try? FileSystem.fileSize(path)) ?? 0, limit: SigstoreBundle.maxByteCount))
        }
        try self.init(bundle: bytes, source: path)
    }

    /// The fingerprint of the key the bundle says signed it (``VerifyingKey/fingerprint``), if it says.
    public var keyHint: String? { parsed.keyHint }
    /// The signed files, in the order the statement lists them.
    public var files: [SignedFile] { statement.files }
    /// The model name in the statement's subject (informative only: renaming a folder keeps a signature valid).
    public var modelName: String { statement.modelName }
    /// The paths the signer said were left out (`serialization.ignore_paths`).
    public var ignoredPaths: [String] { statement.ignorePaths }
    /// The statement's subject digest: SHA-256 over the listed file digests.
    public var subjectDigest: SHA256Digest { InTotoStatement.subjectDigest(of: statement.files) }

    /// Signs `files` (relative `/`-separated paths, each at most once) as `model_signing` does:
    /// resources sorted by path, ignore paths `.git`, `.gitattributes`, `.github`, `.gitignore`
    /// and `model.sig`, ECDSA with SHA-256 (P-256), SHA-384 (P-384) or SHA-512 (P-521) over the
    /// DSSE PAE of the statement, and the key's fingerprint as the bundle's key hint.
    public static func sign(_ files: [SignedFile], modelName: String, with key: SigningKey) throws(SigningError) -> ModelSignature {
        var seen = Set<String>()
        for file in files where !SignedFile.isSafe(file.path) || !seen.insert(file.path).inserted {
            throw SigningError(file: modelName, reason: .invalidResourceName(file.path))
        }
        let statement = InTotoStatement(modelName: modelName, files: files)
        let payload = statement.payload
        let signature = try key.key.sign(DSSE.pae(payloadType: SigstoreBundle.payloadType, payload: payload), source: key.source)
        let parsed = SigstoreBundle(keyHint: key.publicKey.fingerprint, payload: payload, signature: signature)
        return ModelSignature(bundle: parsed.bytes, source: modelName, parsed: parsed, statement: statement)
    }

    private init(bundle: [UInt8], source: String, parsed: SigstoreBundle, statement: InTotoStatement) {
        self.bundle = bundle
        self.source = source
        self.parsed = parsed
        self.statement = statement
    }

    /// Checks that `key` made this signature and that it covers exactly `files`: the key hint
    /// (when present) must be `key`'s fingerprint, the ECDSA signature must verify, and the
    /// signed list must equal `files` path for path and digest for digest.
    ///
    /// - Throws: ``SigningError`` with `.keyMismatch`, `.badSignature` or `.filesDiffer` (naming
    ///   every missing, extra and changed file).
    public func verify(with key: VerifyingKey, against files: [SignedFile]) throws(SigningError) {
        try verifySignature(with: key)
        try Self.compare(signed: statement.files, actual: files, source: source)
    }

    /// Checks only who signed (key hint and ECDSA signature), not which files.
    public func verifySignature(with key: VerifyingKey) throws(SigningError) {
        let fingerprint = key.fingerprint
        if let hint = parsed.keyHint, hint != fingerprint {
            throw SigningError(file: source, reason: .keyMismatch(hint: hint, key: fingerprint))
        }
        let message = DSSE.pae(payloadType: SigstoreBundle.payloadType, payload: parsed.payload)
        guard key.key.verify(parsed.signature, of: message) else {
            throw SigningError(file: source, reason: .badSignature(key: fingerprint))
        }
    }

    static func compare(signed: [SignedFile], actual: [SignedFile], source: String) throws(SigningError) {
        var expected: [String: SHA256Digest] = [:]
        for file in signed { expected[file.path] = file.digest }
        var found: [String: SHA256Digest] = [:]
        for file in actual { found[file.path] = file.digest }
        let missing = expected.keys.filter { found[$0] == nil }.sorted()
        let extra = found.keys.filter { expected[$0] == nil }.sorted()
        let changed = expected.compactMap { path, digest in found[path].flatMap { $0 == digest ? nil : path } }.sorted()
        guard missing.isEmpty, extra.isEmpty, changed.isEmpty, actual.count == found.count else {
            throw SigningError(file: source, reason: .filesDiffer(missing: missing, extra: extra, changed: changed))
        }
    }
}
