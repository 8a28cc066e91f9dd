import FuzzSupport
import ZooSigning

/// OpenSSF Model Signing bundles (`model.sig`): strict JSON, base64, the in-toto statement. A
/// bundle that parses must list only safe, unique paths, and checking its signature with a key
/// must answer (an error is fine), never trap.
enum Fixture {
    /// spec/signing.md's example key (a static, so the C entry point captures nothing).
    static let key = try? VerifyingKey(pem: Array("""
    -----BEGIN PUBLIC KEY-----
    MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEpgiwl+7/6inTi7v24yvqn1Ys9oRB
    oWfjCxQ5Op7FDurqpnD+3Tdp40mMr4xK0IlbmHyQplgfmukOWiFOFmfQMg==
    -----END PUBLIC KEY-----

    """.utf8), source: "tiny.pub")
}

func fuzzSignature(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    guard let key = Fixture.key else { fuzzFailure("the built-in key does not parse") }
    guard let signature = try? ModelSignature(bundle: inputBytes(data, size), source: "model.sig") else { return 0 }
    var seen = Set<String>()
    for file in signature.files {
        let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }), seen.insert(file.path).inserted else {
            fuzzFailure("a parsed signature lists the unsafe or repeated path \(file.path)")
        }
    }
    // The signature's own list is the only one it can match; verifying must answer either way.
    blackHole(try? signature.verify(with: key, against: signature.files))
    blackHole(signature.subjectDigest)
    return 0
}

runFuzzer(fuzzSignature)
