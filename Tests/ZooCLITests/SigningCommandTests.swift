import Foundation
import XCTest
import ZooFormat

/// `zoo sign`, `show`, `verify --key`, `export --format folder` / `--sign` and `import --key`,
/// against keys made by the `openssl` command and the official `model_signing` 1.1.1 tool.
final class SigningCommandTests: CLITestCase {
    struct Keys {
        var privatePath: String
        var publicPath: String
        var fingerprint: String
    }

    /// An ECDSA key pair made with `openssl`; the fingerprint is the SHA-256 of the public PEM.
    func makeKeys(_ name: String, curve: String = "prime256v1") throws -> Keys {
        let privatePath = scratch + "/\(name).pem", publicPath = scratch + "/\(name).pub"
        try check(program("openssl", ["ecparam", "-name", curve, "-genkey", "-noout", "-out", privatePath]))
        try check(program("openssl", ["ec", "-in", privatePath, "-pubout", "-out", publicPath]))
        let pem = try [UInt8](Data(contentsOf: URL(fileURLWithPath: publicPath)))
        return Keys(privatePath: privatePath, publicPath: publicPath, fingerprint: SHA256.digest(pem).hex)
    }

    func program(_ name: String, _ arguments: [String]) throws -> ZooProcess.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: name.hasPrefix("/") ? name : "/usr/bin/env")
        process.arguments = name.hasPrefix("/") ? arguments : [name] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ZooProcess.Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                                 stderr: String(decoding: e, as: UTF8.self))
    }

    func check(_ result: ZooProcess.Result, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr, file: file, line: line)
    }

    /// The official tool from the test venv.
    func modelSigning(_ arguments: [String]) throws -> ZooProcess.Result {
        guard let python = ProcessInfo.processInfo.environment["ZOO_PYTHON"], !python.isEmpty else {
            XCTFail("ZOO_PYTHON is not set: run `make test` (it makes the venv with model-signing)")
            throw CocoaError(.fileNoSuchFile)
        }
        return try program(python, ["-m", "model_signing"] + arguments)
    }

    func officialVerify(_ folder: String, _ keys: Keys) throws -> ZooProcess.Result {
        try modelSigning(["verify", "key", folder, "--public_key", keys.publicPath, "--signature", folder + "/model.sig"])
    }

    /// A copy of the bert-tiny Hugging Face folder.
    func copyOfBertTiny(_ name: String) throws -> String {
        let folder = scratch + "/" + name
        try FileManager.default.copyItem(atPath: try Fixtures.bertTiny(), toPath: folder)
        return folder
    }

    /// Every regular file below `folder` but model.sig, by relative path, sorted.
    func regularFiles(in folder: String) throws -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if FileSystem.kind(of: folder + "/" + path) == .regular, path != "model.sig" { files.append(path) }
        }
        return files.sorted()
    }

    func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
    func write(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

    // MARK: sign, show, verify

    func testSign_ShowListsIt_VerifyWithTheKeyPasses() throws {
        let digest = try importBertTiny()
        let keys = try makeKeys("signer")
        let signed = try run(["sign", "bert-tiny", "--key", keys.privatePath])
        XCTAssertEqual(signed.stdout, "Signed bert-tiny:latest \(digest) (8 files) with P-256 key \(keys.fingerprint)\n")

        let show = try run(["show", "bert-tiny"]).stdout
        XCTAssertTrue(show.contains("\nsignatures:     key \(keys.fingerprint)  added 20"), show)
        let json = try json(try run(["show", "bert-tiny", "--json"]).stdout)
        XCTAssertEqual(json["signatures"]?.arrayValue?.count, 1)
        XCTAssertEqual(json["signatures"]?.arrayValue?.first?["key"]?.stringValue, keys.fingerprint)

        let verified = try run(["verify", "bert-tiny", "--key", keys.publicPath])
        XCTAssertTrue(verified.stdout.contains("OK signed by P-256 key \(keys.fingerprint): 8 files (signature added 20"), verified.stdout)
        let report = try self.json(try run(["verify", "bert-tiny", "--key", keys.publicPath, "--json"]).stdout)
        XCTAssertEqual(report["signature"]?["key"]?.stringValue, keys.fingerprint)

        // Signing again with a P-384 key adds a second signature; both verify.
        let other = try makeKeys("second", curve: "secp384r1")
        try run(["sign", "bert-tiny", "--key", other.privatePath, "--json"])
        XCTAssertEqual(try self.json(try run(["show", "bert-tiny", "--json"]).stdout)["signatures"]?.arrayValue?.count, 2)
        try run(["verify", "bert-tiny", "--key", other.publicPath])
        try run(["verify", "bert-tiny", "--key", keys.publicPath])
    }

    func testVerify_UnsignedOrOtherKey_Exit1WithReason() throws {
        let digest = try importBertTiny()
        let signer = try makeKeys("signer"), stranger = try makeKeys("stranger")
        assertErrorLine(try run(["verify", "bert-tiny", "--key", signer.publicPath], expect: 1),
                        contains: ["bert-tiny:latest (\(digest)): the model has no signature"])
        try run(["sign", "bert-tiny", "--key", signer.privatePath])
        assertErrorLine(try run(["verify", "bert-tiny", "--key", stranger.publicPath], expect: 1),
                        contains: ["no signature by key \(stranger.fingerprint); its signatures name keys \(signer.fingerprint)"])
    }

    func testSign_WithAPublicKey_Refused() throws {
        try importBertTiny()
        let keys = try makeKeys("k")
        assertErrorLine(try run(["sign", "bert-tiny", "--key", keys.publicPath], expect: 1),
                        contains: ["\(keys.publicPath): holds a public key, but a private key is needed"])
        XCTAssertFalse(FileSystem.kind(of: storeRoot + "/signatures") == .directory)
    }

    /// A signature copied in the store to another model's folder covers other files.
    func testVerify_SignatureMovedToAnotherModel_Refused() throws {
        let bert = try importBertTiny()
        try Fixtures.writeCheckpoint(at: scratch + "/tiny")
        let tiny = try run(["import", scratch + "/tiny"]).importedDigest
        let keys = try makeKeys("k")
        try run(["sign", "bert-tiny", "--key", keys.privatePath])
        let from = storeRoot + "/signatures/" + bert.dropFirst(7)
        let to = storeRoot + "/signatures/" + tiny.dropFirst(7)
        try FileManager.default.copyItem(atPath: from, toPath: to)
        let result = try run(["verify", "tiny", "--key", keys.publicPath], expect: 1)
        assertErrorLine(result, contains: ["the files do not match the signature; changed since signing: assets/config.json, manifest.json, "
                                           + "shards/00000.bin; signed but missing: assets/README.md, assets/tokenizer_config.json"])
    }

    func testRemoveAndGC_DropSignaturesOfModelsThatAreGone() throws {
        let digest = try importBertTiny()
        let keys = try makeKeys("k")
        try run(["sign", "bert-tiny", "--key", keys.privatePath])
        let folder = storeRoot + "/signatures/" + digest.dropFirst(7)
        XCTAssertEqual(FileSystem.kind(of: folder), .directory)
        try run(["rm", "bert-tiny"])
        XCTAssertEqual(FileSystem.kind(of: folder), .missing)
        // A leftover folder (say, from a crash between removal steps) goes with gc.
        try FileSystem.makeDirectories(folder)
        try run(["gc"])
        XCTAssertEqual(FileSystem.kind(of: folder), .missing)
    }

    // MARK: export

    func testExportFolder_WritesNewestSignature_OfficialToolAccepts() throws {
        try importBertTiny()
        let keys = try makeKeys("k")
        try run(["sign", "bert-tiny", "--key", keys.privatePath])
        let out = scratch + "/exported"
        let exported = try json(try run(["export", "bert-tiny", "--format", "folder", "-o", out, "--json"]).stdout)
        XCTAssertEqual(exported["signature"]?.stringValue, keys.fingerprint)
        XCTAssertEqual(FileSystem.kind(of: out + "/model.sig"), .regular)
        XCTAssertEqual(FileSystem.kind(of: out + "/manifest.json"), .regular)
        let official = try officialVerify(out, keys)
        XCTAssertEqual(official.status, 0, official.stdout + official.stderr)
        try run(["verify", out, "--key", keys.publicPath])

        // A flipped byte in any file: the official tool and zoo both refuse, naming the file.
        let files = try regularFiles(in: out)
        XCTAssertEqual(files.count, 8, "\(files)")
        for file in files {
            let path = out + "/" + file
            let original = try bytes(path)
            var flipped = original
            flipped[flipped.count / 2] ^= 0x01
            try write(flipped, path)
            let refused = try officialVerify(out, keys)
            XCTAssertNotEqual(refused.status, 0, file)
            XCTAssertTrue(refused.stderr.contains("Hash mismatch for") && refused.stderr.contains(file), refused.stderr)
            let zoo = try run(["verify", out, "--key", keys.publicPath], expect: 1)
            XCTAssertTrue(zoo.stderr.contains("changed since signing: \(file)"), zoo.stderr)
            try write(original, path)
        }

        // Two signatures: the newest is written, and stderr says so.
        let second = try makeKeys("second", curve: "secp384r1")
        try run(["sign", "bert-tiny", "--key", second.privatePath])
        let again = try run(["export", "bert-tiny", "--format", "folder", "-o", scratch + "/again"])
        XCTAssertTrue(again.stderr.contains("the model has 2 signatures; model.sig is the newest (key \(second.fingerprint)"), again.stderr)
        XCTAssertEqual(try officialVerify(scratch + "/again", second).status, 0)
    }

    func testExportSafetensorsSign_OfficialToolAccepts_ImportKeyAccepts() throws {
        try importBertTiny()
        let keys = try makeKeys("k", curve: "secp384r1")
        let out = scratch + "/hf"
        try run(["export", "bert-tiny", "--format", "safetensors", "-o", out, "--sign", keys.privatePath])
        XCTAssertEqual(FileSystem.kind(of: out + "/model.safetensors"), .regular)
        let official = try officialVerify(out, keys)
        XCTAssertEqual(official.status, 0, official.stdout + official.stderr)

        // Into another store: verified first; an HF folder's signature is not kept.
        let other = ZooProcess(home: scratch + "/store2")
        let imported = try other.run(["import", out, "--key", keys.publicPath, "--name", "signed-hf"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.hasPrefix("Verified \(out)/model.sig: 5 files signed by P-384 key \(keys.fingerprint)\n"), imported.stdout)
        XCTAssertTrue(imported.stderr.contains("is not kept"), imported.stderr)
        XCTAssertEqual(FileSystem.kind(of: scratch + "/store2/signatures"), .missing)

        let refused = try run(["export", "bert-tiny", "-o", scratch + "/x.safetensors", "--sign", keys.privatePath], expect: 2)
        XCTAssertTrue(refused.stderr.hasPrefix("Error: --sign writes model.sig into a folder"), refused.stderr)
    }

    // MARK: import --key

    func testImportKey_ZooFolderExport_KeepsSignatureInTheNewStore() throws {
        let digest = try importBertTiny()
        let keys = try makeKeys("k")
        try run(["sign", "bert-tiny", "--key", keys.privatePath])
        let out = scratch + "/exported"
        try run(["export", "bert-tiny", "--format", "folder", "-o", out])
        let other = ZooProcess(home: scratch + "/store2")
        let imported = try other.run(["import", out, "--key", keys.publicPath, "--json"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let report = try json(imported.stdout)
        XCTAssertEqual(report["digest"]?.stringValue, digest)
        XCTAssertEqual(report["signature"]?["kept"], .bool(true))
        XCTAssertEqual(try other.run(["verify", digest, "--key", keys.publicPath]).status, 0)
        XCTAssertTrue(try other.run(["show", digest]).stdout.contains("key \(keys.fingerprint)"))
    }

    func testImportKey_OfficialSignatureOverHFFolder_Accepted() throws {
        let keys = try makeKeys("k")
        let folder = try copyOfBertTiny("bert-signed")
        try check(modelSigning(["sign", "key", folder, "--private_key", keys.privatePath, "--signature", folder + "/model.sig"]))
        let imported = try run(["import", folder, "--key", keys.publicPath])
        XCTAssertTrue(imported.stdout.contains("files signed by P-256 key \(keys.fingerprint)"), imported.stdout)
    }

    /// Every refusal leaves the store as it was: nothing imported.
    func testImportKey_EachTampering_RefusedAndNothingStored() throws {
        let signer = try makeKeys("signer"), stranger = try makeKeys("stranger")
        let folder = try copyOfBertTiny("bert-signed")
        try check(modelSigning(["sign", "key", folder, "--private_key", signer.privatePath, "--signature", folder + "/model.sig"]))
        let signature = try bytes(folder + "/model.sig")
        func refused(_ fragments: [String], key: Keys? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
            let result = try run(["import", folder, "--key", (key ?? signer).publicPath], expect: 1, file: file, line: line)
            assertErrorLine(result, contains: fragments, file: file, line: line)
            XCTAssertEqual(FileSystem.kind(of: storeRoot + "/refs"), .missing, "nothing stored", file: file, line: line)
        }
        try refused(["signed by another key: the signature names key \(signer.fingerprint), the given key is \(stranger.fingerprint)"],
                    key: stranger)

        let files = try regularFiles(in: folder)
        XCTAssertEqual(files, ["README.md", "config.json", "model.safetensors", "tokenizer_config.json", "vocab.txt"])
        for file in files {
            let path = folder + "/" + file
            let original = try bytes(path)
            var flipped = original
            flipped[0] ^= 0x20
            try write(flipped, path)
            try refused(["\(folder)/model.sig: the files do not match the signature; changed since signing: \(file)"])
            try write(original, path)
        }

        try write(Array("x".utf8), folder + "/extra.txt")
        try refused(["not covered by the signature: extra.txt"])
        try FileManager.default.removeItem(atPath: folder + "/extra.txt")

        let vocab = try bytes(folder + "/vocab.txt")
        try FileManager.default.removeItem(atPath: folder + "/vocab.txt")
        try refused(["signed but missing: vocab.txt"])
        try write(vocab, folder + "/vocab.txt")

        try write(Array(signature.prefix(signature.count / 2)), folder + "/model.sig")
        try refused(["\(folder)/model.sig: not a signature bundle: JSON ends early"])

        // Re-encoded: the same statement pretty-printed again no longer matches what was signed.
        let bundle = try JSONValue(parsing: signature)
        let payload = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(bundle["dsseEnvelope"]?["payload"]?.stringValue)))
        let statement = try JSONSerialization.jsonObject(with: payload)
        let reencoded = try JSONSerialization.data(withJSONObject: statement, options: [.sortedKeys])
        let text = String(decoding: signature, as: UTF8.self)
            .replacingOccurrences(of: bundle["dsseEnvelope"]!["payload"]!.stringValue!, with: reencoded.base64EncodedString())
        try write(Array(text.utf8), folder + "/model.sig")
        try refused(["the signature does not verify with key \(signer.fingerprint)"])

        try FileManager.default.removeItem(atPath: folder + "/model.sig")
        try refused(["\(folder)/model.sig: open(\(folder)/model.sig) failed: No such file or directory"])
        try write(signature, folder + "/model.sig")
        try run(["import", folder, "--key", signer.publicPath])
    }

    /// A zoo folder export's signature put into another model's exported folder.
    func testImportKey_SignatureMovedToAnotherModelsFolder_Refused() throws {
        try importBertTiny()
        try Fixtures.writeCheckpoint(at: scratch + "/tiny")
        try run(["import", scratch + "/tiny"])
        let keys = try makeKeys("k")
        try run(["sign", "bert-tiny", "--key", keys.privatePath])
        try run(["export", "bert-tiny", "--format", "folder", "-o", scratch + "/bert"])
        try run(["export", "tiny", "--format", "folder", "-o", scratch + "/tiny-out"])
        try FileManager.default.copyItem(atPath: scratch + "/bert/model.sig", toPath: scratch + "/tiny-out/model.sig")
        let other = ZooProcess(home: scratch + "/store2")
        let result = try other.run(["import", scratch + "/tiny-out", "--key", keys.publicPath])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("changed since signing: assets/config.json, manifest.json, shards/00000.bin"), result.stderr)
        XCTAssertEqual(FileSystem.kind(of: scratch + "/store2/refs"), .missing)
    }
}
