import XCTest
import ZooFormat
import ZooSigning
import ZooStore
@testable import ZooRemote

/// Signatures through a real CNCF distribution registry (2.8: no referrers API, so the referrers
/// tag) and through folder remotes; keys made by the `openssl` CLI, bundles by ZooSigning.
final class ReferrerTransferTests: XCTestCase {
    private var scratch = ""
    private var registry: RegistryProcess?
    private var source: Store!
    private var tiny: SHA256Digest!
    private var other: SHA256Digest!

    override func setUpWithError() throws {
        scratch = try TestSupport.makeTemporaryDirectory()
        source = Store(root: scratch + "/source")
        try TestSupport.writeSmall(at: scratch + "/tiny", name: "tiny", seed: 1)
        try TestSupport.writeSmall(at: scratch + "/other", name: "tiny", seed: 2)
        tiny = try source.importCheckpoint(try Checkpoint(directory: scratch + "/tiny"), name: try ModelReference(parsing: "tiny:v1"))
        other = try source.importCheckpoint(try Checkpoint(directory: scratch + "/other"), name: try ModelReference(parsing: "other:v1"))
        for name in ["alice", "bob"] {
            _ = try TestSupport.run("/usr/bin/openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                                                         "-out", key(name)])
            _ = try TestSupport.run("/usr/bin/openssl", ["pkey", "-in", key(name), "-pubout", "-out", publicKey(name)])
        }
    }

    override func tearDownWithError() throws {
        registry?.stop()
        try FileSystem.removeTree(scratch)
    }

    private func key(_ name: String) -> String { scratch + "/\(name).pem" }
    private func publicKey(_ name: String) -> String { scratch + "/\(name).pub" }

    private func client(_ store: Store) -> RemoteClient {
        var client = RemoteClient(store: store, environment: [:], workingDirectory: scratch)
        client.insecure = true
        return client
    }

    private func requiring(_ names: String...) -> [SignatureRequirement] {
        [SignatureRequirement(keyFiles: names.map(publicKey), origin: "--key")]
    }

    /// Signs the stored model `digest` with `signer`'s key over its folder form and keeps it in the store.
    @discardableResult
    private func sign(_ digest: SHA256Digest, by signer: String, keep: Bool = true) throws -> ModelSignature {
        let files = SignedFile.folderForm(of: try source.manifest(for: digest), modelDigest: digest)
        let signature = try ModelSignature.sign(files, modelName: "tiny", with: SigningKey(pemFile: key(signer)))
        if keep { try source.addSignature(signature.bundle, for: digest) }
        return signature
    }

    private func startRegistry() throws -> RegistryProcess {
        let started = try RegistryProcess()
        registry = started
        return started
    }

    /// The subject descriptor of a stored model's OCI manifest.
    private func subject(_ digest: SHA256Digest) throws -> OCIDescriptor {
        let oci = OCIImageManifest(checkpoint: try source.manifest(for: digest))
        return OCIDescriptor(mediaType: OCIMediaType.imageManifest, digest: oci.digest, size: oci.bytes.count)
    }

    /// Nothing of a refused pull may remain: no name, no blob, no signature, no session.
    private func assertNothingStored(_ store: Store, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try store.refs(), [], file: file, line: line)
        for directory in [store.blobDirectory, store.signatureDirectory, store.tmpDirectory] {
            let found = FileSystem.kind(of: directory) == .directory ? try TestSupport.fingerprint(directory) : []
            XCTAssertEqual(found, [], "\(directory) holds files", file: file, line: line)
        }
    }

    private func assertRefused(_ pull: @autoclosure () throws -> PullReport, keys: [String], why: String,
                               file: StaticString = #filePath, line: UInt = #line)
    {
        XCTAssertThrowsError(try pull(), file: file, line: line) { error in
            guard case let .signatureRequired(_, refusedKeys, reason)? = (error as? RemoteError)?.reason else {
                return XCTFail("not a signature refusal: \(error)", file: file, line: line)
            }
            XCTAssertEqual(refusedKeys, keys, file: file, line: line)
            XCTAssertTrue(reason.contains(why), "\(reason)", file: file, line: line)
            XCTAssertTrue("\(error)".hasSuffix("; nothing was stored"), "\(error)", file: file, line: line)
        }
    }

    // MARK: Registry

    func testPushSigned_PullWithTheKey_AcceptsAndStoresTheSignature() throws {
        let registry = try startRegistry()
        let signature = try sign(tiny, by: "alice")
        let pushed = try client(source).push(try ModelReference(parsing: "tiny:v1"),
                                             to: try client(source).target("oci://\(registry.address)/team/tiny"))
        XCTAssertEqual(pushed.signatureCount, 1)

        // The registry has no referrers API: the artifact is listed at the referrers tag.
        let connection = try client(source).registry(RegistryAddress(host: registry.address, insecure: true)).connect()
        let tag = "sha256-" + pushed.manifestDigest.hex
        let listed = try XCTUnwrap(try connection.manifest(repository: "team/tiny", version: .tag(tag),
                                                           scopes: [RegistryScope.pull("team/tiny")]))
        let index = try ReferrersIndex(parsing: listed.bytes, source: tag)
        let artifact = SignatureArtifact(bundle: signature.bundle, subject: try subject(tiny))
        XCTAssertEqual(index.manifests(ofType: OCIMediaType.sigstoreBundle), [artifact.referrerDescriptor])
        XCTAssertTrue(registry.log.contains("/v2/team/tiny/manifests/\(artifact.digest)"), "the artifact was PUT by digest")

        let target = Store(root: scratch + "/target")
        let puller = client(target)
        let pulled = try puller.pull(try puller.target("oci://\(registry.address)/team/tiny:v1"), as: nil,
                                     requiring: requiring("alice"))
        XCTAssertEqual(pulled.stored.digest, tiny)
        XCTAssertEqual(pulled.signatures.map(\.keyFile), [publicKey("alice")])
        XCTAssertEqual(pulled.signatures.map(\.fingerprint), [try VerifyingKey(pemFile: publicKey("alice")).fingerprint])
        XCTAssertEqual(pulled.signatures.map(\.artifactDigest), [artifact.digest])
        XCTAssertEqual(try target.signatures(for: tiny).map(\.bundle), [signature.bundle])
        XCTAssertEqual(try target.refs().map(\.description), ["team/tiny:v1"])
    }

    func testPush_Twice_ListsTheSignatureOnceAndKeepsOtherToolsEntries() throws {
        let registry = try startRegistry()
        try sign(tiny, by: "alice")
        let pusher = client(source)
        let target = try pusher.target("oci://\(registry.address)/tiny")
        let first = try pusher.push(try ModelReference(parsing: "tiny:v1"), to: target)

        // Another tool's referrer (an SBOM, say) at the same tag must survive zoo's update.
        let connection = try pusher.registry(RegistryAddress(host: registry.address, insecure: true)).connect()
        let scopes = [RegistryScope.push("tiny")]
        let tag = "sha256-" + first.manifestDigest.hex
        let existing = try XCTUnwrap(try connection.manifest(repository: "tiny", version: .tag(tag), scopes: scopes))
        var index = try ReferrersIndex(parsing: existing.bytes, source: tag)
        let sbom = OCIDescriptor(mediaType: OCIMediaType.imageManifest, digest: try subject(other).digest,
                                 size: try subject(other).size, artifactType: "application/spdx+json")
        try pusher.push(try ModelReference(parsing: "other:v1"), to: target)  // so the registry knows that manifest
        XCTAssertTrue(index.add(sbom))
        try connection.putManifest(repository: "tiny", reference: tag, bytes: index.bytes, mediaType: OCIMediaType.imageIndex,
                                   scopes: scopes)

        try sign(tiny, by: "bob")
        let second = try pusher.push(try ModelReference(parsing: "tiny:v1"), to: target)
        XCTAssertEqual(second.signatureCount, 2)
        let after = try ReferrersIndex(parsing: try XCTUnwrap(try connection.manifest(repository: "tiny", version: .tag(tag),
                                                                                        scopes: scopes)).bytes, source: tag)
        XCTAssertEqual(after.entries.count, 3, "alice's once, the SBOM, bob's")
        XCTAssertEqual(after.manifests(ofType: OCIMediaType.sigstoreBundle).count, 2)
        XCTAssertEqual(after.manifests(ofType: "application/spdx+json"), [sbom])
    }

    func testPull_SignedByAnotherKey_RefusedAndNothingStored() throws {
        let registry = try startRegistry()
        try sign(tiny, by: "bob")
        try client(source).push(try ModelReference(parsing: "tiny:v1"), to: try client(source).target("oci://\(registry.address)/tiny"))
        let target = Store(root: scratch + "/target")
        let puller = client(target)
        assertRefused(try puller.pull(try puller.target("oci://\(registry.address)/tiny:v1"), as: nil, requiring: requiring("alice")),
                      keys: [publicKey("alice")], why: "signed by another key")
        try assertNothingStored(target)
    }

    func testPull_Unsigned_RefusedAndNothingStored() throws {
        let registry = try startRegistry()
        try client(source).push(try ModelReference(parsing: "tiny:v1"), to: try client(source).target("oci://\(registry.address)/tiny"))
        let target = Store(root: scratch + "/target")
        let puller = client(target)
        assertRefused(try puller.pull(try puller.target("oci://\(registry.address)/tiny:v1"), as: nil, requiring: requiring("alice")),
                      keys: [publicKey("alice")], why: "the model has no signatures")
        try assertNothingStored(target)
        // Without a requirement the same pull goes through: the refusal came from the signature check.
        XCTAssertEqual(try puller.pull(try puller.target("oci://\(registry.address)/tiny:v1"), as: nil).stored.digest, tiny)
    }

    func testPull_TamperedBundleLayer_RefusedAndNothingStored() throws {
        let registry = try startRegistry()
        let pusher = client(source)
        try pusher.push(try ModelReference(parsing: "tiny:v1"), to: try pusher.target("oci://\(registry.address)/tiny"))
        // Alice's real signature with one signature byte changed, as a hostile registry could serve it.
        let good = try sign(tiny, by: "alice", keep: false)
        var json = try JSONValue(parsing: good.bundle).objectValue ?? [:]
        var envelope = json["dsseEnvelope"]?.objectValue ?? [:]
        var signatures = envelope["signatures"]?.arrayValue ?? []
        var first = signatures.first?.objectValue ?? [:]
        var sig = Array(try XCTUnwrap(first["sig"]?.stringValue).utf8)
        sig[10] = sig[10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        first["sig"] = .string(String(decoding: sig, as: UTF8.self))
        signatures[0] = .object(first)
        envelope["signatures"] = .array(signatures)
        json["dsseEnvelope"] = .object(envelope)
        let tampered = JSONValue.object(json).canonicalBytes
        let connection = try pusher.registry(RegistryAddress(host: registry.address, insecure: true)).connect()
        try connection.pushSignature(SignatureArtifact(bundle: tampered, subject: try subject(tiny)), bundle: tampered,
                                     repository: "tiny", scopes: [RegistryScope.push("tiny")])

        let target = Store(root: scratch + "/target")
        let puller = client(target)
        assertRefused(try puller.pull(try puller.target("oci://\(registry.address)/tiny:v1"), as: nil, requiring: requiring("alice")),
                      keys: [publicKey("alice")], why: "does not verify with key")
        try assertNothingStored(target)
    }

    func testPull_AnotherModelsSignatureMovedOntoThisSubject_RefusedAndNothingStored() throws {
        let registry = try startRegistry()
        let pusher = client(source)
        let target = try pusher.target("oci://\(registry.address)/tiny")
        let otherSignature = try sign(other, by: "alice")
        let otherPush = try pusher.push(try ModelReference(parsing: "other:v1"), to: target)
        let tinyPush = try pusher.push(try ModelReference(parsing: "tiny:v1"), to: target)
        XCTAssertEqual(tinyPush.signatureCount, 0)
        let connection = try pusher.registry(RegistryAddress(host: registry.address, insecure: true)).connect()
        let scopes = [RegistryScope.push("tiny")]

        // 1. Other's artifact (subject: other's manifest) listed under tiny's referrers tag.
        let moved = SignatureArtifact(bundle: otherSignature.bundle, subject: try subject(other))
        var index = ReferrersIndex()
        index.add(moved.referrerDescriptor)
        try connection.putManifest(repository: "tiny", reference: "sha256-" + tinyPush.manifestDigest.hex, bytes: index.bytes,
                                   mediaType: OCIMediaType.imageIndex, scopes: scopes)
        let store = Store(root: scratch + "/target")
        let puller = client(store)
        let source = try puller.target("oci://\(registry.address)/tiny:v1")
        assertRefused(try puller.pull(source, as: nil, requiring: requiring("alice")), keys: [publicKey("alice")],
                      why: "its subject is \(otherPush.manifestDigest), not the pulled manifest \(tinyPush.manifestDigest)")
        try assertNothingStored(store)

        // 2. Other's bundle re-wrapped in a new artifact whose subject is tiny: alice's signature is
        // genuine, but over other's files.
        try connection.pushSignature(SignatureArtifact(bundle: otherSignature.bundle, subject: try subject(tiny)),
                                     bundle: otherSignature.bundle, repository: "tiny", scopes: scopes)
        assertRefused(try puller.pull(source, as: nil, requiring: requiring("alice")), keys: [publicKey("alice")],
                      why: "changed since signing: manifest.json")
        try assertNothingStored(store)
    }

    func testPull_OneGoodSignatureAmongBadOnes_Accepted() throws {
        let registry = try startRegistry()
        let pusher = client(source)
        try sign(tiny, by: "bob")
        try sign(tiny, by: "alice")
        let target = try pusher.target("oci://\(registry.address)/tiny")
        try pusher.push(try ModelReference(parsing: "tiny:v1"), to: target)
        let store = Store(root: scratch + "/target")
        let puller = client(store)
        let pulled = try puller.pull(try puller.target("oci://\(registry.address)/tiny:v1"), as: nil,
                                     requiring: [SignatureRequirement(keyFiles: [publicKey("alice")], origin: "--key")])
        XCTAssertEqual(pulled.signatures.map(\.keyFile), [publicKey("alice")], "bob's is skipped, not stored")
        XCTAssertEqual(try store.signatures(for: tiny).count, 1)
        // Two requirements: each must be met by its own key.
        let both = try puller.pull(try puller.target("oci://\(registry.address)/tiny:v1"), as: try ModelReference(parsing: "again"),
                                   requiring: [SignatureRequirement(keyFiles: [publicKey("alice")], origin: "a"),
                                               SignatureRequirement(keyFiles: [publicKey("bob")], origin: "b")])
        XCTAssertEqual(Set(both.signatures.map(\.keyFile)), [publicKey("alice"), publicKey("bob")])
    }

    func testReferrersTagHoldingAModel_IsLeftAloneAndRefused() throws {
        let registry = try startRegistry()
        let pusher = client(source)
        let tag = "sha256-" + (try subject(tiny)).digest.hex
        // Someone put a model at tiny's referrers tag: zoo must neither overwrite it nor read it as a list.
        try pusher.push(try ModelReference(parsing: "other:v1"), to: try pusher.target("oci://\(registry.address)/tiny:\(tag)"))
        try sign(tiny, by: "alice")
        XCTAssertThrowsError(try pusher.push(try ModelReference(parsing: "tiny:v1"),
                                             to: try pusher.target("oci://\(registry.address)/tiny"))) { error in
            XCTAssertEqual((error as? RemoteError)?.reason, .invalidSignature(
                source: "http://\(registry.address)/v2/tiny/manifests/\(tag)",
                why: "referrers list: mediaType is not application/vnd.oci.image.index.v1+json"))
        }
        let connection = try pusher.registry(RegistryAddress(host: registry.address, insecure: true)).connect()
        let kept = try XCTUnwrap(try connection.manifest(repository: "tiny", version: .tag(tag), scopes: [RegistryScope.pull("tiny")]))
        XCTAssertEqual(kept.digest, OCIImageManifest(checkpoint: try source.manifest(for: other)).digest, "the tag still names the model")

        let store = Store(root: scratch + "/target")
        XCTAssertThrowsError(try client(store).pull(try client(store).target("oci://\(registry.address)/tiny:v1"), as: nil,
                                                    requiring: requiring("alice"))) { error in
            guard case .invalidSignature? = (error as? RemoteError)?.reason else { return XCTFail("\(error)") }
        }
        try assertNothingStored(store)
    }

    // MARK: Folder remotes

    func testFolderRemote_SignedPushThenPullWithKey_AcceptsAnotherKeyRefuses() throws {
        let pusher = client(source)
        let signature = try sign(tiny, by: "alice")
        let pushed = try pusher.push(try ModelReference(parsing: "tiny:v1"), to: try pusher.target("./layout:tiny"))
        XCTAssertEqual(pushed.signatureCount, 1)
        let layout = try ImageLayout(path: scratch + "/layout")
        let tag = "sha256-" + pushed.manifestDigest.hex
        let entry = try XCTUnwrap(try layout.entries().first { $0.reference == tag })
        XCTAssertEqual(entry.manifest.mediaType, OCIMediaType.imageIndex)
        let artifact = SignatureArtifact(bundle: signature.bundle, subject: try subject(tiny))
        XCTAssertEqual(try layout.signatureReferrers(subject: pushed.manifestDigest), [artifact.referrerDescriptor])
        XCTAssertEqual(try layout.smallBlob(artifact.digest, limit: 1 << 16), artifact.bytes)
        // Pushing again adds nothing; the model listing ignores the referrers tag.
        try pusher.push(try ModelReference(parsing: "tiny:v1"), to: try pusher.target("./layout:tiny"))
        XCTAssertEqual(try layout.entries().map(\.reference), [tag, "tiny:v1"])
        XCTAssertEqual(try pusher.list(.folder(path: layout.path)).map(\.name), ["tiny"])

        let refused = Store(root: scratch + "/refused")
        assertRefused(try client(refused).pull(try client(refused).target("./layout:tiny:v1"), as: nil, requiring: requiring("bob")),
                      keys: [publicKey("bob")], why: "signed by another key")
        try assertNothingStored(refused)

        let store = Store(root: scratch + "/target")
        let pulled = try client(store).pull(try client(store).target("./layout:tiny:v1"), as: nil, requiring: requiring("bob", "alice"))
        XCTAssertEqual(pulled.signatures.map(\.keyFile), [publicKey("alice")])
        XCTAssertEqual(try store.signatures(for: tiny).map(\.bundle), [signature.bundle])
    }

    func testFolderRemote_UnsignedModel_Refused() throws {
        let pusher = client(source)
        try pusher.push(try ModelReference(parsing: "tiny:v1"), to: try pusher.target("./layout:tiny"))
        let store = Store(root: scratch + "/target")
        assertRefused(try client(store).pull(try client(store).target("./layout:tiny:v1"), as: nil, requiring: requiring("alice")),
                      keys: [publicKey("alice")], why: "the model has no signatures")
        try assertNothingStored(store)
    }

    func testPull_KeyFileThatIsNotAKey_FailsNamingTheFile() throws {
        let pusher = client(source)
        try pusher.push(try ModelReference(parsing: "tiny:v1"), to: try pusher.target("./layout:tiny"))
        try FileSystem.writeAtomically(Array("not a key".utf8), to: scratch + "/junk.pem")
        let store = Store(root: scratch + "/target")
        XCTAssertThrowsError(try client(store).pull(try client(store).target("./layout:tiny:v1"), as: nil,
                                                    requiring: [SignatureRequirement(keyFiles: [scratch + "/junk.pem"], origin: "--key")]))
        { error in
            guard case let .signing(signing)? = (error as? RemoteError)?.reason else { return XCTFail("\(error)") }
            XCTAssertEqual(signing.file, scratch + "/junk.pem")
        }
        try assertNothingStored(store)
    }
}
