import ZooFormat

/// The in-toto Statement v1 inside an OpenSSF Model Signing bundle: one subject (the model's
/// name and the SHA-256 over its resource digests) and the `https://model_signing/signature/v1.0`
/// predicate listing every file with its SHA-256 (serialization method `files`).
struct InTotoStatement: Sendable {
    static let type = "https://in-toto.io/Statement/v1"
    static let predicateType = "https://model_signing/signature/v1.0"
    /// What `model_signing`'s CLI ignores by default: the signature file and git's files.
    static let defaultIgnorePaths = [".git", ".gitattributes", ".github", ".gitignore", "model.sig"]
    /// Bound on listed resources: far above any real model, low enough to stay cheap.
    static let maxResources = 1_000_000

    var modelName: String
    /// In the order the predicate lists them (the subject digest is over this order).
    var files: [SignedFile]
    var ignorePaths: [String]

    /// The subject digest: SHA-256 of the concatenated raw resource digests, in listed order.
    static func subjectDigest(of files: [SignedFile]) -> SHA256Digest {
        let hasher = SHA256()
        for file in files { hasher.update(Hex.bytes(file.digest.hex)) }
        return hasher.finalize()
    }

    /// A statement over `files`, sorted as `model_signing` sorts them.
    init(modelName: String, files: [SignedFile]) {
        self.modelName = modelName
        self.files = files.sorted { SignedFile.precedes($0.path, $1.path) }
        self.ignorePaths = Self.defaultIgnorePaths
    }

    /// The payload bytes: the statement as RFC 8785 canonical JSON (the official tool writes
    /// protobuf's pretty JSON; verifiers parse it, so any spelling verifies).
    var payload: [UInt8] {
        let resources: [JSONValue] = files.map { .object(["name": .string($0.path), "algorithm": "sha256", "digest": .string($0.digest.hex)]) }
        let statement: JSONValue = .object([
            "_type": .string(Self.type),
            "subject": .array([.object(["name": .string(modelName),
                                        "digest": .object(["sha256": .string(Self.subjectDigest(of: files).hex)])])]),
            "predicateType": .string(Self.predicateType),
            "predicate": .object([
                "serialization": .object(["method": "files", "hash_type": "sha256", "allow_symlinks": false,
                                          "ignore_paths": .array(ignorePaths.map { .string($0) })]),
                "resources": .array(resources),
            ]),
        ])
        return statement.canonicalBytes
    }

    /// Parses and checks a payload: statement and predicate types, one subject, `files`
    /// serialization with SHA-256, safe unique resource names, and the subject digest.
    init(payload: [UInt8], source: String) throws(SigningError) {
        func fail(_ member: String, _ expected: String) -> SigningError {
            SigningError(file: source, reason: .invalidMember(member, expected: expected))
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: payload) } catch { throw SigningError(file: source, reason: .invalidJSON(error)) }
        guard let statement = value.objectValue else { throw fail("payload", "an in-toto statement object") }
        guard let type = statement["_type"]?.stringValue else { throw fail("payload._type", "a string") }
        guard type == Self.type else { throw fail("payload._type", Self.type) }
        guard let predicateType = statement["predicateType"]?.stringValue else { throw fail("payload.predicateType", "a string") }
        guard predicateType == Self.predicateType else { throw SigningError(file: source, reason: .unsupportedPredicate(predicateType)) }
        guard let subjects = statement["subject"]?.arrayValue, subjects.count == 1, let subject = subjects[0].objectValue else {
            throw fail("payload.subject", "exactly one subject")
        }
        guard let name = subject["name"]?.stringValue else { throw fail("payload.subject[0].name", "a string") }
        guard let declared = subject["digest"]?["sha256"]?.stringValue, SHA256Digest(hex: declared) != nil else {
            throw fail("payload.subject[0].digest.sha256", "64 lowercase hex digits")
        }
        guard let predicate = statement["predicate"]?.objectValue else { throw fail("payload.predicate", "an object") }
        guard let serialization = predicate["serialization"]?.objectValue else { throw fail("payload.predicate.serialization", "an object") }
        let method = serialization["method"]?.stringValue ?? "(none)"
        let hashType = serialization["hash_type"]?.stringValue ?? "(none)"
        guard method == "files", hashType == "sha256" else {
            throw SigningError(file: source, reason: .unsupportedSerialization("method \(method), hash_type \(hashType)"))
        }
        var ignorePaths: [String] = []
        if let ignore = serialization["ignore_paths"] {
            guard let list = ignore.arrayValue else { throw fail("payload.predicate.serialization.ignore_paths", "an array of strings") }
            for item in list {
                guard let path = item.stringValue else { throw fail("payload.predicate.serialization.ignore_paths", "an array of strings") }
                ignorePaths.append(path)
            }
        }
        guard let resources = predicate["resources"]?.arrayValue else { throw fail("payload.predicate.resources", "an array") }
        guard resources.count <= Self.maxResources else { throw fail("payload.predicate.resources", "at most \(Self.maxResources) entries") }
        var files: [SignedFile] = []
        files.reserveCapacity(resources.count)
        var seen = Set<String>()
        for (i, resource) in resources.enumerated() {
            let member = "payload.predicate.resources[\(i)]"
            guard let object = resource.objectValue, let path = object["name"]?.stringValue else { throw fail(member + ".name", "a string") }
            guard object["algorithm"]?.stringValue == "sha256" else { throw fail(member + ".algorithm", "\"sha256\"") }
            guard let hex = object["digest"]?.stringValue, let digest = SHA256Digest(hex: hex) else {
                throw fail(member + ".digest", "64 lowercase hex digits")
            }
            guard SignedFile.isSafe(path), seen.insert(path).inserted else {
                throw SigningError(file: source, reason: .invalidResourceName(path))
            }
            files.append(SignedFile(path: path, digest: digest))
        }
        let computed = Self.subjectDigest(of: files).hex
        guard computed == declared else {
            throw SigningError(file: source, reason: .subjectDigestMismatch(declared: declared, computed: computed))
        }
        self.modelName = name
        self.files = files
        self.ignorePaths = ignorePaths
    }
}

/// Lowercase hex, already checked by ``SHA256Digest``.
enum Hex {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v = c <= 0x39 ? c - 0x30 : c - 0x61 + 10
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }
}
