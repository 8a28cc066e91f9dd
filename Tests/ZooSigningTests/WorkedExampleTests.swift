import XCTest
import ZooFormat
@testable import ZooSigning

/// spec/signing.md §7: a bundle `model_signing` 1.1.1 wrote, kept as a golden vector, with every
/// value the spec quotes.
final class WorkedExampleTests: XCTestCase {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures"

    func makeTiny() throws -> String {
        let dir = try makeTemporaryDirectory(self) + "/tiny"
        try writeFile(dir + "/config.json", Array("{\"hidden_size\": 4}".utf8))
        try writeFile(dir + "/weights.bin", [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40])
        return dir
    }

    func testWorkedExample_OfficialBundle_VerifiesAndEveryQuotedValueHolds() throws {
        let tiny = try makeTiny()
        try writeFile(tiny + "/model.sig", try readFile(fixtures + "/tiny.model.sig"))
        let key = try VerifyingKey(pemFile: fixtures + "/tiny.pub")
        XCTAssertEqual(try readFile(fixtures + "/tiny.pub").count, 178)
        XCTAssertEqual(key.fingerprint, "ffde58d417542e28c70f6bc7479aa2d9020971a7ad0ad87e2902771bd508cf8a")

        let files = try SignedFolder.files(in: tiny)
        XCTAssertEqual(files, [
            SignedFile(path: "config.json", digest: SHA256Digest(hex: "05a1fd74f10c24c474ac3cf469f3065fb78aa823a71c5b6433a42315fd0c4ece")!),
            SignedFile(path: "weights.bin", digest: SHA256Digest(hex: "b9c80b5adeca450753a16950c3cc655d271f7bef7a485bc83f112b72fef21d37")!),
        ])
        let signature = try ModelSignature(file: tiny + "/model.sig")
        XCTAssertEqual(signature.bundle.count, 1595)
        XCTAssertEqual(signature.parsed.payload.count, 896)
        XCTAssertEqual(signature.parsed.signature.count, 70)
        XCTAssertEqual(signature.subjectDigest.hex, "719445e7cae3ee53d9eb15f9e93d22d610a3240e93e84fd5ff9436d0f0ff351c")
        XCTAssertEqual(signature.keyHint, key.fingerprint)
        XCTAssertEqual(Base64.encode(signature.parsed.signature),
                       "MEQCIEAChkU9U7DG2G02WJFJcfwa/JAWehjRj0KO6eWRjqrfAiBsbT5pQUbjQdK13t4A0H0pG52wMJI1NPwZJI567kb9aQ==")
        XCTAssertTrue(DSSE.pae(payloadType: SigstoreBundle.payloadType, payload: signature.parsed.payload)
            .starts(with: Array("DSSEv1 28 application/vnd.in-toto+json 896 {".utf8)))
        try signature.verify(with: key, against: files)

        // zoo's own spelling of the same statement: the spec's 636 canonical bytes.
        let statement = InTotoStatement(modelName: "tiny", files: files)
        XCTAssertEqual(statement.payload.count, 636)
        let spec = try String(contentsOfFile: try specPath(), encoding: .utf8)
        let quoted = try XCTUnwrap(spec.split(separator: "\n").first { $0.hasPrefix("       {\"_type\"") })
        XCTAssertEqual(statement.payload, Array(quoted.dropFirst(7).utf8))

        try writeFile(tiny + "/weights.bin", [0, 0, 0x80, 0x3f, 0, 0, 0, 0x41])
        XCTAssertEqual(signingError { try signature.verify(with: key, against: SignedFolder.files(in: tiny)) },
                       SigningError(file: tiny + "/model.sig", reason: .filesDiffer(missing: [], extra: [], changed: ["weights.bin"])))
    }

    func specPath() throws -> String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/spec/signing.md"
    }
}
