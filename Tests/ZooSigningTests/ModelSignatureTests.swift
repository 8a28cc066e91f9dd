import XCTest
import ZooFormat
@testable import ZooSigning

final class ModelSignatureTests: XCTestCase {
    let files = [
        SignedFile(path: "model.safetensors", digest: SHA256.digest(Array("weights".utf8))),
        SignedFile(path: "a.txt", digest: SHA256.digest(Array("a".utf8))),
        SignedFile(path: "a/b", digest: SHA256.digest(Array("b".utf8))),
    ]

    func testSignVerify_P256AndP384_RoundTrip() throws {
        let dir = try makeTemporaryDirectory(self)
        for curve in ["prime256v1", "secp384r1"] {
            let pair = try KeyPair(curve: curve, in: dir, name: curve)
            let signature = try ModelSignature.sign(files, modelName: "m", with: pair.signingKey)
            let parsed = try ModelSignature(bundle: signature.bundle, source: "model.sig")
            XCTAssertEqual(parsed.keyHint, try pair.verifyingKey.fingerprint)
            XCTAssertEqual(parsed.modelName, "m")
            // model_signing's order: component by component, so a/b before a.txt.
            XCTAssertEqual(parsed.files.map(\.path), ["a/b", "a.txt", "model.safetensors"])
            XCTAssertEqual(parsed.ignoredPaths, [".git", ".gitattributes", ".github", ".gitignore", "model.sig"])
            try parsed.verify(with: pair.verifyingKey, against: files.reversed())
        }
    }

    func testBundle_Layout_IsSigstoreV03WithDSSEOverInToto() throws {
        let dir = try makeTemporaryDirectory(self)
        let pair = try KeyPair(curve: "prime256v1", in: dir)
        let signature = try ModelSignature.sign(files, modelName: "m", with: pair.signingKey)
        let bundle = try JSONValue(parsing: signature.bundle)
        XCTAssertEqual(bundle["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json")
        XCTAssertEqual(bundle["verificationMaterial"]?["publicKey"]?["hint"]?.stringValue, try pair.verifyingKey.fingerprint)
        XCTAssertEqual(bundle["verificationMaterial"]?["tlogEntries"], .array([]))
        XCTAssertEqual(bundle["dsseEnvelope"]?["payloadType"], "application/vnd.in-toto+json")
        let payload = try XCTUnwrap(Base64.decode(try XCTUnwrap(bundle["dsseEnvelope"]?["payload"]?.stringValue)))
        let statement = try JSONValue(parsing: payload)
        XCTAssertEqual(statement["_type"], "https://in-toto.io/Statement/v1")
        XCTAssertEqual(statement["predicateType"], "https://model_signing/signature/v1.0")
        XCTAssertEqual(statement["predicate"]?["serialization"]?["method"], "files")
        // Subject digest: SHA-256 over the raw resource digests, in listed order.
        let ordered = ["a/b", "a.txt", "model.safetensors"].map { p in files.first { $0.path == p }!.digest }
        let raw = ordered.flatMap { Hex.bytes($0.hex) }
        XCTAssertEqual(statement["subject"]?.arrayValue?.first?["digest"]?["sha256"]?.stringValue, SHA256.digest(raw).hex)
        // The signature is a DER ECDSA signature over the PAE.
        let sig = try XCTUnwrap(Base64.decode(try XCTUnwrap(bundle["dsseEnvelope"]?["signatures"]?.arrayValue?.first?["sig"]?.stringValue)))
        XCTAssertTrue(try pair.verifyingKey.key.verify(sig, of: DSSE.pae(payloadType: "application/vnd.in-toto+json", payload: payload)))
        XCTAssertEqual(sig.first, 0x30)
    }

    func testVerify_OtherKey_NamesBothKeys() throws {
        let dir = try makeTemporaryDirectory(self)
        let signer = try KeyPair(curve: "prime256v1", in: dir, name: "signer")
        let other = try KeyPair(curve: "prime256v1", in: dir, name: "other")
        let signature = try ModelSignature(bundle: try ModelSignature.sign(files, modelName: "m", with: signer.signingKey).bundle, source: "model.sig")
        XCTAssertEqual(signingError { try signature.verify(with: other.verifyingKey, against: self.files) },
                       SigningError(file: "model.sig", reason: .keyMismatch(hint: try signer.verifyingKey.fingerprint,
                                                                           key: try other.verifyingKey.fingerprint)))
        // Without the hint, the ECDSA check itself refuses the other key.
        let stripped = try replacing(signature.bundle, "\"hint\":\"\(try signer.verifyingKey.fingerprint)\"", with: "")
        let unhinted = try ModelSignature(bundle: stripped, source: "model.sig")
        XCTAssertNil(unhinted.keyHint)
        try unhinted.verify(with: signer.verifyingKey, against: files)
        XCTAssertEqual(signingError { try unhinted.verify(with: other.verifyingKey, against: self.files) }?.reason,
                       .badSignature(key: try other.verifyingKey.fingerprint))
    }

    func testVerify_FileSetDiffers_NamesMissingExtraChanged() throws {
        let dir = try makeTemporaryDirectory(self)
        let pair = try KeyPair(curve: "secp384r1", in: dir)
        let signature = try ModelSignature.sign(files, modelName: "m", with: pair.signingKey)
        var actual = files
        actual[0].digest = SHA256.digest(Array("other".utf8))
        actual.remove(at: 2)
        actual.append(SignedFile(path: "extra.bin", digest: SHA256.digest([])))
        XCTAssertEqual(signingError { try signature.verify(with: pair.verifyingKey, against: actual) }?.reason,
                       .filesDiffer(missing: ["a/b"], extra: ["extra.bin"], changed: ["model.safetensors"]))
        let text = SigningError.Reason.filesDiffer(missing: ["a/b"], extra: ["extra.bin"], changed: ["model.safetensors"]).description
        XCTAssertEqual(text, "the files do not match the signature; changed since signing: model.safetensors; "
            + "signed but missing: a/b; not covered by the signature: extra.bin")
    }

    func testVerify_TamperedPayloadOrSignature_Refused() throws {
        let dir = try makeTemporaryDirectory(self)
        let pair = try KeyPair(curve: "prime256v1", in: dir)
        let signature = try ModelSignature.sign(files, modelName: "m", with: pair.signingKey)
        // Re-encode the payload (same statement, other spelling): the signature covers bytes, not meaning.
        let reencoded = try JSONValue(parsing: signature.statement.payload)
        var pretty = Array("{\"_type\": ".utf8)
        pretty += reencoded["_type"]!.canonicalBytes
        for key in ["predicate", "predicateType", "subject"] {
            pretty += Array(", \"\(key)\": ".utf8) + reencoded[key]!.canonicalBytes
        }
        pretty += Array("}".utf8)
        let swapped = SigstoreBundle(keyHint: signature.keyHint, payload: pretty, signature: signature.parsed.signature)
        let parsed = try ModelSignature(bundle: swapped.bytes, source: "model.sig")
        XCTAssertEqual(parsed.files, signature.files)
        XCTAssertEqual(signingError { try parsed.verify(with: pair.verifyingKey, against: self.files) }?.reason,
                       .badSignature(key: try pair.verifyingKey.fingerprint))
        // Flip one bit of the signature.
        var sig = signature.parsed.signature
        sig[sig.count - 1] ^= 1
        let flipped = try ModelSignature(bundle: SigstoreBundle(keyHint: signature.keyHint, payload: signature.parsed.payload, signature: sig).bytes,
                                         source: "model.sig")
        XCTAssertEqual(signingError { try flipped.verify(with: pair.verifyingKey, against: self.files) }?.reason,
                       .badSignature(key: try pair.verifyingKey.fingerprint))
    }

    func testParse_EveryTruncation_Throws() throws {
        let dir = try makeTemporaryDirectory(self)
        let pair = try KeyPair(curve: "prime256v1", in: dir)
        let bundle = try ModelSignature.sign(files, modelName: "m", with: pair.signingKey).bundle
        for n in 0..<bundle.count {
            XCTAssertThrowsError(try ModelSignature(bundle: Array(bundle.prefix(n)), source: "model.sig"), "prefix \(n)")
        }
    }

    func testParse_BadBundles_RefusedWithReason() throws {
        let dir = try makeTemporaryDirectory(self)
        let pair = try KeyPair(curve: "prime256v1", in: dir)
        let signature = try ModelSignature.sign(files, modelName: "m", with: pair.signingKey)
        let bundle = signature.bundle
        let sig = Base64.encode(signature.parsed.signature)
        func reason(_ bytes: [UInt8]) -> SigningError.Reason? {
            signingError { _ = try ModelSignature(bundle: bytes, source: "model.sig") }?.reason
        }
        XCTAssertEqual(reason(try replacing(bundle, "bundle.v0.3+json", with: "bundle.v0.2+json")),
                       .unsupportedMediaType("application/vnd.dev.sigstore.bundle.v0.2+json"))
        XCTAssertEqual(reason(try replacing(bundle, "vnd.in-toto+json", with: "json")), .unsupportedPayloadType("application/json"))
        XCTAssertEqual(reason(try replacing(bundle, "{\"sig\":\"\(sig)\",\"keyid\":\"\"}",
                                            with: "{\"sig\":\"\(sig)\",\"keyid\":\"\"},{\"sig\":\"\(sig)\",\"keyid\":\"\"}")),
                       .signatureCount(2))
        XCTAssertEqual(reason(try replacing(bundle, "\"signatures\":[{\"sig\":\"\(sig)\",\"keyid\":\"\"}]", with: "\"signatures\":[]")),
                       .signatureCount(0))
        let urlSafe = sig.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        if urlSafe != sig {
            XCTAssertEqual(reason(try replacing(bundle, sig, with: urlSafe)), .invalidBase64("dsseEnvelope.signatures[0].sig"))
        }
        XCTAssertEqual(reason(try replacing(bundle, sig, with: String(sig.dropLast(4)) + "\\n" + String(sig.suffix(4)))),
                       .invalidBase64("dsseEnvelope.signatures[0].sig"))
        XCTAssertEqual(reason(try replacing(bundle, "\"tlogEntries\":[]", with: "\"tlogEntries\":[],\"x509CertificateChain\":{}")),
                       .invalidMember("verificationMaterial.x509CertificateChain", expected: "only publicKey (certificate signatures are not supported)"))
        guard case .invalidJSON? = reason(bundle + Array("x".utf8)) else { return XCTFail("trailing bytes accepted") }
        let big = [UInt8](repeating: 0x20, count: SigstoreBundle.maxByteCount + 1)
        XCTAssertEqual(reason(big), .tooLarge(size: big.count, limit: SigstoreBundle.maxByteCount))
    }

    func testParse_BadStatements_RefusedWithReason() throws {
        let digest = SHA256.digest([]).hex
        func statement(_ resources: String, subject: String? = nil, predicateType: String = InTotoStatement.predicateType,
                       method: String = "files") -> [UInt8] {
            let listed = resources.isEmpty ? [] : resources.split(separator: ",").map(String.init)
            let subjectDigest = subject ?? InTotoStatement.subjectDigest(of: listed.map { SignedFile(path: $0, digest: SHA256Digest(hex: digest)!) }).hex
            let items = listed.map { "{\"name\":\"\($0)\",\"algorithm\":\"sha256\",\"digest\":\"\(digest)\"}" }.joined(separator: ",")
            let json = """
                {"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"m","digest":{"sha256":"\(subjectDigest)"}}],
                "predicateType":"\(predicateType)","predicate":{"serialization":{"method":"\(method)","hash_type":"sha256",
                "allow_symlinks":false},"resources":[\(items)]}}
                """
            return SigstoreBundle(keyHint: nil, payload: Array(json.utf8), signature: [0x30, 0]).bytes
        }
        func reason(_ bytes: [UInt8]) -> SigningError.Reason? {
            signingError { _ = try ModelSignature(bundle: bytes, source: "model.sig") }?.reason
        }
        XCTAssertEqual(try ModelSignature(bundle: statement("x,y/z"), source: "s").files.map(\.path), ["x", "y/z"])
        XCTAssertEqual(reason(statement("x", subject: String(repeating: "0", count: 64))),
                       .subjectDigestMismatch(declared: String(repeating: "0", count: 64),
                                              computed: InTotoStatement.subjectDigest(of: [SignedFile(path: "x", digest: SHA256Digest(hex: digest)!)]).hex))
        XCTAssertEqual(reason(statement("x", predicateType: "https://model_signing/Digests/v0.1")),
                       .unsupportedPredicate("https://model_signing/Digests/v0.1"))
        XCTAssertEqual(reason(statement("x", method: "shards")), .unsupportedSerialization("method shards, hash_type sha256"))
        for unsafe in ["../x", "/etc/passwd", "a//b", "./a", "a/..", "a\\\\b"] {
            XCTAssertEqual(reason(statement(unsafe)), .invalidResourceName(unsafe.replacingOccurrences(of: "\\\\", with: "\\")), unsafe)
        }
        XCTAssertEqual(reason(statement("x,x")), .invalidResourceName("x"))
    }

    func testSign_UnsafeOrRepeatedPaths_Refused() throws {
        let dir = try makeTemporaryDirectory(self)
        let key = try KeyPair(curve: "prime256v1", in: dir).signingKey
        let d = SHA256.digest([])
        XCTAssertEqual(signingError { _ = try ModelSignature.sign([SignedFile(path: "../x", digest: d)], modelName: "m", with: key) }?.reason,
                       .invalidResourceName("../x"))
        XCTAssertEqual(signingError { _ = try ModelSignature.sign([SignedFile(path: "x", digest: d), SignedFile(path: "x", digest: d)], modelName: "m", with: key) }?.reason,
                       .invalidResourceName("x"))
    }

    private func replacing(_ bytes: [UInt8], _ old: String, with new: String) throws -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.contains(old), "bundle lacks \(old)")
        return Array(text.replacingOccurrences(of: old, with: new).utf8)
    }
}
