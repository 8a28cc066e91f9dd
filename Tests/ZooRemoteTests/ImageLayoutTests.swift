import XCTest
import ZooFormat
import ZooStore
@testable import ZooRemote

final class ImageLayoutTests: XCTestCase {
    private var scratch = ""
    private var source: Store!
    private var client: RemoteClient!
    private var digest: SHA256Digest!
    private var layoutPath: String { scratch + "/layout" }

    override func setUpWithError() throws {
        scratch = try TestSupport.makeTemporaryDirectory()
        source = Store(root: scratch + "/store")
        try TestSupport.writeSmall(at: scratch + "/model")
        digest = try source.importCheckpoint(try Checkpoint(directory: scratch + "/model"),
                                             name: try ModelReference(parsing: "tiny:v1"))
        client = RemoteClient(store: source, environment: [:], workingDirectory: scratch)
    }

    override func tearDownWithError() throws {
        try FileSystem.removeTree(scratch)
    }

    private func json(_ path: String) throws -> JSONValue {
        try JSONValue(parsing: try XCTUnwrap(try FileSystem.readFile(path, limit: 1 << 20)))
    }

    func testPush_ToNewFolder_WritesAValidOCIImageLayout() throws {
        let report = try client.push(try ModelReference(parsing: "tiny:v1"), to: try client.target("./layout"))
        XCTAssertEqual(report.destination, layoutPath + ":tiny:v1")
        XCTAssertEqual(report.uploadedBlobCount, 3, "shard, asset, config; the OCI manifest is written apart")

        XCTAssertEqual(try FileSystem.readFile(layoutPath + "/oci-layout", limit: 100),
                       Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        let index = try json(layoutPath + "/index.json")
        XCTAssertEqual(index["schemaVersion"], 2)
        XCTAssertEqual(index["mediaType"], "application/vnd.oci.image.index.v1+json")
        let entries = try XCTUnwrap(index["manifests"]?.arrayValue)
        XCTAssertEqual(entries.count, 1)
        XCTAssertEqual(entries[0]["mediaType"], "application/vnd.oci.image.manifest.v1+json")
        XCTAssertEqual(entries[0]["artifactType"], "application/vnd.zoo.checkpoint.v1")
        XCTAssertEqual(entries[0]["annotations"]?["org.opencontainers.image.ref.name"], "tiny:v1")
        XCTAssertEqual(entries[0]["digest"]?.stringValue, report.manifestDigest.description)

        // Every blob is named by its content's SHA-256, and the manifest's references all resolve.
        let blobs = try FileSystem.listDirectory(layoutPath + "/blobs/sha256")
        for name in blobs {
            XCTAssertEqual(try TestSupport.sha256(ofFile: layoutPath + "/blobs/sha256/" + name).hex, name, "blob \(name)")
        }
        let manifestBlob = layoutPath + "/blobs/sha256/" + report.manifestDigest.hex
        XCTAssertEqual(entries[0]["size"]?.integerValue, Int64(try FileSystem.fileSize(manifestBlob)))
        let manifest = try json(manifestBlob)
        let referenced = [manifest["config"]] + (manifest["layers"]?.arrayValue ?? []).map { Optional($0) }
        for descriptor in referenced.compactMap({ $0 }) {
            let hex = try XCTUnwrap(descriptor["digest"]?.stringValue?.dropFirst(7))
            XCTAssertEqual(Int64(try FileSystem.fileSize(layoutPath + "/blobs/sha256/" + hex)), descriptor["size"]?.integerValue)
        }
        XCTAssertEqual(Set(blobs).count, 4, "config, shard, asset, OCI manifest and nothing else (no partial files)")
        XCTAssertEqual(manifest["config"]?["digest"]?.stringValue, digest.description)
    }

    func testPullFromFolder_IntoAnEmptyStore_GivesTheSameModelBytes() throws {
        try client.push(try ModelReference(parsing: "tiny:v1"), to: try client.target("./layout"))
        let target = Store(root: scratch + "/target")
        let other = RemoteClient(store: target, environment: [:], workingDirectory: scratch)
        let report = try other.pull(try other.target("./layout:tiny:v1"), as: nil)
        XCTAssertEqual(report.stored, StoreRef(name: "tiny", tag: "v1", digest: digest))
        XCTAssertEqual(report.fetchedBlobCount, 2)
        XCTAssertEqual(try target.verify(.tagged(name: "tiny", tag: "v1"), options: .deep).failures, [])
        let blobs = try source.blobs(ofModel: digest)
        for blob in blobs {
            XCTAssertEqual(try FileSystem.readFile(target.blobPath(blob), limit: 1 << 20),
                           try FileSystem.readFile(source.blobPath(blob), limit: 1 << 20), "blob \(blob)")
        }
        XCTAssertEqual(try FileSystem.listDirectory(target.tmpDirectory).filter { $0 != "partial" }, [], "nothing left in tmp/")
        XCTAssertEqual(try FileSystem.listDirectory(target.partialDirectory), [])
    }

    func testPush_SecondModelAndRetag_IndexKeepsEveryEntrySorted() throws {
        try TestSupport.writeSmall(at: scratch + "/other", name: "other", seed: 2)
        try source.importCheckpoint(try Checkpoint(directory: scratch + "/other"), name: try ModelReference(parsing: "other"))
        try client.push(try ModelReference(parsing: "tiny:v1"), to: try client.target("./layout"))
        try client.push(try ModelReference(parsing: "other"), to: try client.target("./layout"))
        try client.push(try ModelReference(parsing: "tiny:v1"), to: try client.target("./layout:tiny:stable"))
        let again = try client.push(try ModelReference(parsing: "tiny:v1"), to: try client.target("./layout"))
        XCTAssertEqual(again.uploadedBlobCount, 0)
        XCTAssertEqual(again.skippedBlobCount, 3)
        let layout = try ImageLayout(path: layoutPath)
        XCTAssertEqual(try layout.entries().map(\.reference), ["other:latest", "tiny:stable", "tiny:v1"])
        XCTAssertEqual(try client.list(try client.base("./layout")).map { "\($0.name):\($0.tag) \($0.modelDigest == digest)" },
                       ["other:latest false", "tiny:stable true", "tiny:v1 true"])
    }

    func testPush_TwoModelsAtOnce_BothEntriesSurvive() throws {
        try TestSupport.writeSmall(at: scratch + "/other", name: "other", seed: 2)
        try source.importCheckpoint(try Checkpoint(directory: scratch + "/other"), name: try ModelReference(parsing: "other"))
        _ = try ImageLayout.openOrCreate(path: layoutPath)
        let client = self.client!
        let failures = NSLockedErrors()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            do {
                let name = i % 2 == 0 ? "tiny:v1" : "other"
                try client.push(try ModelReference(parsing: name), to: try client.target("./layout:m\(i)"))
            } catch {
                failures.append(error)
            }
        }
        XCTAssertEqual(failures.errors.map { "\($0)" }, [])
        XCTAssertEqual(try ImageLayout(path: layoutPath).entries().map(\.reference), (0..<8).map { "m\($0):" + ($0 % 2 == 0 ? "v1" : "latest") })
    }

    func testPull_UnknownTag_IsNoSuchModel() throws {
        try client.push(try ModelReference(parsing: "tiny:v1"), to: try client.target("./layout"))
        XCTAssertThrowsError(try client.pull(try client.target("./layout:tiny:v2"), as: nil)) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.noSuchModel(layoutPath + ":tiny:v2")))
        }
    }

    func testOpen_FolderWithoutOCILayoutFile_IsRefused() throws {
        try FileSystem.makeDirectories(scratch + "/plain")
        try FileSystem.writeAtomically([1], to: scratch + "/plain/file")
        XCTAssertThrowsError(try ImageLayout.openOrCreate(path: scratch + "/plain")) { error in
            XCTAssertEqual(error as? RemoteError, RemoteError(.invalidLayout(
                path: scratch + "/plain", why: "the folder is not empty and has no oci-layout file")))
        }
    }
}

/// Errors gathered from several threads.
final class NSLockedErrors: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Error] = []
    func append(_ error: Error) { lock.withLock { list.append(error) } }
    var errors: [Error] { lock.withLock { list } }
}
