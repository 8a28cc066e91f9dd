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

    /// The names of a committed torch.save fixture's tensors.
    func pytorchTensorNames(_ fixture: String) throws -> [String] {
        try XCTUnwrap(try pytorchFixtureManifest()["valid"]?[fixture]?["tensors"]?.arrayValue).compactMap { $0["name"]?.stringValue }
    }

    func testPyTorchSnapshot_ReadFromItsBlobAsAPlainFolderIs() throws {
        let config = Array(#"{"model_type": "bert", "architectures": ["BertModel"]}"#.utf8)
        let repo = try makeRepo(["pytorch_model.bin": try readBytes(pytorchFixtures + "/module.pt"), "config.json": config,
                                 "vocab.txt": Array("[PAD]\n".utf8)])
        let snapshot = try HuggingFaceCache.snapshot(at: repo, revision: nil)
        try snapshot.verifyBlobs()
        let model = try snapshot.model()
        XCTAssertEqual(model.name, "org/m")
        XCTAssertEqual(Set(model.tensors.tensorDescriptors.map(\.name)), Set(try pytorchTensorNames("module.pt")))
        XCTAssertEqual(model.metadata["source.format"], "pytorch")
        XCTAssertEqual(model.metadata[HuggingFaceSnapshot.sourceMetadataKey]?["repo"], "org/m")
        XCTAssertEqual(model.architecture.type, "bert")
        XCTAssertEqual(model.assets.map(\.name), ["config.json", "vocab.txt"])
        XCTAssertTrue(model.assets.allSatisfy { $0.path.hasPrefix(repo + "/blobs/") }, "assets read from the blobs")

        // The same files as a plain folder give the same tensors, assets and metadata, bar the source.
        let plain = root + "/plain"
        try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
        for (entry, blob) in snapshot.files { try FileManager.default.copyItem(atPath: blob, toPath: plain + "/" + entry) }
        var folder = try ForeignModel.open(plain, format: .huggingFaceFolder, scratchDirectory: root)
        folder.metadata[HuggingFaceSnapshot.sourceMetadataKey] = model.metadata[HuggingFaceSnapshot.sourceMetadataKey]
        XCTAssertEqual(folder.metadata, model.metadata)
        XCTAssertEqual(folder.tensors.tensorDescriptors, model.tensors.tensorDescriptors)
        XCTAssertEqual(folder.assets.map(\.name), model.assets.map(\.name))
    }

    func testShardedPyTorchSnapshot_ReadsEveryShardFromBlobs_AndItsErrorsArePyTorchErrorsNamingTheEntry() throws {
        let first = "pytorch_model-00001-of-00002.bin", second = "pytorch_model-00002-of-00002.bin"
        func index(_ map: [(String, String)]) throws -> [UInt8] {
            var weightMap: [String: JSONValue] = [:]
            for (fixture, shard) in map { for name in try pytorchTensorNames(fixture) { weightMap[name] = .string(shard) } }
            return JSONValue.object(["weight_map": .object(weightMap)]).canonicalBytes
        }
        let module = try readBytes(pytorchFixtures + "/module.pt"), dtypes = try readBytes(pytorchFixtures + "/dtypes.pt")
        let repo = try makeRepo([first: module, second: dtypes,
                                 "pytorch_model.bin.index.json": try index([("module.pt", first), ("dtypes.pt", second)])])
        let model = try HuggingFaceCache.snapshot(at: repo, revision: nil).model()
        XCTAssertEqual(Set(model.tensors.tensorDescriptors.map(\.name)),
                       Set(try pytorchTensorNames("module.pt") + pytorchTensorNames("dtypes.pt")))

        // The index puts module.pt's tensors in the second shard: named by entry and blob, as a PyTorchError.
        try FileManager.default.removeItem(atPath: root + "/models--org--m")
        let wrong = try makeRepo([first: module, second: dtypes,
                                  "pytorch_model.bin.index.json": try index([("module.pt", second), ("dtypes.pt", first)])])
        let snapshot = try HuggingFaceCache.snapshot(at: wrong, revision: nil)
        let error = pytorchError { _ = try snapshot.model() }
        XCTAssertEqual(error?.file, snapshot.folder + "/\(first) (blobs/\(SHA256.digest(module).hex))")
        guard case let .tensorNotInIndex(_, shard)? = error?.reason else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(shard, first)
    }

    func testGGUFSnapshot_ReadFromItsBlob() throws {
        var gguf = Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(1)) + le(UInt64(0))  // one tensor, no metadata
        gguf += le(UInt64(1)) + Array("w".utf8) + le(UInt32(1)) + le(UInt64(4)) + le(UInt32(0)) + le(UInt64(0))  // "w": F32[4] at 0
        gguf += [UInt8](repeating: 0, count: (32 - gguf.count % 32) % 32) + patternBytes(16, seed: 5)
        let repo = try makeRepo(["model.gguf": gguf, "README.md": Array("# m\n".utf8)])
        let model = try HuggingFaceCache.snapshot(at: repo, revision: nil).model()
        XCTAssertEqual(model.name, "org/m")
        XCTAssertEqual(model.tensors.tensorDescriptors.map(\.name), ["w"])
        XCTAssertEqual(model.metadata["source.format"], "gguf")
        XCTAssertEqual(model.assets.map(\.name), ["README.md"])

        // Not GGUF after all: the GGUF reader's error, naming the entry and its blob.
        try FileManager.default.removeItem(atPath: repo)
        let junk = Array("GGUF but nothing more".utf8)
        let bad = try HuggingFaceCache.snapshot(at: try makeRepo(["model.gguf": junk]), revision: nil)
        XCTAssertThrowsError(try bad.model()) { error in
            XCTAssertEqual((error as? GGUFError)?.file, bad.folder + "/model.gguf (blobs/\(SHA256.digest(junk).hex))", "\(error)")
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
