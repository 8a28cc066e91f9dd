import ZooFormat

/// The Sigstore bundle v0.3 JSON that holds a model signature made with a bare key:
///
/// ```json
/// {"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",
///  "verificationMaterial":{"publicKey":{"hint":"<sha256 of the public key PEM>"},"tlogEntries":[]},
///  "dsseEnvelope":{"payload":"<base64 statement>","payloadType":"application/vnd.in-toto+json",
///                  "signatures":[{"sig":"<base64 DER ECDSA>","keyid":""}]}}
/// ```
struct SigstoreBundle: Sendable {
    static let mediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
    static let payloadType = "application/vnd.in-toto+json"
    /// Bound on a bundle's size: a statement listing 100,000 files is about 15 MB.
    static let maxByteCount = 32 << 20

    var keyHint: String?
    var payload: [UInt8]
    var signature: [UInt8]

    /// The bundle's bytes, in the member order `model_signing` writes.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        func member(_ name: String, _ value: String) {
            JSONValue.appendQuoted(name, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONValue.appendQuoted(value, to: &out)
        }
        out += Array("{".utf8)
        member("mediaType", Self.mediaType)
        out += Array(",\"verificationMaterial\":{\"publicKey\":{".utf8)
        if let keyHint { member("hint", keyHint) }
        out += Array("},\"tlogEntries\":[]},\"dsseEnvelope\":{".utf8)
        member("payload", Base64.encode(payload))
        out.append(UInt8(ascii: ","))
        member("payloadType", Self.payloadType)
        out += Array(",\"signatures\":[{".utf8)
        member("sig", Base64.encode(signature))
        out += Array(",\"keyid\":\"\"}]}}".utf8)
        return out
    }

    init(keyHint: String?, payload: [UInt8], signature: [UInt8]) {
        self.keyHint = keyHint
        self.payload = payload
        self.signature = signature
    }

    /// Parses a bundle strictly: size bound, media type, a public-key hint (no certificates),
    /// the in-toto payload type, exactly one signature, canonical base64.
    init(bytes: [UInt8], source: String) throws(SigningError) {
        func fail(_ member: String, _ expected: String) -> SigningError {
            SigningError(file: source, reason: .invalidMember(member, expected: expected))
        }
        guard bytes.count <= Self.maxByteCount else {
            throw SigningError(file: source, reason: .tooLarge(size: bytes.count, limit: Self.maxByteCount))
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw SigningError(file: source, reason: .invalidJSON(error)) }
        guard let bundle = value.objectValue else { throw fail("bundle", "a JSON object") }
        guard let mediaType = bundle["mediaType"]?.stringValue else { throw fail("mediaType", "a string") }
        guard mediaType == Self.mediaType else { throw SigningError(file: source, reason: .unsupportedMediaType(mediaType)) }
        for key in bundle.keys where !["mediaType", "verificationMaterial", "dsseEnvelope"].contains(key) {
            throw fail(key, key == "messageSignature" ? "a DSSE envelope (model signatures use dsseEnvelope)" : "no such member")
        }
        guard let material = bundle["verificationMaterial"]?.objectValue else { throw fail("verificationMaterial", "an object") }
        for key in material.keys where key != "publicKey" && key != "tlogEntries" {
            throw fail("verificationMaterial.\(key)", "only publicKey (certificate signatures are not supported)")
        }
        guard let publicKey = material["publicKey"]?.objectValue else { throw fail("verificationMaterial.publicKey", "an object") }
        switch publicKey["hint"] {
        case nil, .null?: keyHint = nil
        case let .string(hint)? where SHA256Digest(hex: hint) != nil: keyHint = hint
        default: throw fail("verificationMaterial.publicKey.hint", "64 lowercase hex digits")
        }
        if let entries = material["tlogEntries"], entries.arrayValue?.isEmpty != true {
            throw fail("verificationMaterial.tlogEntries", "an empty array (bare-key signatures have no log entries)")
        }
        guard let envelope = bundle["dsseEnvelope"]?.objectValue else { throw fail("dsseEnvelope", "an object") }
        for key in envelope.keys where !["payload", "payloadType", "signatures"].contains(key) {
            throw fail("dsseEnvelope.\(key)", "no such member")
        }
        guard let payloadType = envelope["payloadType"]?.stringValue else { throw fail("dsseEnvelope.payloadType", "a string") }
        guard payloadType == Self.payloadType else { throw SigningError(file: source, reason: .unsupportedPayloadType(payloadType)) }
        guard let payloadText = envelope["payload"]?.stringValue else { throw fail("dsseEnvelope.payload", "a base64 string") }
        guard let payload = Base64.decode(payloadText), !payload.isEmpty else {
            throw SigningError(file: source, reason: .invalidBase64("dsseEnvelope.payload"))
        }
        guard let signatures = envelope["signatures"]?.arrayValue else { throw fail("dsseEnvelope.signatures", "an array") }
        guard signatures.count == 1 else { throw SigningError(file: source, reason: .signatureCount(signatures.count)) }
        guard let entry = signatures[0].objectValue, let sigText = entry["sig"]?.stringValue else {
            throw fail("dsseEnvelope.signatures[0].sig", "a base64 string")
        }
        if let keyid = entry["keyid"], keyid.stringValue == nil { throw fail("dsseEnvelope.signatures[0].keyid", "a string") }
        // A DER ECDSA signature on P-521 is at most 139 bytes; anything far longer is not one.
        guard let signature = Base64.decode(sigText), !signature.isEmpty, signature.count <= 256 else {
            throw SigningError(file: source, reason: .invalidBase64("dsseEnvelope.signatures[0].sig"))
        }
        self.payload = payload
        self.signature = signature
    }
}
