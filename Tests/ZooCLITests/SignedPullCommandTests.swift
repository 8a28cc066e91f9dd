import Foundation
import XCTest
import ZooFormat

/// `zoo sign`, `zoo push` and `zoo pull --key` / the trust policy, end to end against the real
/// CNCF registry (referrers tag fallback) and folder remotes; keys from the `openssl` CLI.
final class SignedPullCommandTests: RemoteCLITestCase {
    /// Both stores' config folder (ZooProcess puts it beside the store): where trust.json goes.
    private var configFolder: String { scratch + "/zoo-config" }

    override func setUpWithError() throws {
        try super.setUpWithError()
        for name in ["alice", "bob"] {
            try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", privateKey(name)])
            try openssl(["pkey", "-in", privateKey(name), "-pubout", "-out", publicKey(name)])
        }
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "openssl \(arguments)")
    }

    private func privateKey(_ name: String) -> String { scratch + "/\(name).pem" }
    private func publicKey(_ name: String) -> String { scratch + "/\(name).pub" }

    /// The first 16 hex digits of a public key's fingerprint: SHA-256 of its PEM text.
    private func fingerprint(_ name: String) throws -> String {
        let bytes = try XCTUnwrap(try FileSystem.readFile(publicKey(name), limit: 1 << 16))
        return String(SHA256.digest(bytes).hex.prefix(16))
    }

    private var other: ZooProcess { ZooProcess(home: scratch + "/target") }

    /// The target store holds no name, blob or signature after a refused pull.
    private func assertNothingStored(file: StaticString = #filePath, line: UInt = #line) throws {
        let listed = try other.run(["list", "--json"])
        XCTAssertEqual(listed.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "[]", file: file, line: line)
        for folder in ["blobs/sha256", "signatures", "refs"] {
            let path = scratch + "/target/" + folder
            let names = FileSystem.kind(of: path) == .directory ? try FileSystem.listDirectory(path) : []
            XCTAssertEqual(names, [], "\(folder) of the refused pull's store", file: file, line: line)
        }
    }

    /// Imports a small model as `big`, signs it with `signer` (unless nil) and pushes it to `destination`.
    @discardableResult
    private func pushModel(to destination: String, signedBy signer: String?, seed: UInt32 = 1) throws -> ZooProcess.Result {
        try importBig(count: 1, megabytes: 1, seed: seed)
        if let signer { try run(["sign", "big", "--key", privateKey(signer)]) }
        return try run(["push", "big", destination])
    }

    func testSignedPush_PullWithTheKey_VerifiesAndStoresTheSignature() throws {
        let registry = try startRegistry()
        let pushed = try pushModel(to: "oci://\(registry.address)/team/big:v1", signedBy: "alice")
        let lines = pushed.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, pushed.stdout)
        XCTAssertEqual(lines.last, "1 signature sent as referrers of the manifest")

        let pulled = try other.run(["pull", "oci://\(registry.address)/team/big:v1", "--key", publicKey("bob"),
                                    "--key", publicKey("alice")])
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
        XCTAssertEqual(pulled.stdout.split(separator: "\n").last.map(String.init),
                       "Signature verified: key \(try fingerprint("alice")) (\(publicKey("alice")))")
        let json = try self.json(try other.run(["pull", "oci://\(registry.address)/team/big:v1", "--key", publicKey("alice"),
                                                "--json"]).stdout)
        XCTAssertEqual(json["signatures"]?.arrayValue?.first?["key"]?.stringValue, publicKey("alice"))
        let verified = try other.run(["verify", "team/big:v1", "--key", publicKey("alice")])
        XCTAssertEqual(verified.status, 0, "the pulled signature was stored with the model: \(verified.stderr)")
    }

    func testPull_SignedByAnotherKey_RefusedWithExit1AndNothingStored() throws {
        let registry = try startRegistry()
        try pushModel(to: "oci://\(registry.address)/big:v1", signedBy: "bob")
        let refused = try other.run(["pull", "oci://\(registry.address)/big:v1", "--key", publicKey("alice")])
        XCTAssertEqual(refused.status, 1)
        assertErrorLine(refused, contains: ["refused oci://\(registry.address)/big:v1: no signature by the key \(publicKey("alice"))",
                                            "signed by another key", "; nothing was stored"])
        try assertNothingStored()
    }

    func testPull_UnsignedModelWithKey_RefusedAndNothingStored() throws {
        let registry = try startRegistry()
        try pushModel(to: "oci://\(registry.address)/big:v1", signedBy: nil)
        let refused = try other.run(["pull", "oci://\(registry.address)/big:v1", "--key", publicKey("alice")])
        XCTAssertEqual(refused.status, 1)
        assertErrorLine(refused, contains: ["(the model has no signatures); nothing was stored"])
        try assertNothingStored()
    }

    func testTrustPolicy_MakesAPlainPullVerify() throws {
        let registry = try startRegistry()
        try pushModel(to: "oci://\(registry.address)/team/big:v1", signedBy: "alice")
        try FileSystem.makeDirectories(configFolder)
        try FileSystem.writeAtomically(Array("""
            {"rules": [{"location": "oci://\(registry.address)/team", "keys": ["\(publicKey("bob"))"]}]}
            """.utf8), to: configFolder + "/trust.json")
        let refused = try other.run(["pull", "oci://\(registry.address)/team/big:v1"])
        XCTAssertEqual(refused.status, 1, refused.stdout)
        assertErrorLine(refused, contains: ["no signature by the key \(publicKey("bob"))", "nothing was stored"])
        try assertNothingStored()

        // zoo trust: replace the rule with one naming alice's key, for a remote.
        XCTAssertEqual(try other.run(["remote", "add", "hub", "oci://\(registry.address)/team"]).status, 0)
        XCTAssertEqual(try other.run(["trust", "rm", "1"]).stdout, "Removed trust rule 1\n")
        let added = try other.run(["trust", "add", "--remote", "hub", "--key", publicKey("alice")])
        XCTAssertEqual(added.stdout, "Added trust rule 1: remote hub -> \(publicKey("alice"))\n", added.stderr)
        let listed = try json(try other.run(["trust", "list", "--json"]).stdout)
        XCTAssertEqual(listed, [["rule": 1, "remote": "hub", "location": nil, "name": nil, "keys": [.string(publicKey("alice"))]]])

        let pulled = try other.run(["pull", "oci://\(registry.address)/team/big:v1"])
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
        XCTAssertTrue(pulled.stdout.contains("Signature verified: key \(try fingerprint("alice"))"), pulled.stdout)
        // --key adds a requirement to the policy's: bob's key is also needed now, and missing.
        let both = try other.run(["pull", "hub:big:v1", "--key", publicKey("bob"), "--name", "again"])
        XCTAssertEqual(both.status, 1)
        assertErrorLine(both, contains: ["no signature by the key \(publicKey("bob"))"])
    }

    func testTrustPolicy_BadFile_StopsPullsNamingTheFileAndRule() throws {
        let registry = try startRegistry()
        try pushModel(to: "oci://\(registry.address)/big:v1", signedBy: nil)
        try FileSystem.makeDirectories(configFolder)
        try FileSystem.writeAtomically(Array(#"{"rules": [{"remote": "hub", "keys": []}]}"#.utf8), to: configFolder + "/trust.json")
        let failed = try other.run(["pull", "oci://\(registry.address)/big:v1"])
        XCTAssertEqual(failed.status, 1)
        assertErrorLine(failed, contains: ["zoo-config/trust.json: rules[0]: keys must be a non-empty array of PEM file paths"])
        try assertNothingStored()
        let usage = try other.run(["trust", "add", "--remote", "hub"])
        XCTAssertEqual(usage.status, 2, "no --key is a usage error")
    }

    func testFolderRemote_SignedPushAndPull() throws {
        let pushed = try pushModel(to: scratch + "/layout:big", signedBy: "alice")
        XCTAssertTrue(pushed.stdout.hasSuffix("1 signature sent as referrers of the manifest\n"), pushed.stdout)
        let index = try json(String(decoding: try XCTUnwrap(try FileSystem.readFile(scratch + "/layout/index.json", limit: 1 << 20)),
                                    as: UTF8.self))
        let names = index["manifests"]?.arrayValue?.compactMap { $0["annotations"]?["org.opencontainers.image.ref.name"]?.stringValue }
        XCTAssertEqual(names?.count, 2)
        XCTAssertEqual(names?.first, "big:latest", "entries are sorted by name")
        XCTAssertTrue(names?.last?.hasPrefix("sha256-") ?? false, "the referrers tag: \(names ?? [])")

        let refused = try other.run(["pull", scratch + "/layout:big", "--key", publicKey("bob")])
        XCTAssertEqual(refused.status, 1)
        assertErrorLine(refused, contains: ["signed by another key", "nothing was stored"])
        try assertNothingStored()
        let pulled = try other.run(["pull", scratch + "/layout:big", "--key", publicKey("alice")])
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
        XCTAssertTrue(pulled.stdout.contains("Signature verified: key \(try fingerprint("alice"))"), pulled.stdout)
    }
}
