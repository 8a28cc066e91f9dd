import XCTest
import ZooFormat
import ZooStore
@testable import ZooRemote

/// A registry (the real one, behind `scripts/test_proxy.py`) whose answers lie: a huge
/// `Content-Length`, an oversized manifest, a `Docker-Content-Digest` that is not the bytes'.
/// Each is refused with an error naming the URL, and nothing enters the store.
final class HostileRegistryTests: XCTestCase {
    private var scratch = ""
    private var registry: RegistryProcess?
    private var proxy: ProxyProcess?
    private var digest: SHA256Digest!

    override func setUpWithError() throws {
        scratch = try TestSupport.makeTemporaryDirectory()
        let source = Store(root: scratch + "/source")
        try TestSupport.writeLarge(at: scratch + "/model", count: 2, tensorMegabytes: 1)
        digest = try source.importCheckpoint(try Checkpoint(directory: scratch + "/model"), name: try ModelReference(parsing: "big:v1"))
        let registry = try RegistryProcess()
        self.registry = registry
        try client(source).push(try ModelReference(parsing: "big:v1"), to: try client(source).target("oci://\(registry.address)/big"))
        proxy = try ProxyProcess(upstream: registry.address)
    }

    override func tearDownWithError() throws {
        proxy?.stop()
        registry?.stop()
        try FileSystem.removeTree(scratch)
    }

    private func client(_ store: Store) -> RemoteClient {
        var client = RemoteClient(store: store, environment: [:], workingDirectory: scratch)
        client.insecure = true
        client.concurrency = 1
        return client
    }

    /// Pulls `big:v1` through the proxy into a fresh store, expecting `expected`; then checks the
    /// store holds nothing and that an honest answer is pulled fine.
    private func assertPullRefused(_ expected: (ProxyProcess) -> RemoteError, file: StaticString = #filePath, line: UInt = #line) throws {
        let proxy = try XCTUnwrap(proxy)
        let target = Store(root: scratch + "/" + FileSystem.uniqueName("target"))
        let puller = client(target)
        let source = try puller.target("oci://\(proxy.address)/big:v1")
        XCTAssertThrowsError(try puller.pull(source, as: nil), file: file, line: line) { error in
            XCTAssertEqual(error as? RemoteError, expected(proxy), file: file, line: line)
        }
        XCTAssertEqual(try target.refs(), [], file: file, line: line)
        XCTAssertEqual(try target.storedBlobs(), [], file: file, line: line)
        if FileSystem.kind(of: target.partialDirectory) == .directory {
            for name in try FileSystem.listDirectory(target.partialDirectory) {
                XCTAssertEqual(try FileSystem.fileSize(target.partialDirectory + "/" + name), 0, "no bytes kept", file: file, line: line)
            }
        }
        XCTAssertEqual(try puller.pull(source, as: nil).stored.digest, digest, file: file, line: line)
    }

    func testHugeContentLengthOnABlob_IsRefusedBeforeItsBody() throws {
        try XCTUnwrap(proxy).declareLength("blob", 1 << 40)
        let manifest = try Store(root: scratch + "/source").manifest(for: digest)
        let first = try XCTUnwrap(manifest.shards.max { $0.length < $1.length })
        try assertPullRefused { proxy in
            RemoteError(.invalidReply(source: "http://\(proxy.address)/v2/big/blobs/\(first.digest)", why:
                "Content-Length 1099511627776 for blob \(first.digest), which has \(first.length) of its \(first.length) bytes to come; nothing was kept"))
        }
    }

    func testHugeContentLengthOnTheManifest_IsRefusedBeforeItsBody() throws {
        try XCTUnwrap(proxy).declareLength("manifest", 1 << 40)
        try assertPullRefused { proxy in
            RemoteError(.replyTooLarge(what: "manifest", source: "http://\(proxy.address)/v2/big/manifests/v1",
                                       declared: 1 << 40, limit: OCIImageManifest.maxByteCount))
        }
    }

    func testOversizedManifest_IsRefused() throws {
        let pad = OCIImageManifest.maxByteCount
        try XCTUnwrap(proxy).padManifest(pad)
        let size = OCIImageManifest(checkpoint: try Store(root: scratch + "/source").manifest(for: digest)).bytes.count
        try assertPullRefused { proxy in
            RemoteError(.replyTooLarge(what: "manifest", source: "http://\(proxy.address)/v2/big/manifests/v1",
                                       declared: size + pad, limit: OCIImageManifest.maxByteCount))
        }
        XCTAssertEqual(RemoteError(.replyTooLarge(what: "manifest", source: "http://h/v2/big/manifests/v1", declared: 5, limit: 4)).description,
                       "manifest from http://h/v2/big/manifests/v1 is larger than the 4-byte limit (Content-Length 5); nothing was kept")
    }

    func testManifestWhoseDockerContentDigestIsNotItsDigest_IsRefused() throws {
        try XCTUnwrap(proxy).padManifest(3)  // still valid JSON, but no longer the bytes the registry's digest names
        let oci = OCIImageManifest(checkpoint: try Store(root: scratch + "/source").manifest(for: digest))
        let padded = SHA256.digest(oci.bytes + Array("   ".utf8))
        try assertPullRefused { proxy in
            RemoteError(.invalidReply(source: "http://\(proxy.address)/v2/big/manifests/v1", why:
                "Docker-Content-Digest \(oci.digest) is not the digest of the manifest it sent (\(padded))"))
        }
    }
}
