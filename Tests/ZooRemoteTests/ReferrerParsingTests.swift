import XCTest
import ZooFormat
@testable import ZooRemote

/// Signature artifacts and referrers lists as bytes: what zoo writes, and what it refuses from a
/// registry. The referrers API answers here have the shape of the distribution spec 1.1 example
/// (the CNCF registry the transfer tests use has no such API, so they cannot come from it).
final class ReferrerParsingTests: XCTestCase {
    private let subject = OCIDescriptor(mediaType: OCIMediaType.imageManifest,
                                        digest: SHA256.digest(Array("model manifest".utf8)), size: 1234)
    private let bundle = Array(#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#.utf8)

    private func bytes(_ json: JSONValue) -> [UInt8] { json.canonicalBytes }

    private func assertInvalid(_ json: JSONValue, _ why: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SignatureArtifact(parsing: bytes(json), source: "s"), file: file, line: line) { error in
            XCTAssertEqual((error as? RemoteError)?.reason, .invalidSignature(source: "s", why: why), file: file, line: line)
        }
    }

    func testArtifact_Bytes_AreTheOCIArtifactShape() throws {
        let artifact = SignatureArtifact(bundle: bundle, subject: subject)
        let json = try JSONValue(parsing: artifact.bytes)
        XCTAssertEqual(json["artifactType"], "application/vnd.dev.sigstore.bundle.v0.3+json")
        XCTAssertEqual(json["mediaType"], "application/vnd.oci.image.manifest.v1+json")
        XCTAssertEqual(json["config"], [
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2,
        ])
        XCTAssertEqual(json["layers"]?.arrayValue?.count, 1)
        XCTAssertEqual(json["layers"]?.arrayValue?.first?["digest"]?.stringValue, SHA256.digest(bundle).description)
        XCTAssertEqual(json["subject"]?["digest"]?.stringValue, subject.digest.description)
        XCTAssertEqual(json["subject"]?["size"], 1234)
        XCTAssertEqual(try SignatureArtifact(parsing: artifact.bytes, source: "s"), artifact, "round trip")
        XCTAssertEqual(artifact.digest, SignatureArtifact(bundle: bundle, subject: subject).digest, "no time stamp: deterministic")
        XCTAssertEqual(artifact.referrerDescriptor.artifactType, OCIMediaType.sigstoreBundle)
        XCTAssertEqual(artifact.referrerDescriptor.size, artifact.bytes.count)
    }

    func testArtifact_MalformedManifests_AreRefusedSayingWhy() throws {
        let good = SignatureArtifact(bundle: bundle, subject: subject).json.objectValue ?? [:]
        func with(_ key: String, _ value: JSONValue?) -> JSONValue {
            var copy = good
            copy[key] = value
            return .object(copy)
        }
        assertInvalid(with("artifactType", "application/vnd.zoo.checkpoint.v1"),
                      "artifactType is not application/vnd.dev.sigstore.bundle.v0.3+json")
        assertInvalid(with("mediaType", .string(OCIMediaType.imageIndex)), "mediaType is not application/vnd.oci.image.manifest.v1+json")
        assertInvalid(with("schemaVersion", 1), "schemaVersion is not 2")
        assertInvalid(with("subject", nil), "subject is missing")
        assertInvalid(with("config", OCIDescriptor(mediaType: OCIMediaType.empty, digest: SHA256.digest([]), size: 0).json),
                      "config is not the empty descriptor (application/vnd.oci.empty.v1+json, {})")
        let layer = good["layers"]?.arrayValue?.first ?? .null
        assertInvalid(with("layers", [layer, layer]), "it does not have exactly one layer (the bundle)")
        assertInvalid(with("layers", []), "it does not have exactly one layer (the bundle)")
        var wrongType = layer.objectValue ?? [:]
        wrongType["mediaType"] = "application/octet-stream"
        assertInvalid(with("layers", [.object(wrongType)]), "layers[0] is application/octet-stream, not application/vnd.dev.sigstore.bundle.v0.3+json")
        var huge = layer.objectValue ?? [:]
        huge["size"] = .integer(Int64(SignatureArtifact.maxBundleByteCount) + 1)
        assertInvalid(with("layers", [.object(huge)]), "the bundle is 1048577 bytes, over the 1048576-byte limit")
        var badDigest = layer.objectValue ?? [:]
        badDigest["digest"] = "sha512:abc"
        assertInvalid(with("layers", [.object(badDigest)]),
                      "layers[0]: digest \"sha512:abc\" is not sha256:<64 lowercase hex> (the only algorithm zoo reads)")

        XCTAssertThrowsError(try SignatureArtifact(parsing: Array("[1]".utf8), source: "s")) { error in
            XCTAssertEqual((error as? RemoteError)?.reason, .invalidSignature(source: "s", why: "its manifest is not a JSON object"))
        }
        let padded = Array(repeating: UInt8(ascii: " "), count: SignatureArtifact.maxManifestByteCount) + Array("{}".utf8)
        XCTAssertThrowsError(try SignatureArtifact(parsing: padded, source: "s")) { error in
            XCTAssertEqual((error as? RemoteError)?.reason,
                           .invalidSignature(source: "s", why: "its manifest is 65538 bytes, over the 65536-byte limit"))
        }
        for n in 0..<SignatureArtifact(bundle: bundle, subject: subject).bytes.count {
            XCTAssertThrowsError(try SignatureArtifact(parsing: Array(SignatureArtifact(bundle: bundle, subject: subject).bytes.prefix(n)),
                                                       source: "s"), "prefix \(n)")
        }
    }

    func testArtifact_RequireSubject_RefusesAnotherManifest() throws {
        let artifact = SignatureArtifact(bundle: bundle, subject: subject)
        XCTAssertNoThrow(try artifact.requireSubject(subject.digest, source: "s"))
        let elsewhere = SHA256.digest(Array("another".utf8))
        XCTAssertThrowsError(try artifact.requireSubject(elsewhere, source: "s")) { error in
            XCTAssertEqual((error as? RemoteError)?.reason, .invalidSignature(
                source: "s", why: "its subject is \(subject.digest), not the pulled manifest \(elsewhere)"))
        }
    }

    /// The referrers API's answer, shaped like the distribution spec 1.1 example: an image index
    /// mixing artifact types, with annotations; registries need not filter, so zoo does.
    func testReferrersAPIReply_IsFilteredByArtifactTypeAndDeduplicated() throws {
        let signature = SignatureArtifact(bundle: bundle, subject: subject).referrerDescriptor
        let sbom: JSONValue = [
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1234,
            "digest": "sha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
            "artifactType": "application/vnd.example.sbom.v1",
            "annotations": ["org.opencontainers.image.created": "2022-01-01T14:42:55Z", "org.example.sbom.format": "json"],
        ]
        let reply: JSONValue = [
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [sbom, signature.json, signature.json, "not a descriptor",
                          ["mediaType": "application/vnd.oci.image.index.v1+json", "size": 1,
                           "digest": .string(SHA256.digest([1]).description), "artifactType": .string(OCIMediaType.sigstoreBundle)]],
        ]
        let index = try ReferrersIndex(parsing: bytes(reply), source: "r")
        XCTAssertEqual(index.entries.count, 5)
        XCTAssertEqual(index.manifests(ofType: OCIMediaType.sigstoreBundle), [signature], "one, and only image manifests")
        XCTAssertEqual(index.manifests(ofType: "application/vnd.example.sbom.v1").map(\.size), [1234])
    }

    func testReferrersIndex_ManyEntries_AreCappedAtTheSignatureLimit() throws {
        var index = ReferrersIndex()
        for i in 0..<100 {
            let artifact = SignatureArtifact(bundle: Array("bundle \(i)".utf8), subject: subject)
            XCTAssertTrue(index.add(artifact.referrerDescriptor))
        }
        XCTAssertEqual(index.manifests(ofType: OCIMediaType.sigstoreBundle).count, ReferrersIndex.maxSignatureCount)
    }

    func testReferrersIndex_AddKeepsOtherMembersAndEntries() throws {
        let foreign: JSONValue = ["mediaType": "application/vnd.example+json", "digest": "sha256:zz", "size": 3]
        let original: JSONValue = ["schemaVersion": 2, "manifests": [foreign], "annotations": ["owner": "other tool"]]
        var index = try ReferrersIndex(parsing: bytes(original), source: "t")
        let descriptor = SignatureArtifact(bundle: bundle, subject: subject).referrerDescriptor
        XCTAssertTrue(index.add(descriptor))
        XCTAssertFalse(index.add(descriptor), "already listed")
        let written = try JSONValue(parsing: index.bytes)
        XCTAssertEqual(written["annotations"], ["owner": "other tool"])
        XCTAssertEqual(written["mediaType"], "application/vnd.oci.image.index.v1+json")
        XCTAssertEqual(written["manifests"], [foreign, descriptor.json])
    }

    func testReferrersIndex_NotAnIndex_IsRefused() throws {
        let cases: [(JSONValue, String)] = [
            (["schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "manifests": []],
             "referrers list: mediaType is not application/vnd.oci.image.index.v1+json"),
            (["schemaVersion": 2], "referrers list: manifests is missing or not an array"),
            (["schemaVersion": 2, "manifests": "x"], "referrers list: manifests is missing or not an array"),
            (["manifests": []], "referrers list: schemaVersion is not 2"),
        ]
        for (json, why) in cases {
            XCTAssertThrowsError(try ReferrersIndex(parsing: bytes(json), source: "t")) { error in
                XCTAssertEqual((error as? RemoteError)?.reason, .invalidSignature(source: "t", why: why))
            }
        }
        let huge = [UInt8](repeating: UInt8(ascii: " "), count: ReferrersIndex.maxByteCount + 1)
        XCTAssertThrowsError(try ReferrersIndex(parsing: huge, source: "t")) { error in
            XCTAssertEqual((error as? RemoteError)?.reason,
                           .invalidSignature(source: "t", why: "referrers list: 4194305 bytes, over the 4194304-byte limit"))
        }
    }

    func testReferrersTag_IsAlgorithmDashHex() {
        XCTAssertEqual(ReferrersIndex.tag(for: subject.digest), "sha256-" + subject.digest.hex)
        XCTAssertEqual(ReferrersIndex.tag(for: subject.digest).count, 71)
    }
}
