import Foundation
import XCTest
import ZooFormat
import ZooStore
@testable import ZooRemote

/// Blob uploads against a real CNCF distribution registry: blobs of at most
/// `RemoteClient.monolithicUploadLimit` bytes go up in one POST + PUT, larger ones in chunks that
/// survive the registry's `Range: 0-0` (written for 0 and for 1 byte) and resume from what it
/// confirms.
final class BlobUploadTests: XCTestCase {
    private var scratch = ""
    private var registry: RegistryProcess?
    private var proxy: ProxyProcess?

    override func setUpWithError() throws {
        scratch = try TestSupport.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        proxy?.stop()
        registry?.stop()
        try FileSystem.removeTree(scratch)
    }

    private func client(_ store: Store) -> RemoteClient {
        var client = RemoteClient(store: store, environment: [:], workingDirectory: scratch)
        client.insecure = true
        return client
    }

    /// Imports a model of one U8 tensor per entry of `tensorLengths` (one shard each, bytes that
    /// depend on the index) and `assets`, as `name:v1`.
    private func importModel(_ store: Store, name: String, tensorLengths: [Int], assets: [String: [UInt8]] = [:])
        throws -> Manifest
    {
        let path = scratch + "/" + FileSystem.uniqueName("model")
        let writer = try CheckpointWriter(destination: path, name: name, architecture: Architecture(family: .autoregressive, type: "gpt2"),
                                          options: WriterOptions(maxShardByteCount: max(1, tensorLengths.max() ?? 1)))
        for (index, length) in tensorLengths.enumerated() {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &* 7 &+ 1) }
            try writer.addTensor(name: "t\(index)", dtype: .u8, shape: [length], bytes: bytes)
        }
        for (asset, bytes) in assets.sorted(by: { $0.key < $1.key }) { try writer.addAsset(path: asset, bytes: bytes) }
        let manifest = try writer.finish()
        try store.importCheckpoint(try Checkpoint(directory: path), name: try ModelReference(parsing: "\(name):v1"))
        return manifest
    }

    /// Pulls `name:v1` into a fresh store and checks every blob and the model digest.
    private func pullAndVerify(_ name: String, from address: String, digest: SHA256Digest) throws {
        let target = Store(root: scratch + "/" + FileSystem.uniqueName("target"))
        let puller = client(target)
        let pulled = try puller.pull(try puller.target("oci://\(address)/\(name):v1"), as: nil)
        XCTAssertEqual(pulled.stored.digest, digest)
        XCTAssertEqual(try target.verify(.digest(digest), options: .deep).failures, [])
    }

    /// Requests of `method` on upload sessions in the registry's access log.
    private func uploadRequests(_ method: String, _ registry: RegistryProcess) -> Int {
        registry.log.components(separatedBy: "\n").filter { $0.contains("\"\(method) /v2/") && $0.contains("/blobs/uploads/") }.count
    }

    func testOneByteShard_PushesWholeAndPullsBack() throws {
        let registry = try RegistryProcess()
        self.registry = registry
        let source = Store(root: scratch + "/source")
        let manifest = try importModel(source, name: "one", tensorLengths: [1])
        XCTAssertEqual(manifest.shards.map(\.length), [1])
        let pusher = client(source)
        let report = try pusher.push(try ModelReference(parsing: "one:v1"), to: try pusher.target("oci://\(registry.address)/one"))
        XCTAssertEqual(report.uploadedBlobCount, 2)
        XCTAssertEqual(report.uploadedByteCount, 1 + manifest.canonicalBytes.count)
        XCTAssertEqual(uploadRequests("PATCH", registry), 0, "small blobs need no PATCH")
        XCTAssertEqual(uploadRequests("PUT", registry), 2)
        XCTAssertNotEqual(FileSystem.kind(of: source.uploadStateDirectory), .directory, "nothing to resume, nothing kept")
        try pullAndVerify("one", from: registry.address, digest: manifest.digest)
    }

    func testEmptyAsset_PushesAndPullsBack() throws {
        let registry = try RegistryProcess()
        self.registry = registry
        let source = Store(root: scratch + "/source")
        let manifest = try importModel(source, name: "empty", tensorLengths: [3], assets: ["empty.txt": [], "one.txt": [7]])
        XCTAssertEqual(manifest.assets.map(\.length).sorted(), [0, 1])
        let pusher = client(source)
        let report = try pusher.push(try ModelReference(parsing: "empty:v1"), to: try pusher.target("oci://\(registry.address)/empty"))
        XCTAssertEqual(report.uploadedBlobCount, 4)
        XCTAssertEqual(uploadRequests("PATCH", registry), 0)
        try pullAndVerify("empty", from: registry.address, digest: manifest.digest)
    }

    func testBoundary_FourMiBAndBelowGoWhole_FourMiBPlusOneGoesInChunks() throws {
        let registry = try RegistryProcess()
        self.registry = registry
        let limit = RemoteClient.monolithicUploadLimit
        XCTAssertEqual(limit, 4 << 20)
        let source = Store(root: scratch + "/source")
        let manifest = try importModel(source, name: "edge", tensorLengths: [limit - 1, limit, limit + 1])
        XCTAssertEqual(manifest.shards.map(\.length).sorted(), [limit - 1, limit, limit + 1])
        let pusher = client(source)
        let report = try pusher.push(try ModelReference(parsing: "edge:v1"), to: try pusher.target("oci://\(registry.address)/edge"))
        XCTAssertEqual(report.uploadedBlobCount, 4)
        XCTAssertEqual(report.uploadedByteCount, report.totalByteCount)
        XCTAssertEqual(uploadRequests("PATCH", registry), 1, "only the 4 MiB + 1 blob is chunked (one 64 MiB chunk)")
        XCTAssertEqual(uploadRequests("PUT", registry), 4)
        try pullAndVerify("edge", from: registry.address, digest: manifest.digest)
    }

    func testDamagedLocalBlob_SmallOrChunked_IsNeverCompletedOnTheRegistry() throws {
        let registry = try RegistryProcess()
        self.registry = registry
        let source = Store(root: scratch + "/source")
        let limit = RemoteClient.monolithicUploadLimit
        let manifest = try importModel(source, name: "bad", tensorLengths: [3, limit + 1])
        var pusher = client(source)
        pusher.concurrency = 1
        // One repository per damaged shard: a failed push records no mount hints, so each round uploads.
        for (round, shard) in manifest.shards.enumerated() {
            let repository = "bad\(round)"
            let path = source.blobPath(shard.digest)
            chmod(path, 0o644)
            let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
            try handle.seek(toOffset: UInt64(shard.length - 1))
            let last = try XCTUnwrap(try handle.read(upToCount: 1))
            try handle.seek(toOffset: UInt64(shard.length - 1))
            try handle.write(contentsOf: Data([last[0] ^ 0x01]))
            try handle.close()
            let actual = try TestSupport.sha256(ofFile: path)
            XCTAssertThrowsError(try pusher.push(try ModelReference(parsing: "bad:v1"), to: try pusher.target("oci://\(registry.address)/\(repository)"))) {
                error in
                XCTAssertEqual(error as? RemoteError, RemoteError(.corruptLocalBlob(name: shard.path, digest: shard.digest, actual: actual)))
                XCTAssertTrue("\(error)".hasSuffix("run zoo verify, then re-import or re-pull the model"), "\(error)")
            }
            let connection = try pusher.registry(RegistryAddress(host: registry.address, insecure: true)).connect()
            let scopes = [RegistryScope.pull(repository)]
            XCTAssertNil(try connection.blobSize(repository: repository, digest: shard.digest, scopes: scopes))
            XCTAssertNil(try connection.blobSize(repository: repository, digest: actual, scopes: scopes))
            try restoreByte(last[0], at: shard.length - 1, in: path)
        }
    }

    private func restoreByte(_ byte: UInt8, at offset: Int, in path: String) throws {
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data([byte]))
        try handle.close()
    }

    /// A registry, a connection to it and a fresh upload session in repository `raw`.
    private func startRawSession() throws -> (RegistryConnection, [String], String) {
        let registry = try RegistryProcess()
        self.registry = registry
        let connection = try client(Store(root: scratch + "/s")).registry(RegistryAddress(host: registry.address, insecure: true))
            .connect()
        let scopes = [RegistryScope.push("raw")]
        guard case let .started(first) = try connection.startUpload(repository: "raw", mount: nil, scopes: scopes) else {
            throw TestSupport.Failure("the registry started no upload session")
        }
        return (connection, scopes, first)
    }

    func testChunkedUpload_FirstChunkOfOneByte_IsConfirmedByZeroZero() throws {
        let (connection, scopes, first) = try startRawSession()
        XCTAssertEqual(try connection.uploadStatus(location: first, scopes: scopes)?.range, .zeroOrOne, "an empty session says 0-0")
        let bytes: [UInt8] = [0x5A, 0x01, 0x02]
        let afterOne = try connection.patch(location: first, body: .bytes([bytes[0]]), offset: 0, scopes: scopes)
        XCTAssertEqual(try connection.uploadStatus(location: afterOne, scopes: scopes)?.range, .zeroOrOne, "so does a 1-byte one")
        let afterThree = try connection.patch(location: afterOne, body: .bytes(Array(bytes[1...])), offset: 1, scopes: scopes)
        XCTAssertEqual(try connection.uploadStatus(location: afterThree, scopes: scopes)?.range, .bytes(3))
        let digest = SHA256.digest(bytes)
        try connection.completeUpload(location: afterThree, digest: digest, scopes: scopes)
        XCTAssertEqual(try connection.blobSize(repository: "raw", digest: digest, scopes: scopes), 3)
    }

    func testChunkedUpload_ChunkTheRegistryDidNotTake_IsAnErrorNamingWhatItHolds() throws {
        let (connection, scopes, first) = try startRawSession()
        let next = try connection.patch(location: first, body: .bytes([1, 2, 3, 4]), offset: 0, scopes: scopes)
        // Claim the chunk starts at byte 10: the registry appends it (it does not check
        // Content-Range) and says it holds 6 bytes, not the 12 a chunk ending at byte 12 needs.
        XCTAssertThrowsError(try connection.patch(location: next, body: .bytes([5, 6]), offset: 10, scopes: scopes)) { error in
            guard case let .registry(status, _, message, method, url)? = (error as? RemoteError)?.reason else { return XCTFail("\(error)") }
            XCTAssertEqual(status, 202)
            XCTAssertEqual(message, "the upload holds 6 bytes after a chunk ending at byte 12")
            XCTAssertEqual(method, "PATCH")
            XCTAssertTrue(url.contains("_state="))
            XCTAssertFalse("\(error)".contains("_state"), "\(error)")
            XCTAssertTrue("\(error)".hasSuffix("?<redacted>"), "\(error)")
        }
    }

    func testPushInterruptedBetweenChunks_ResumesFromTheConfirmedCount() throws {
        let registry = try RegistryProcess()
        self.registry = registry
        let proxy = try ProxyProcess(upstream: registry.address)
        self.proxy = proxy
        let source = Store(root: scratch + "/source")
        let length = RemoteClient.monolithicUploadLimit + 1
        let manifest = try importModel(source, name: "big", tensorLengths: [length])
        var pusher = client(source)
        pusher.uploadChunkByteCount = 1 << 20  // 4 chunks of 1 MiB, then 1 byte
        pusher.concurrency = 1
        try proxy.failPatch(3)
        let destination = try pusher.target("oci://\(proxy.address)/big")
        XCTAssertThrowsError(try pusher.push(try ModelReference(parsing: "big:v1"), to: destination)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("registry answered 503 UNAVAILABLE: connection dropped by the test proxy for PATCH http://"
                                         + proxy.address + "/v2/big/blobs/uploads/"), text)
            XCTAssertTrue(text.hasSuffix("?<redacted>"), text)
            XCTAssertFalse(text.contains("_state"), text)
        }
        let states = try FileSystem.listDirectory(source.uploadStateDirectory)
        XCTAssertEqual(states.count, 1, "the session's location is kept")
        let state = source.uploadStateDirectory + "/" + states[0]
        XCTAssertTrue(state.hasPrefix(source.root + "/"), "inside the store")
        var info = stat()
        XCTAssertEqual(stat(state, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600, "the session URL is the owner's only")
        XCTAssertTrue(try String(contentsOfFile: state, encoding: .utf8).contains("_state="))

        try proxy.reset()
        let resumed = try pusher.push(try ModelReference(parsing: "big:v1"), to: destination)
        XCTAssertEqual(resumed.resumedByteCount, 2 << 20, "the two chunks the registry confirmed are not sent again")
        XCTAssertEqual(resumed.uploadedByteCount, length - (2 << 20) + manifest.canonicalBytes.count)
        XCTAssertLessThanOrEqual(try proxy.stats().uploaded, length - (2 << 20) + (64 << 10))
        XCTAssertEqual(try FileSystem.listDirectory(source.uploadStateDirectory), [])
        try pullAndVerify("big", from: registry.address, digest: manifest.digest)
    }

    /// A saved session that says `0-0` may hold byte 0 or nothing: continuing from 0 would send
    /// byte 0 twice, from 1 could skip it. The push starts a fresh session instead.
    func testSavedSessionSayingZeroZero_IsNotResumed() throws {
        let registry = try RegistryProcess()
        self.registry = registry
        let length = RemoteClient.monolithicUploadLimit + 1
        for (round, held) in ([[], [0xEE]] as [[UInt8]]).enumerated() {  // an empty session; one holding a wrong byte 0
            let source = Store(root: scratch + "/source\(round)")
            let manifest = try importModel(source, name: "big", tensorLengths: [length])
            let shard = manifest.shards[0].digest
            let pusher = client(source)
            let repository = "big\(round)"
            let connection = try pusher.registry(RegistryAddress(host: registry.address, insecure: true)).connect()
            let scopes = [RegistryScope.push(repository)]
            guard case var .started(location) = try connection.startUpload(repository: repository, mount: nil, scopes: scopes) else {
                return XCTFail("no session")
            }
            if !held.isEmpty { location = try connection.patch(location: location, body: .bytes(held), offset: 0, scopes: scopes) }
            XCTAssertEqual(try connection.uploadStatus(location: location, scopes: scopes)?.range, .zeroOrOne)
            try FileSystem.makeDirectories(source.uploadStateDirectory)
            let key = SHA256.digest(Array("\(registry.address)/\(repository)@\(shard)".utf8)).hex
            let state = JSONValue.object(["location": .string(location)]).canonicalBytes
            try Data(state).write(to: URL(fileURLWithPath: source.uploadStateDirectory + "/" + key))

            let report = try pusher.push(try ModelReference(parsing: "big:v1"), to: try pusher.target("oci://\(registry.address)/\(repository)"))
            XCTAssertEqual(report.resumedByteCount, 0, "held \(held.count)")
            XCTAssertEqual(report.uploadedBlobCount, 2, "held \(held.count)")
            XCTAssertEqual(report.uploadedByteCount, length + manifest.canonicalBytes.count, "held \(held.count)")
            XCTAssertEqual(try FileSystem.listDirectory(source.uploadStateDirectory), [])
            try pullAndVerify(repository, from: registry.address, digest: manifest.digest)
        }
    }
}
