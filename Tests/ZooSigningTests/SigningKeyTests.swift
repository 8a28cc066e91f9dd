import Foundation
import XCTest
import ZooFormat
@testable import ZooSigning

final class SigningKeyTests: XCTestCase {
    func testKeys_P256AndP384InBothPrivateFormats_Load() throws {
        let dir = try makeTemporaryDirectory(self)
        for (curve, name) in [("prime256v1", "P-256"), ("secp384r1", "P-384"), ("secp521r1", "P-521")] {
            for pkcs8 in [false, true] {
                let pair = try KeyPair(curve: curve, in: dir, name: "\(curve)-\(pkcs8)", pkcs8: pkcs8)
                XCTAssertTrue(try String(decoding: readFile(pair.privatePath), as: UTF8.self)
                    .hasPrefix(pkcs8 ? "-----BEGIN PRIVATE KEY-----" : "-----BEGIN EC PRIVATE KEY-----"))
                let signing = try pair.signingKey
                let verifying = try pair.verifyingKey
                XCTAssertEqual(verifying.curveName, name)
                XCTAssertEqual(signing.publicKey.fingerprint, verifying.fingerprint)
                // The public PEM zoo re-encodes is byte for byte what openssl wrote.
                XCTAssertEqual(verifying.pem, try readFile(pair.publicPath))
                XCTAssertEqual(verifying.fingerprint, SHA256.digest(try readFile(pair.publicPath)).hex)
            }
        }
    }

    /// A public key written with a compressed point has the fingerprint of its uncompressed form,
    /// as `model_signing` (through Python's cryptography) computes it.
    func testFingerprint_CompressedPoint_SameAsUncompressed() throws {
        let dir = try makeTemporaryDirectory(self)
        let pair = try KeyPair(curve: "prime256v1", in: dir)
        let compressed = dir + "/compressed.pub"
        try KeyPair.check(runProgram("openssl", ["ec", "-in", pair.privatePath, "-pubout", "-conv_form", "compressed", "-out", compressed]))
        XCTAssertNotEqual(try readFile(compressed), try readFile(pair.publicPath))
        let key = try VerifyingKey(pemFile: compressed)
        XCTAssertEqual(key.fingerprint, SHA256.digest(try readFile(pair.publicPath)).hex)
        let signature = try ModelSignature.sign([], modelName: "empty", with: pair.signingKey)
        try signature.verify(with: key, against: [])
    }

    func testPrivateKey_GivenAPublicKey_SaysSo() throws {
        let dir = try makeTemporaryDirectory(self)
        let pair = try KeyPair(curve: "prime256v1", in: dir)
        let error = signingError { _ = try SigningKey(pemFile: pair.publicPath) }
        XCTAssertEqual(error, SigningError(file: pair.publicPath, reason: .wrongKeyKind(found: "public key", expected: "private key")))
        let other = signingError { _ = try VerifyingKey(pemFile: pair.privatePath) }
        XCTAssertEqual(other, SigningError(file: pair.privatePath, reason: .wrongKeyKind(found: "private key", expected: "public key")))
    }

    func testPrivateKey_Encrypted_Refused() throws {
        let dir = try makeTemporaryDirectory(self)
        let pair = try KeyPair(curve: "prime256v1", in: dir)
        let encrypted = dir + "/enc.pem"
        try KeyPair.check(runProgram("openssl", ["pkcs8", "-topk8", "-in", pair.privatePath, "-out", encrypted, "-passout", "pass:secret"]))
        XCTAssertEqual(signingError { _ = try SigningKey(pemFile: encrypted) }, SigningError(file: encrypted, reason: .encryptedKey))
        let traditional = dir + "/enc-sec1.pem"
        try KeyPair.check(runProgram("openssl", ["ec", "-in", pair.privatePath, "-out", traditional, "-aes256", "-passout", "pass:secret"]))
        XCTAssertEqual(signingError { _ = try SigningKey(pemFile: traditional) }, SigningError(file: traditional, reason: .encryptedKey))
    }

    func testKeys_OtherAlgorithmsAndCurves_Refused() throws {
        let dir = try makeTemporaryDirectory(self)
        let rsa = dir + "/rsa.pem"
        try KeyPair.check(runProgram("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", rsa]))
        XCTAssertEqual(signingError { _ = try SigningKey(pemFile: rsa) }?.reason, .unsupportedKey("a RSA key"))
        let k1 = try KeyPair(curve: "secp256k1", in: dir, name: "k1")
        XCTAssertEqual(signingError { _ = try VerifyingKey(pemFile: k1.publicPath) }?.reason, .unsupportedKey("an EC key on curve secp256k1"))
    }

    func testKeys_NotPEM_Refused() throws {
        XCTAssertEqual(signingError { _ = try SigningKey(pem: Array("hello".utf8), source: "k") },
                       SigningError(file: "k", reason: .notPEM(expected: ["PRIVATE KEY", "EC PRIVATE KEY"])))
        let broken = Array("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".utf8)
        guard case .invalidKey? = signingError({ _ = try VerifyingKey(pem: broken, source: "k") })?.reason else {
            return XCTFail("expected invalidKey")
        }
        let dir = try makeTemporaryDirectory(self)
        try writeFile(dir + "/big.pem", [UInt8](repeating: 0x41, count: PEM.maxByteCount + 1))
        XCTAssertEqual(signingError { _ = try VerifyingKey(pemFile: dir + "/big.pem") }?.reason,
                       .tooLarge(size: PEM.maxByteCount + 1, limit: PEM.maxByteCount))
    }

    /// The fingerprint is what `model_signing` puts in the bundle's key hint.
    func testFingerprint_EqualsPythonCryptographyHint() throws {
        let python = try venvPython()
        let dir = try makeTemporaryDirectory(self)
        for curve in ["prime256v1", "secp384r1"] {
            let pair = try KeyPair(curve: curve, in: dir, name: curve)
            let script = """
                import hashlib, sys
                from cryptography.hazmat.primitives import serialization as s
                k = s.load_pem_private_key(open(sys.argv[1], 'rb').read(), None).public_key()
                print(hashlib.sha256(k.public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo)).hexdigest())
                """
            let result = try runProgram(python, ["-c", script, pair.privatePath])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), try pair.signingKey.publicKey.fingerprint)
        }
    }
}
