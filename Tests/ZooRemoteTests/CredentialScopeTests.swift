import XCTest
import ZooFormat
import ZooStore
@testable import ZooRemote

/// Credentials go to the registry's own origin only: a blob read redirected to a storage host and
/// an upload session handed to one (another port: another origin) get no `Authorization`, as with
/// docker, containerd and oras. Against the real registry (basic auth) behind `scripts/storage_proxy.py`.
final class CredentialScopeTests: XCTestCase {
    private var scratch = ""
    private var registry: RegistryProcess?
    private var proxy: StorageProxyProcess?
    private var source: Store!
    private var digest: SHA256Digest!
    private let environment = ["ZOO_REGISTRY_USER": "alice", "ZOO_REGISTRY_PASSWORD": "s3cret"]

    override func setUpWithError() throws {
        scratch = try TestSupport.makeTemporaryDirectory()
        source = Store(root: scratch + "/source")
        try TestSupport.writeLarge(at: scratch + "/model", count: 2, tensorMegabytes: 1)
        digest = try source.importCheckpoint(try Checkpoint(directory: scratch + "/model"), name: try ModelReference(parsing: "big:v1"))
        let registry = try RegistryProcess(auth: .basic(user: "alice", password: "s3cret"))
        self.registry = registry
        proxy = try StorageProxyProcess(upstream: registry.address, storageCredentials: "alice:s3cret")
    }

    override func tearDownWithError() throws {
        proxy?.stop()
        registry?.stop()
        try FileSystem.removeTree(scratch)
    }

    private func client(_ store: Store) -> RemoteClient {
        var client = RemoteClient(store: store, environment: environment, workingDirectory: scratch)
        client.insecure = true
        return client
    }

    func testPushAndPull_SendNoAuthorizationToTheStorageHost() throws {
        let proxy = try XCTUnwrap(proxy)
        let pusher = client(source)
        let pushed = try pusher.push(try ModelReference(parsing: "big:v1"), to: try pusher.target("oci://\(proxy.address)/big"))
        XCTAssertEqual(pushed.uploadedBlobCount, 3)
        let target = Store(root: scratch + "/target")
        let puller = client(target)
        XCTAssertEqual(try puller.pull(try puller.target("oci://\(proxy.address)/big:v1"), as: nil).stored.digest, digest)

        let log = try proxy.log()
        let storage = log.filter { $0.listener == "storage" }
        let front = log.filter { $0.listener == "front" }
        // Every blob went through the storage host both ways: PATCH/PUT of each upload, GET of each download.
        XCTAssertEqual(storage.filter { $0.method == "PUT" }.count, 3, "\(storage)")
        XCTAssertEqual(storage.filter { $0.method == "GET" && $0.path.contains("/blobs/sha256:") }.count, 3, "\(storage)")
        XCTAssertEqual(storage.compactMap(\.authorization), [], "credentials leaked to another origin")
        let basic = "Basic " + Data("alice:s3cret".utf8).base64EncodedString()
        XCTAssertTrue(front.contains { $0.method == "PUT" && $0.path.contains("/manifests/") && $0.authorization == basic }, "\(front)")
        XCTAssertTrue(front.contains { $0.method == "GET" && $0.path.contains("/blobs/sha256:") && $0.authorization == basic },
                      "the registry itself still gets the credentials before it redirects: \(front)")
    }

    func testRedirectToAnotherScheme_IsRefused() throws {
        let proxy = try XCTUnwrap(proxy)
        try client(source).push(try ModelReference(parsing: "big:v1"), to: try client(source).target("oci://\(registry!.address)/big"))
        try proxy.redirectNextManifest(to: "file:///etc/passwd")
        let target = Store(root: scratch + "/target")
        let puller = client(target)
        XCTAssertThrowsError(try puller.pull(try puller.target("oci://\(proxy.address)/big:v1"), as: nil)) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidReply(
                source: "http://\(proxy.address)/v2/big/manifests/v1",
                why: "it redirects to file:///etc/passwd, which is no http(s) URL")))
        }
        XCTAssertEqual(try target.refs(), [])
    }

    /// The rule itself: relative targets resolve, https never goes down to http, other schemes fail.
    func testRedirectRule() throws {
        XCTAssertEqual(try HTTPOrigin.redirect(from: "https://r.example/v2/a/blobs/x", to: "/storage/x?sig=1"),
                       "https://r.example/storage/x?sig=1")
        XCTAssertEqual(try HTTPOrigin.redirect(from: "http://127.0.0.1:5000/v2/a", to: "https://cdn.example/a"), "https://cdn.example/a")
        XCTAssertThrowsError(try HTTPOrigin.redirect(from: "https://r.example/v2/a", to: "http://cdn.example/a?sig=secret")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidReply(source: "https://r.example/v2/a", why:
                "it redirects from https to plain http (http://cdn.example/a?<redacted>); zoo never downgrades")))
        }
        XCTAssertThrowsError(try HTTPOrigin.redirect(from: "https://r.example/v2/a", to: "ftp://r.example/a"))
        XCTAssertEqual(HTTPOrigin("HTTPS://R.example:443/v2/"), HTTPOrigin("https://r.example/x"))
        XCTAssertNotEqual(HTTPOrigin("https://r.example/v2/"), HTTPOrigin("https://r.example:5000/v2/"))
        XCTAssertNotEqual(HTTPOrigin("https://r.example/v2/"), HTTPOrigin("http://r.example:443/v2/"))
        XCTAssertNotEqual(HTTPOrigin("https://r.example/v2/"), HTTPOrigin("https://storage.r.example/v2/"))
        XCTAssertNil(HTTPOrigin("/v2/relative"))
    }
}
