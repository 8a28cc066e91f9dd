import Foundation
import XCTest
import ZooConverters
import ZooFormat

/// Resolution rules of ``HuggingFaceCache`` on layouts made here with real links (the layout
/// huggingface_hub itself writes is covered by the CLI tests, which check it with scan_cache_dir).
final class HuggingFaceCacheTests: XCTestCase {
    var root = ""
    let commit = String(repeating: "ab", count: 20)

    override func setUpWithError() throws { root = try makeTemporaryDirectory(self) }

    /// `models--org--m` with blobs for `files` (name -> bytes) linked from snapshots/<commit>;
    /// `blobName` chooses each blob's name (default: sha256 of the bytes).
    func makeRepo(_ files: [String: [UInt8]], blobName: (String, [UInt8]) -> String = { _, bytes in SHA256.digest(bytes).hex },
                  ref: Bool = true) throws -> String {
        let repo = root + "/models--org--m"
        let fm = FileManager.default
        try fm.createDirectory(atPath: repo + "/blobs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        for (path, bytes) in files {
            let blob = blobName(path, bytes)
            try writeBytes(bytes, to: repo + "/blobs/" + blob)
            let link = repo + "/snapshots/" + commit + "/" + path
            try fm.createDirectory(atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let ups = Array(repeating: "..", count: path.split(separator: "/").count + 1).joined(separator: "/")
            try fm.createSymbolicLink(atPath: link, withDestinationPath: ups + "/blobs/" + blob)
        }
        if ref { try writeBytes(Array(commit.utf8), to: repo + "/refs/main") }
        return repo
    }

    func weights() -> [UInt8] {
        safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: patternBytes(8, seed: 3))
    }

    func testResolvesNestedLinksAndNamesTheRepo() throws {
        let repo = try makeRepo(["model.safetensors": weights(), "1_Pooling/config.json": Array("{}".utf8)])
        let snapshot = try HuggingFaceCache.snapshot(at: repo, revision: nil)
        XCTAssertEqual(snapshot.repoID, "org/m")
        XCTAssertEqual(snapshot.commit, commit)
        XCTAssertEqual(snapshot.ref, "main")
        XCTAssertEqual(snapshot.defaultTag, "latest")
        XCTAssertEqual(Set(snapshot.files.keys), ["model.safetensors", "1_Pooling/config.json"])
        XCTAssertTrue(snapshot.files.values.allSatisfy { $0.hasPrefix(repo + "/blobs/") })
        try snapshot.verifyBlobs()
        let model = try snapshot.model()
        XCTAssertEqual(model.name, "org/m")
        XCTAssertEqual(model.tensors.tensorDescriptors.map(\.name), ["w"])
        XCTAssertEqual(model.metadata[HuggingFaceSnapshot.sourceMetadataKey]?["revision"], .string(commit))
        XCTAssertNotNil(HuggingFaceCache.location(of: repo + "/snapshots/" + commit))
        XCTAssertEqual(ModelFormat.detect(repo), .huggingFaceFolder)
        XCTAssertEqual(ModelFormat.detect(repo + "/snapshots/" + commit), .huggingFaceFolder)
    }

    func testShardedSnapshotReadsTheIndexAndShardsFromBlobs() throws {
        let shard1 = safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: patternBytes(8, seed: 1))
        let shard2 = safetensorsBytes(header: #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: patternBytes(4, seed: 2))
        let index = Array(#"""
            {"metadata": {"total_size": 12}, "weight_map": {"a": "model-00001-of-00002.safetensors",
             "b": "model-00002-of-00002.safetensors"}}
            """#.utf8)
        let repo = try makeRepo(["model-00001-of-00002.safetensors": shard1, "model-00002-of-00002.safetensors": shard2,
                                 "model.safetensors.index.json": index])
        let model = try HuggingFaceCache.snapshot(at: repo, revision: nil).model()
        XCTAssertEqual(model.tensors.tensorDescriptors.map(\.name), ["a", "b"])
        XCTAssertEqual(model.metadata[SafetensorsImporter.MetadataKey.indexMetadata]?["total_size"], 12)

        // A shard the index names but the snapshot lacks: named, not looked for elsewhere.
        try FileManager.default.removeItem(atPath: repo + "/snapshots/" + commit + "/model-00002-of-00002.safetensors")
        XCTAssertThrowsError(try HuggingFaceCache.snapshot(at: repo, revision: nil).model()) { error in
            XCTAssertTrue("\(error)".contains("model-00002-of-00002.safetensors"), "\(error)")
        }
    }

    func testCommitOrOtherRefGivesItsOwnTag() throws {
        let repo = try makeRepo(["model.safetensors": weights()], ref: false)
        try writeBytes(Array(commit.utf8), to: repo + "/refs/v1")
        XCTAssertEqual(try HuggingFaceCache.snapshot(at: repo, revision: "v1").defaultTag, "v1")
        XCTAssertEqual(try HuggingFaceCache.snapshot(at: repo, revision: commit).defaultTag, String(commit.prefix(12)))
        XCTAssertThrowsError(try HuggingFaceCache.snapshot(at: repo, revision: nil)) { error in
            XCTAssertEqual((error as? HuggingFaceCacheError)?.reason, .unknownRevision("main", looked: ["refs/main"]))
        }
        try writeBytes(Array("not a commit\n".utf8), to: repo + "/refs/main")
        XCTAssertThrowsError(try HuggingFaceCache.snapshot(at: repo, revision: nil)) { error in
            XCTAssertEqual((error as? HuggingFaceCacheError)?.reason, .invalidRef("main"))
        }
    }

    func testLinkedBlobsFolderAndAbsoluteLinksAreRefused() throws {
        let repo = try makeRepo(["model.safetensors": weights()])
        let link = repo + "/snapshots/" + commit + "/model.safetensors"
        // blobs/ moved out and linked back: the text of each link is right, but the bytes live elsewhere.
        try FileManager.default.moveItem(atPath: repo + "/blobs", toPath: root + "/elsewhere")
        try FileManager.default.createSymbolicLink(atPath: repo + "/blobs", withDestinationPath: root + "/elsewhere")
        XCTAssertThrowsError(try HuggingFaceCache.snapshot(at: repo, revision: nil)) { error in
            guard case .linkOutsideBlobs(link, _)? = (error as? HuggingFaceCacheError)?.reason else { return XCTFail("\(error)") }
        }
        try FileManager.default.removeItem(atPath: repo + "/blobs")
        try FileManager.default.moveItem(atPath: root + "/elsewhere", toPath: repo + "/blobs")
        let blob = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: repo + "/blobs").first)
        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: repo + "/blobs/" + blob)
        XCTAssertThrowsError(try HuggingFaceCache.snapshot(at: repo, revision: nil)) { error in
            XCTAssertEqual((error as? HuggingFaceCacheError)?.reason, .linkOutsideBlobs(link: link, target: repo + "/blobs/" + blob))
        }
    }

    func testSmallFilesAreCheckedWithGitBlobSHA1() throws {
        let config = Array(#"{"model_type": "bert"}"#.utf8)
        let gitID = try gitHashObject(config)
        XCTAssertEqual(gitID.utf8.count, 40)
        let repo = try makeRepo(["model.safetensors": weights(), "config.json": config],
                                blobName: { path, bytes in path == "config.json" ? gitID : SHA256.digest(bytes).hex })
        try HuggingFaceCache.snapshot(at: repo, revision: nil).verifyBlobs()

        // The same content under another 40-hex name: refused, with git's id as the actual digest.
        let link = repo + "/snapshots/" + commit + "/config.json"
        let wrong = String(repeating: "0", count: 40)
        try FileManager.default.moveItem(atPath: repo + "/blobs/" + gitID, toPath: repo + "/blobs/" + wrong)
        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "../../blobs/" + wrong)
        XCTAssertThrowsError(try HuggingFaceCache.snapshot(at: repo, revision: nil).verifyBlobs()) { error in
            XCTAssertEqual((error as? HuggingFaceCacheError)?.reason,
                           .blobDigestMismatch(file: "config.json", expected: wrong, actual: gitID))
        }
    }

    /// git's own blob id of `bytes`.
    func gitHashObject(_ bytes: [UInt8]) throws -> String {
        let file = root + "/git-input"
        try writeBytes(bytes, to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["hash-object", file]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testDamagedWeightsNameTheSnapshotEntryAndItsBlob() throws {
        // Consistent with its name (so the cache is intact) but not safetensors: the importer's error.
        let junk = Array("not safetensors at all".utf8)
        let repo = try makeRepo(["model.safetensors": junk])
        let snapshot = try HuggingFaceCache.snapshot(at: repo, revision: nil)
        try snapshot.verifyBlobs()
        XCTAssertThrowsError(try snapshot.model()) { error in
            let file = (error as? SafetensorsError)?.file
            XCTAssertEqual(file, snapshot.folder + "/model.safetensors (blobs/\(SHA256.digest(junk).hex))")
        }
    }

    func testParsesHFReferences() throws {
        XCTAssertEqual(try HuggingFaceCache.parseReference("hf://org/name").repo, "org/name")
        XCTAssertNil(try HuggingFaceCache.parseReference("hf://org/name").revision)
        XCTAssertEqual(try HuggingFaceCache.parseReference("hf://gpt2@v1").revision, "v1")
        for bad in ["hf://", "hf://a/b/c", "hf://../x", "hf://a//b", "hf://a--b/c", "hf://a/b@", "hf://a/b@../x", "org/name"] {
            XCTAssertThrowsError(try HuggingFaceCache.parseReference(bad), bad)
        }
        XCTAssertEqual(HuggingFaceCache.folderName(repoID: "Org/Name"), "models--Org--Name")
        XCTAssertEqual(HuggingFaceCache.repoID(folderName: "models--Org--Name"), "Org/Name")
        XCTAssertEqual(HuggingFaceCache.cacheRoot(environment: ["HF_HUB_CACHE": "/c", "HF_HOME": "/h"]), "/c")
        XCTAssertEqual(HuggingFaceCache.cacheRoot(environment: ["HF_HOME": "/h", "HOME": "/u"]), "/h/hub")
        XCTAssertEqual(HuggingFaceCache.cacheRoot(environment: ["HOME": "/u"]), "/u/.cache/huggingface/hub")
    }
}
