import Foundation
import XCTest
import ZooFormat

/// Hugging Face folders whose weights are not safetensors: `pytorch_model.bin`, sharded
/// `pytorch_model-0000N-of-0000M.bin` with `pytorch_model.bin.index.json` (built from the
/// committed torch.save fixtures), and one `.gguf`; with config.json and tokenizer files kept.
final class HuggingFaceFolderImportTests: CLITestCase {
    private let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/pytorch").path

    private let config = #"{"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 8}"#

    /// The fixtures' manifest: tensor name -> sha256 torch computed, for `file`.
    private func expectedDigests(_ file: String) throws -> [String: String] {
        let manifest = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: fixtures + "/manifest.json"))))
        var digests: [String: String] = [:]
        for tensor in try XCTUnwrap(manifest["valid"]?[file]?["tensors"]?.arrayValue) {
            digests[tensor["name"]?.stringValue ?? ""] = "sha256:" + (tensor["sha256"]?.stringValue ?? "")
        }
        return digests
    }

    private func storedDigests(_ name: String) throws -> [String: String] {
        var digests: [String: String] = [:]
        for tensor in try json(try run(["show", name, "--json"]).stdout)["tensors"]?.arrayValue ?? [] {
            digests[tensor["name"]?.stringValue ?? ""] = tensor["digest"]?.stringValue
        }
        return digests
    }

    private func makeFolder(_ name: String, files: [String: String], texts: [String: String] = [:]) throws -> String {
        let folder = scratch + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (target, source) in files { try FileManager.default.copyItem(atPath: source, toPath: folder + "/" + target) }
        for (target, text) in texts { _ = FileManager.default.createFile(atPath: folder + "/" + target, contents: Data(text.utf8)) }
        return folder
    }

    private func index(_ shards: [(file: String, fixture: String)]) throws -> String {
        var map: [String: JSONValue] = [:]
        for shard in shards { for name in try expectedDigests(shard.fixture).keys { map[name] = .string(shard.file) } }
        return String(decoding: JSONValue.object(["metadata": ["total_size": 1234], "weight_map": .object(map)]).canonicalBytes,
                      as: UTF8.self)
    }

    func testImport_PyTorchModelBinFolder_TensorsExactAndAssetsKept() throws {
        let folder = try makeFolder("pt-bert", files: ["pytorch_model.bin": fixtures + "/module.pt"],
                                    texts: ["config.json": config, "vocab.txt": "[PAD]\n[UNK]\n"])
        let result = try run(["import", folder])
        XCTAssertTrue(result.stdout.hasPrefix("Imported pt-bert:latest sha256:"), result.stdout)
        XCTAssertEqual(try storedDigests("pt-bert"), try expectedDigests("module.pt"))
        let show = try json(try run(["show", "pt-bert", "--json"]).stdout)
        XCTAssertEqual(show["metadata"]?["source.format"], "pytorch")
        XCTAssertEqual(show["architecture"]?["type"], "bert")
        XCTAssertEqual(show["architecture"]?["family"], "autoencoding")
        XCTAssertEqual(Set(show["assets"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []),
                       ["assets/config.json", "assets/vocab.txt"], "\(show["assets"] ?? .null)")
        try run(["verify", "pt-bert", "--deep"])
    }

    func testImport_ShardedPyTorchFolder_EveryShardsTensors() throws {
        let first = "pytorch_model-00001-of-00002.bin", second = "pytorch_model-00002-of-00002.bin"
        let folder = try makeFolder("sharded", files: [first: fixtures + "/module.pt", second: fixtures + "/dtypes.pt"],
                                    texts: ["config.json": config,
                                            "pytorch_model.bin.index.json": try index([(first, "module.pt"), (second, "dtypes.pt")])])
        try run(["import", folder])
        let expected = try expectedDigests("module.pt").merging(try expectedDigests("dtypes.pt")) { a, _ in a }
        XCTAssertEqual(expected.count, 37)
        XCTAssertEqual(try storedDigests("sharded"), expected)
        let show = try json(try run(["show", "sharded", "--json"]).stdout)
        XCTAssertEqual(show["metadata"]?["pytorch.index.metadata"], ["total_size": 1234])
        try run(["verify", "sharded", "--deep"])
    }

    func testImport_ShardedPyTorchFolder_IndexDisagreeingWithShards_RefusedStoringNothing() throws {
        let first = "pytorch_model-00001-of-00002.bin", second = "pytorch_model-00002-of-00002.bin"
        // The index says module.pt's tensors are in the second shard.
        let wrong = try index([(second, "module.pt"), (first, "dtypes.pt")])
        let folder = try makeFolder("wrong", files: [first: fixtures + "/module.pt", second: fixtures + "/dtypes.pt"],
                                    texts: ["pytorch_model.bin.index.json": wrong])
        let result = try run(["import", folder], expect: 1)
        assertErrorLine(result, contains: [folder + "/" + first, "which the index does not map to it"])
        XCTAssertEqual(try run(["list", "--json"]).stdout, "[]\n")

        // A shard of the series that the index never names.
        let partial = try makeFolder("partial", files: [first: fixtures + "/module.pt", second: fixtures + "/dtypes.pt"],
                                     texts: ["pytorch_model.bin.index.json": try index([(first, "module.pt")])])
        assertErrorLine(try run(["import", partial], expect: 1), contains: [second, "the index maps no tensor to it"])
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/tmp"), [])
    }

    func testImport_FolderWithOneGGUF_ImportedWithItsAssets() throws {
        let folder = try makeFolder("gguf-model", files: ["tiny.gguf": try GGUFCommandTests.fixture("gguf", "all_types.gguf")],
                                    texts: ["README.md": "# tiny\n"])
        let result = try run(["import", folder])
        XCTAssertTrue(result.stdout.hasPrefix("Imported gguf-model:latest sha256:"), result.stdout)
        let show = try json(try run(["show", "gguf-model", "--json"]).stdout)
        XCTAssertEqual(show["metadata"]?["source.format"], "gguf")
        XCTAssertEqual(show["assets"]?.arrayValue?.compactMap { $0["path"]?.stringValue }, ["assets/README.md"])
    }

    /// sentence-transformers folders hold more than the known files: all are kept, in their
    /// subfolders, and come back on export; weights in formats the import does not read are named.
    func testImport_EveryNonWeightFileIsKeptAndOtherWeightsAreNamed() throws {
        let source = scratch + "/st"
        try FileSystem.makeDirectories(source + "/1_Pooling")
        try FileSystem.makeDirectories(source + "/.git")
        for file in ["model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(atPath: try Fixtures.bertTiny() + "/" + file, toPath: source + "/" + file)
        }
        let texts = ["1_Pooling/config.json": #"{"pooling_mode_mean_tokens": true}"#, "data_config.json": "[]",
                     "tf_model.h5": "not read", ".git/HEAD": "ref: refs/heads/main", ".gitattributes": "*.h5 lfs"]
        for (path, text) in texts { try Data(text.utf8).write(to: URL(fileURLWithPath: source + "/" + path)) }

        let imported = try run(["import", source, "--name", "st"])
        XCTAssertEqual(imported.stderr, "note: not imported (weights the import does not read): tf_model.h5\n")
        let shown = try json(try run(["show", "st", "--json"]).stdout)
        let assets = shown["assets"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
        XCTAssertTrue(assets.contains("assets/1_Pooling/config.json") && assets.contains("assets/data_config.json"), "\(assets)")
        XCTAssertFalse(assets.contains { $0.contains(".git") || $0.contains("tf_model") }, "\(assets)")

        try run(["export", "st", "-o", scratch + "/back/"])
        XCTAssertEqual(FileManager.default.contents(atPath: scratch + "/back/1_Pooling/config.json"),
                       Data(texts["1_Pooling/config.json"]!.utf8))
        XCTAssertEqual(FileSystem.kind(of: scratch + "/back/data_config.json"), .regular)
    }
}
