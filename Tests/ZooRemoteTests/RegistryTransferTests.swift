import XCTest
import ZooFormat
import ZooStore
@testable import ZooRemote

/// Push and pull against a real CNCF distribution registry on 127.0.0.1.
final class RegistryTransferTests: XCTestCase {
    private var scratch = ""
    private var registry: RegistryProcess?
    private var proxy: ProxyProcess?
    private var source: Store!
    private var digest: SHA256Digest!

    override func setUpWithError() throws {
        scratch = try TestSupport.makeTemporaryDirectory()
        source = Store(root: scratch + "/source")
        try TestSupport.writeLarge(at: scratch + "/model", count: 3, tensorMegabytes: 2)
        digest = try source.importCheckpoint(try Checkpoint(directory: scratch + "/model"), name: try ModelReference(parsing: "big:v1"))
    }

    override func tearDownWithError() throws {
        proxy?.stop()
        registry?.stop()
        try FileSystem.removeTree(scratch)
    }

    private func client(_ store: Store, environment: [String: String] = [:]) -> RemoteClient {
        var client = RemoteClient(store: store, environment: environment, workingDirectory: scratch)
        client.insecure = true
        return client
    }

    private func startRegistry(_ auth: RegistryProcess.Auth = .none) throws -> RegistryProcess {
        let started = try RegistryProcess(auth: auth)
        registry = started
        return started
    }

    /// Loopback registries get plain http by default; https asked of one that speaks http says how to fix it.
    func testPush_HTTPSToAPlainHTTPRegistry_FailsWithTheInsecureHint() throws {
        let registry = try startRegistry()
        let target = RemoteTarget(base: .registry(RegistryAddress(host: registry.address, insecure: false), namespace: ""),
                                  name: "big", version: nil)
        XCTAssertThrowsError(try client(source).push(try ModelReference(parsing: "big:v1"), to: target)) { error in
            XCTAssertTrue("\(error)".contains("(if the registry speaks plain http, use --insecure)"), "\(error)")
        }
    }

    func testPushThenPull_IntoAnEmptyStore_GivesByteIdenticalBlobs() throws {
        let registry = try startRegistry()
        let pusher = client(source)
        let pushed = try pusher.push(try ModelReference(parsing: "big:v1"), to: try pusher.target("oci://\(registry.address)/team/big"))
        XCTAssertEqual(pushed.destination, "oci://\(registry.address)/team/big:v1")
        XCTAssertEqual(pushed.uploadedBlobCount, 4)
        XCTAssertEqual(pushed.uploadedByteCount, pushed.totalByteCount)
        XCTAssertEqual(pushed.manifestDigest, OCIImageManifest(checkpoint: try source.manifest(for: digest)).digest)

        let target = Store(root: scratch + "/target")
        let puller = client(target)
        let pulled = try puller.pull(try puller.target("oci://\(registry.address)/team/big:v1"), as: nil)
        XCTAssertEqual(pulled.stored, StoreRef(name: "team/big", tag: "v1", digest: digest))
        XCTAssertEqual(pulled.manifestDigest, pushed.manifestDigest)
        XCTAssertEqual(pulled.fetchedBlobCount, 3)
        for blob in try source.blobs(ofModel: digest) {
            XCTAssertEqual(try TestSupport.sha256(ofFile: target.blobPath(blob)), blob)
            XCTAssertEqual(try FileSystem.fileSize(target.blobPath(blob)), try FileSystem.fileSize(source.blobPath(blob)))
        }
        XCTAssertEqual(try target.verify(.digest(digest), options: .deep).failures, [])

        let again = try pusher.push(try ModelReference(parsing: "big:v1"), to: try pusher.target("oci://\(registry.address)/team/big"))
        XCTAssertEqual(again.uploadedByteCount, 0)
        XCTAssertEqual(again.skippedBlobCount, 4)
        let pulledAgain = try puller.pull(try puller.target("oci://\(registry.address)/team/big:v1"), as: nil)
        XCTAssertEqual(pulledAgain.reusedBlobCount, 3)
        XCTAssertEqual(pulledAgain.fetchedBlobCount, 0)
    }

    func testPull_RegistryServingACorruptedBlob_IsRejectedAndNothingIsNamed() throws {
        let registry = try startRegistry()
        let pusher = client(source)
        try pusher.push(try ModelReference(parsing: "big:v1"), to: try pusher.target("oci://\(registry.address)/big"))
        let proxy = try ProxyProcess(upstream: registry.address)
        self.proxy = proxy
        try proxy.corrupt(true)

        let target = Store(root: scratch + "/target")
        var puller = client(target)
        puller.concurrency = 1
        XCTAssertThrowsError(try puller.pull(try puller.target("oci://\(proxy.address)/big:v1"), as: nil)) { error in
            guard case let .digestMismatch(blob, source, expected, actual)? = (error as? RemoteError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(blob.hasPrefix("shards/"), blob)
            XCTAssertEqual(source, "http://\(proxy.address)/v2/big/blobs/\(expected)")
            XCTAssertNotEqual(expected, actual)
        }
        XCTAssertEqual(try target.refs(), [])
        XCTAssertEqual(try target.storedBlobs(), [], "no bad blob was kept")
        for name in try FileSystem.listDirectory(target.partialDirectory) {
            XCTAssertEqual(try FileSystem.fileSize(target.partialDirectory + "/" + name), 0, "bad bytes are discarded")
        }
        XCTAssertFalse(try FileSystem.listDirectory(target.partialDirectory).isEmpty)
        try proxy.corrupt(false)
        XCTAssertEqual(try puller.pull(try puller.target("oci://\(proxy.address)/big:v1"), as: nil).stored.digest, digest)
    }

    func testPull_DamagedLocalBlob_IsFetchedAgainAndReplaced() throws {
        let registry = try startRegistry()
        let pusher = client(source)
        try pusher.push(try ModelReference(parsing: "big:v1"), to: try pusher.target("oci://\(registry.address)/big"))
        let shard = try source.manifest(for: digest).shards[1].digest
        let path = source.blobPath(shard)
        chmod(path, 0o644)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 100)
        handle.write(Data([0xAB, 0xCD]))
        try handle.close()
        XCTAssertNotEqual(try source.checkBlob(shard, length: 2 << 20), .intact)

        let report = try pusher.pull(try pusher.target("oci://\(registry.address)/big:v1"), as: try ModelReference(parsing: "big:v1"))
        XCTAssertEqual(report.repairedBlobCount, 1)
        XCTAssertEqual(report.reusedBlobCount, 2)
        XCTAssertEqual(try source.checkBlob(shard, length: 2 << 20), .intact)
        XCTAssertEqual(try source.verify(.digest(digest), options: .deep).failures, [])
    }

    func testBasicAuth_RightAndWrongPasswords() throws {
        let registry = try startRegistry(.basic(user: "alice", password: "s3cret"))
        let good = client(source, environment: ["ZOO_REGISTRY_USER": "alice", "ZOO_REGISTRY_PASSWORD": "s3cret"])
        try good.push(try ModelReference(parsing: "big:v1"), to: try good.target("oci://\(registry.address)/big"))
        let target = Store(root: scratch + "/target")
        let puller = client(target, environment: ["ZOO_REGISTRY_USER": "alice", "ZOO_REGISTRY_PASSWORD": "s3cret"])
        XCTAssertEqual(try puller.pull(try puller.target("oci://\(registry.address)/big:v1"), as: nil).stored.digest, digest)

        let wrong = client(target, environment: ["ZOO_REGISTRY_USER": "alice", "ZOO_REGISTRY_PASSWORD": "nope"])
        XCTAssertThrowsError(try wrong.pull(try wrong.target("oci://\(registry.address)/big:v1"), as: nil)) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.unauthorized(
                host: registry.address, detail: "the registry refused the credentials of user \"alice\"")))
            XCTAssertFalse("\(error)".contains("nope"))
        }
        let anonymous = client(target, environment: ["XDG_CONFIG_HOME": scratch + "/none"])
        XCTAssertThrowsError(try anonymous.pull(try anonymous.target("oci://\(registry.address)/big:v1"), as: nil)) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.unauthorized(host: registry.address, detail:
                "the registry requires credentials: set ZOO_REGISTRY_USER and ZOO_REGISTRY_PASSWORD, "
                    + "or add \(registry.address) to \(scratch)/none/zoo/credentials.json (mode 600)")))
        }
    }

    func testBearerTokenAuth_RightAndWrongPasswords() throws {
        let registry = try startRegistry(.bearer(user: "alice", password: "t0ken-pass"))
        let good = client(source, environment: ["ZOO_REGISTRY_USER": "alice", "ZOO_REGISTRY_PASSWORD": "t0ken-pass"])
        let pushed = try good.push(try ModelReference(parsing: "big:v1"), to: try good.target("oci://\(registry.address)/team/big"))
        XCTAssertEqual(pushed.uploadedBlobCount, 4)
        let target = Store(root: scratch + "/target")
        let puller = client(target, environment: ["ZOO_REGISTRY_USER": "alice", "ZOO_REGISTRY_PASSWORD": "t0ken-pass"])
        XCTAssertEqual(try puller.pull(try puller.target("oci://\(registry.address)/team/big:v1"), as: nil).stored.digest, digest)
        XCTAssertEqual(try puller.list(try puller.base("oci://\(registry.address)")).map(\.name), ["team/big"])

        let wrong = client(target, environment: ["ZOO_REGISTRY_USER": "alice", "ZOO_REGISTRY_PASSWORD": "bad"])
        XCTAssertThrowsError(try wrong.pull(try wrong.target("oci://\(registry.address)/team/big:v1"), as: nil)) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.unauthorized(
                host: registry.address, detail: "the token server refused the credentials of user \"alice\"")))
        }
    }

    func testPush_SameModelToASecondRepository_MountsEveryBlob() throws {
        let registry = try startRegistry()
        let pusher = client(source)
        try pusher.push(try ModelReference(parsing: "big:v1"), to: try pusher.target("oci://\(registry.address)/a/big"))
        let second = try pusher.push(try ModelReference(parsing: "big:v1"), to: try pusher.target("oci://\(registry.address)/b/big"))
        XCTAssertEqual(second.mountedBlobCount, 4)
        XCTAssertEqual(second.uploadedByteCount, 0)
        let target = Store(root: scratch + "/target")
        let puller = client(target)
        XCTAssertEqual(try puller.pull(try puller.target("oci://\(registry.address)/b/big:v1"), as: nil).stored.digest, digest)
    }
}
