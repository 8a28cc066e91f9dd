import XCTest
import ZooFormat
@testable import ZooRemote

final class OCIImageManifestTests: XCTestCase {
    private var scratch = ""
    private var manifest: Manifest!

    override func setUpWithError() throws {
        scratch = try TestSupport.makeTemporaryDirectory()
        manifest = try TestSupport.writeSmall(at: scratch + "/model")
    }

    override func tearDownWithError() throws {
        try FileSystem.removeTree(scratch)
    }

    func testInit_Checkpoint_ConfigIsTheZooManifestAndLayersAreShardsThenAssets() {
        let oci = OCIImageManifest(checkpoint: manifest)
        XCTAssertEqual(oci.mediaType, OCIMediaType.imageManifest)
        XCTAssertEqual(oci.artifactType, "application/vnd.zoo.checkpoint.v1")
        XCTAssertEqual(oci.config, OCIDescriptor(mediaType: "application/vnd.zoo.checkpoint.manifest.v1+json",
                                                 digest: manifest.digest, size: manifest.canonicalBytes.count))
        XCTAssertEqual(oci.modelDigest, manifest.digest)
        XCTAssertEqual(oci.layers, [
            OCIDescriptor(mediaType: "application/vnd.zoo.checkpoint.shard.v1", digest: manifest.shards[0].digest,
                          size: manifest.shards[0].length, annotations: ["org.opencontainers.image.title": "shards/00000.bin"]),
            OCIDescriptor(mediaType: "application/vnd.zoo.checkpoint.asset.v1", digest: manifest.assets[0].digest,
                          size: manifest.assets[0].length, annotations: ["org.opencontainers.image.title": "assets/config.json"]),
        ])
        XCTAssertEqual(oci.annotations, [
            "dev.zoo.model.digest": manifest.digest.description, "dev.zoo.model.name": "tiny",
            "dev.zoo.model.family": "autoencoding", "dev.zoo.model.type": "bert", "dev.zoo.model.parameters": "72",
            "dev.zoo.format.version": manifest.formatVersion.description,
        ])
        XCTAssertEqual(oci.totalByteCount, manifest.canonicalBytes.count + manifest.totalByteCount)
    }

    func testBytes_SameCheckpointWrittenTwice_SameCanonicalBytesAndDigest() throws {
        let again = try TestSupport.writeSmall(at: scratch + "/again")
        let first = OCIImageManifest(checkpoint: manifest)
        let second = OCIImageManifest(checkpoint: again)
        XCTAssertEqual(first.bytes, second.bytes)
        XCTAssertEqual(first.digest, second.digest)
        XCTAssertEqual(try JSONValue(parsing: first.bytes).canonicalBytes, first.bytes, "RFC 8785 canonical form")
        XCTAssertEqual(first.digest, SHA256.digest(first.bytes))
        XCTAssertNil(try JSONValue(parsing: first.bytes)["annotations"]?["org.opencontainers.image.created"],
                     "no time stamp: the manifest depends on the content only")
    }

    func testParse_OwnBytes_RoundTrips() throws {
        let oci = OCIImageManifest(checkpoint: manifest)
        let parsed = try OCIImageManifest(parsing: oci.bytes, source: "test")
        XCTAssertEqual(parsed, oci)
        XCTAssertNoThrow(try parsed.requireCheckpoint(source: "test"))
        XCTAssertNoThrow(try parsed.check(against: manifest, source: "test"))
    }

    func testParse_ImageIndex_IsNotACheckpoint() {
        let index = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.utf8)
        XCTAssertThrowsError(try OCIImageManifest(parsing: index, source: "oci://r/x:1")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.notACheckpoint(
                source: "oci://r/x:1", why: "it is an image index (several manifests), not an OCI image manifest")))
        }
    }

    func testParse_Sha512Digest_IsRefusedNamingTheMember() {
        let text = #"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha512:abcd","size":1},"layers":[]}"#
        XCTAssertThrowsError(try OCIImageManifest(parsing: Array(text.utf8), source: "s")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidManifest(
                source: "s", why: "config: digest \"sha512:abcd\" is not sha256:<64 lowercase hex> (the only algorithm zoo reads)")))
        }
    }

    func testRequireCheckpoint_ContainerImageConfig_IsRefused() {
        var oci = OCIImageManifest(checkpoint: manifest)
        oci.config.mediaType = "application/vnd.oci.image.config.v1+json"
        oci.artifactType = nil
        XCTAssertThrowsError(try oci.requireCheckpoint(source: "s")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.notACheckpoint(
                source: "s", why: "its config is application/vnd.oci.image.config.v1+json, not application/vnd.zoo.checkpoint.manifest.v1+json")))
        }
    }

    func testRequireCheckpoint_AnnotatedDigestDiffers_IsRefused() {
        var oci = OCIImageManifest(checkpoint: manifest)
        let other = SHA256.digest([1, 2, 3])
        oci.annotations["dev.zoo.model.digest"] = other.description
        XCTAssertThrowsError(try oci.requireCheckpoint(source: "s")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidManifest(
                source: "s", why: "annotation dev.zoo.model.digest is \(other), the config is \(manifest.digest)")))
        }
    }

    func testCheck_LayerDigestDiffersFromTheCheckpoint_NamesTheLayer() {
        var oci = OCIImageManifest(checkpoint: manifest)
        let other = SHA256.digest([9])
        oci.layers[1].digest = other
        XCTAssertThrowsError(try oci.check(against: manifest, source: "s")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidManifest(
                source: "s", why: "layers[1] (assets/config.json): digest \(other), the checkpoint says \(manifest.assets[0].digest)")))
        }
    }

    func testCheck_MissingLayer_CountsLayersAndFiles() {
        var oci = OCIImageManifest(checkpoint: manifest)
        oci.layers.removeLast()
        XCTAssertThrowsError(try oci.check(against: manifest, source: "s")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidManifest(
                source: "s", why: "1 layers, the checkpoint has 1 shards and 1 assets")))
        }
    }
}
