import XCTest
import ZooFormat
@testable import ZooSigning

/// Both ways with the official tool, `model_signing` 1.1.1 from the test venv (`sign key` and
/// `verify key`).
final class InteropTests: XCTestCase {
    func modelSigning(_ arguments: [String]) throws -> ProcessResult {
        try runProgram(try venvPython(), ["-m", "model_signing"] + arguments)
    }

    /// `model_signing sign key FOLDER` with `pair`'s private key, writing `signature`.
    func officialSign(_ folder: String, _ pair: KeyPair, signature: String) throws -> ProcessResult {
        try modelSigning(["sign", "key", folder, "--private_key", pair.privatePath, "--signature", signature])
    }

    /// `model_signing verify key FOLDER` against `FOLDER/model.sig` with `pair`'s public key.
    func officialVerify(_ folder: String, _ pair: KeyPair) throws -> ProcessResult {
        try modelSigning(["verify", "key", folder, "--public_key", pair.publicPath, "--signature", folder + "/model.sig"])
    }

    func testOfficialSignature_ZooVerifies_P256AndP384() throws {
        let dir = try makeTemporaryDirectory(self)
        for curve in ["prime256v1", "secp384r1"] {
            let pair = try KeyPair(curve: curve, in: dir, name: curve)
            let model = dir + "/model-\(curve)"
            try makeModelFolder(model)
            let signed = try officialSign(model, pair, signature: model + "/model.sig")
            XCTAssertEqual(signed.status, 0, signed.stderr)
            let signature = try ModelSignature(file: model + "/model.sig")
            XCTAssertEqual(signature.keyHint, try pair.verifyingKey.fingerprint)
            XCTAssertEqual(signature.modelName, "model-\(curve)")
            let files = try SignedFolder.files(in: model)
            XCTAssertEqual(files.map(\.path), ["a/b", "a.txt", "config.json", "empty", "model.safetensors"])
            // The official tool lists resources in the same order as zoo's folder walk.
            XCTAssertEqual(signature.files, files)
            try signature.verify(with: pair.verifyingKey, against: files)

            // A flipped byte in any file is refused, naming it.
            for file in files {
                let path = model + "/" + file.path
                let original = try readFile(path)
                try writeFile(path, original.isEmpty ? [0] : [original[0] ^ 0xff] + original.dropFirst())
                XCTAssertEqual(signingError { try signature.verify(with: pair.verifyingKey, against: SignedFolder.files(in: model)) }?.reason,
                               .filesDiffer(missing: [], extra: [], changed: [file.path]))
                try writeFile(path, original)
            }
        }
    }

    func testZooSignature_OfficialVerifies_AndRejectsTampering() throws {
        let dir = try makeTemporaryDirectory(self)
        for curve in ["prime256v1", "secp384r1"] {
            let pair = try KeyPair(curve: curve, in: dir, name: curve)
            let model = dir + "/zoo-\(curve)"
            try makeModelFolder(model)
            let signature = try ModelSignature.sign(SignedFolder.files(in: model), modelName: "zoo-\(curve)", with: pair.signingKey)
            try writeFile(model + "/model.sig", signature.bundle)
            let verified = try officialVerify(model, pair)
            XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
            XCTAssertTrue(verified.stdout.contains("Verification succeeded"), verified.stdout)

            try writeFile(model + "/extra.bin", [1])
            let extra = try officialVerify(model, pair)
            XCTAssertNotEqual(extra.status, 0)
            XCTAssertTrue(extra.stderr.contains("extra.bin"), extra.stderr)
        }
    }

    func testFolder_SymbolicLink_RefusedLikeTheOfficialTool() throws {
        let dir = try makeTemporaryDirectory(self)
        let model = dir + "/linked"
        try makeModelFolder(model)
        try FileManager.default.createSymbolicLink(atPath: model + "/.git/link", withDestinationPath: "/etc/hostname")
        XCTAssertEqual(signingError { _ = try SignedFolder.files(in: model) }, SigningError(file: model, reason: .symbolicLink(".git/link")))
        let pair = try KeyPair(curve: "prime256v1", in: dir)
        let official = try officialSign(model, pair, signature: dir + "/x.sig")
        XCTAssertNotEqual(official.status, 0)
        XCTAssertTrue(official.stderr.contains("symlink"), official.stderr)
    }

    func testFolder_IgnoredPaths_OnlyAtTheTop() throws {
        let dir = try makeTemporaryDirectory(self)
        let model = dir + "/m"
        try writeFile(model + "/model.sig", [1])
        try writeFile(model + "/.github/workflows/ci.yml", [2])
        try writeFile(model + "/sub/model.sig", [3])
        try writeFile(model + "/sub/.gitignore", [4])
        XCTAssertEqual(try SignedFolder.files(in: model).map(\.path), ["sub/.gitignore", "sub/model.sig"])
        XCTAssertEqual(try SignedFolder.files(in: model, ignoring: []).map(\.path),
                       [".github/workflows/ci.yml", "model.sig", "sub/.gitignore", "sub/model.sig"])
    }
}
