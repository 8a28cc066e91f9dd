import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// Import of files and Hugging Face folders: the index rules, folder rules and architecture inference.
final class SafetensorsImporterTests: XCTestCase {
    /// A valid file of U8 tensors laid out in the given order.
    func shard(_ tensors: [(String, [UInt8])], metadata: String? = #"{"format":"pt"}"#) -> [UInt8] {
        var parts: [String] = metadata.map { [#""__metadata__":\#($0)"#] } ?? []
        var data: [UInt8] = []
        for (name, bytes) in tensors {
            parts.append(#""\#(name)":{"dtype":"U8","shape":[\#(bytes.count)],"data_offsets":[\#(data.count),\#(data.count + bytes.count)]}"#)
            data += bytes
        }
        return safetensorsBytes(header: "{" + parts.joined(separator: ",") + "}", data: data)
    }

    /// A sharded folder: two shards and an index mapping every tensor to its shard.
    func makeShardedFolder(_ dir: String, index: String? = nil) throws -> String {
        let folder = dir + "/model"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try writeBytes(shard([("a", [1, 2]), ("b", [3])]), to: folder + "/model-00001-of-00002.safetensors")
        try writeBytes(shard([("c", [4, 5, 6])]), to: folder + "/model-00002-of-00002.safetensors")
        let text = index ?? #"""
            {"metadata": {"total_size": 6}, "weight_map": {"a": "model-00001-of-00002.safetensors",
             "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}
            """#
        try writeBytes(Array(text.utf8), to: folder + "/model.safetensors.index.json")
        return folder
    }

    func importError(_ folder: String, to destination: String) -> SafetensorsError? {
        safetensorsError { try SafetensorsImporter().importFolder(folder, to: destination) }
    }

    // MARK: Valid folders

    func testImportFolder_Sharded_WritesTensorsShardByShardWithMetadata() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = try makeShardedFolder(dir)
        try writeBytes(Array(#"{"model_type":"llama","architectures":["LlamaForCausalLM"],"vocab_size":3}"#.utf8),
                       to: folder + "/config.json")
        let manifest = try SafetensorsImporter(name: "tiny-llama").importFolder(folder, to: dir + "/zoo")
        XCTAssertEqual(manifest.name, "tiny-llama")
        XCTAssertEqual(manifest.tensors.map(\.name), ["a", "b", "c"])
        XCTAssertEqual(manifest.architecture.family, .autoregressive)
        XCTAssertEqual(manifest.architecture.type, "llama")
        XCTAssertEqual(manifest.architecture.config["vocab_size"], 3)
        XCTAssertEqual(manifest.architecture.parameterCount, 6)
        XCTAssertEqual(manifest.metadata, [
            "source.format": "safetensors", "safetensors.metadata": ["format": "pt"],
            "safetensors.index.metadata": ["total_size": 6],
        ])
        XCTAssertEqual(manifest.assets.map(\.path), ["assets/config.json"])
        let checkpoint = try Checkpoint(directory: dir + "/zoo")
        XCTAssertEqual(try checkpoint.tensor(named: "c").scalars(as: UInt8.self), [4, 5, 6])
        XCTAssertEqual(try checkpoint.asset(path: "config.json"), try readBytes(folder + "/config.json"))
    }

    func testImportFolder_SingleFileWithAssets_KeepsEveryFileButWeightsAndHiddenOnes() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = dir + "/bert"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try writeBytes(shard([("w", [9])]), to: folder + "/model.safetensors")
        try writeBytes(shard([("x", [9])]), to: folder + "/other.safetensors")  // model.safetensors wins
        for name in ["config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                     "merges.txt", "vocab.json", "generation_config.json", "spiece.model", "README.md", "added_tokens.json",
                     "pytorch_model.bin", ".gitattributes", "notes.txt"] {
            try writeBytes(Array((name == "config.json" ? #"{"model_type":"bert"}"# : name).utf8), to: folder + "/" + name)
        }
        let manifest = try SafetensorsImporter().importModel(from: folder, to: dir + "/zoo")
        XCTAssertEqual(manifest.name, "bert")
        XCTAssertEqual(manifest.tensors.map(\.name), ["w"])
        XCTAssertEqual(manifest.architecture.family, .autoencoding)
        XCTAssertEqual(manifest.assets.map(\.path), [
            "assets/README.md", "assets/added_tokens.json", "assets/config.json", "assets/generation_config.json",
            "assets/merges.txt", "assets/notes.txt", "assets/special_tokens_map.json", "assets/spiece.model",
            "assets/tokenizer.json", "assets/tokenizer_config.json", "assets/vocab.json", "assets/vocab.txt",
        ])
        XCTAssertEqual(try SafetensorsImporter().model(from: folder).leftOut, ["other.safetensors", "pytorch_model.bin"])
        XCTAssertNil(manifest.metadata["safetensors.index.metadata"])
    }

    func testImportFolder_ArchitectureOverride_WinsOverConfig() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = try makeShardedFolder(dir)
        try writeBytes(Array(#"{"model_type":"llama"}"#.utf8), to: folder + "/config.json")
        let importer = SafetensorsImporter(architecture: Architecture(family: .retrieval, type: "custom", config: ["k": 1]))
        let manifest = try importer.importFolder(folder, to: dir + "/zoo")
        XCTAssertEqual(manifest.architecture.family, .retrieval)
        XCTAssertEqual(manifest.architecture.type, "custom")
        XCTAssertEqual(manifest.architecture.config, ["k": 1])
    }

    func testImportModel_DispatchesOnKind() throws {
        let dir = try makeTemporaryDirectory(self)
        try writeBytes(shard([("w", [9])], metadata: nil), to: dir + "/m.safetensors")
        let manifest = try SafetensorsImporter().importModel(from: dir + "/m.safetensors", to: dir + "/zoo")
        XCTAssertEqual(manifest.name, "m")
        XCTAssertEqual(manifest.metadata, ["source.format": "safetensors"])
        XCTAssertEqual(safetensorsError { try SafetensorsImporter().importModel(from: dir + "/none", to: dir + "/z2") },
                       SafetensorsError(file: dir + "/none", reason: .missingFile(dir + "/none")))
    }

    // MARK: Hostile indexes

    func testImportFolder_ShardPathsLeavingTheFolder_ThrowShardPathOutsideFolder() throws {
        let dir = try makeTemporaryDirectory(self)
        try writeBytes(shard([("a", [1])]), to: dir + "/outside.safetensors")
        for path in ["../outside.safetensors", "/etc/passwd", "sub/../../outside.safetensors", "./m.safetensors",
                     "a\\\\b.safetensors", "", "a//b.safetensors"] {
            let folder = try makeShardedFolder(dir, index: #"{"weight_map": {"a": "\#(path)"}}"#)
            let error = importError(folder, to: dir + "/zoo")
            XCTAssertEqual(error?.file, folder + "/model.safetensors.index.json", path)
            XCTAssertEqual(error?.reason, .shardPathOutsideFolder(path.replacingOccurrences(of: "\\\\", with: "\\")), path)
            try FileManager.default.removeItem(atPath: folder)
        }
        XCTAssertEqual(try FileSystem.listDirectory(dir), ["outside.safetensors"])  // nothing written
    }

    func testImportFolder_EmptyWeightMap_IsRefusedNotAnEmptyModel() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = try makeShardedFolder(dir, index: #"{"metadata": {"total_size": 6}, "weight_map": {}}"#)
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(
            file: folder + "/model.safetensors.index.json",
            reason: .invalidIndex(why: "\"weight_map\" is empty: it maps no tensor to a shard")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/zoo"))
    }

    func testImportFolder_IndexLeavingOutAShardOfItsSeries_ThrowsUnindexedShard() throws {
        // The index is right about shard 1 but never names shard 2 (which holds 'c').
        let dir = try makeTemporaryDirectory(self)
        let index = #"{"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors"}}"#
        let folder = try makeShardedFolder(dir, index: index)
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(
            file: folder + "/model.safetensors.index.json", reason: .unindexedShard("model-00002-of-00002.safetensors")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/zoo"))
        // Other safetensors files (a consolidated copy, another series) are not the index's business.
        try FileManager.default.moveItem(atPath: folder + "/model-00002-of-00002.safetensors",
                                         toPath: folder + "/consolidated.safetensors")
        let manifest = try SafetensorsImporter().importFolder(folder, to: dir + "/zoo")
        XCTAssertEqual(manifest.tensors.map(\.name), ["a", "b"])
    }

    func testSeriesPosition_ParsesHuggingFaceShardNames() {
        XCTAssertEqual(ShardIndex.seriesPosition("model-00002-of-00005.safetensors").map { "\($0.prefix) \($0.index) \($0.count)" },
                       "model 2 5")
        XCTAssertEqual(ShardIndex.seriesPosition("a-b-00001-of-00001.safetensors").map { String($0.prefix) }, "a-b")
        for name in ["model.safetensors", "model-1-of-2.safetensors", "model-00001-00002.safetensors", "00001-of-00002.safetensors"] {
            XCTAssertNil(ShardIndex.seriesPosition(name).map { String($0.prefix) }, name)
        }
    }

    func testImportFolder_ShardThroughSymlinkedFolder_ThrowsShardPathOutsideFolder() throws {
        let dir = try makeTemporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: dir + "/elsewhere", withIntermediateDirectories: true)
        try writeBytes(shard([("a", [1])]), to: dir + "/elsewhere/x.safetensors")
        let folder = try makeShardedFolder(dir, index: #"{"weight_map": {"a": "link/x.safetensors"}}"#)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link", withDestinationPath: dir + "/elsewhere")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(
            file: folder + "/model.safetensors.index.json", reason: .shardPathOutsideFolder("link/x.safetensors")))
    }

    func testImportFolder_SymlinkedShard_ThrowsNotRegularFile() throws {
        let dir = try makeTemporaryDirectory(self)
        try writeBytes(shard([("a", [1])]), to: dir + "/real.safetensors")
        let folder = try makeShardedFolder(dir, index: #"{"weight_map": {"a": "s.safetensors"}}"#)
        try FileManager.default.createSymbolicLink(atPath: folder + "/s.safetensors", withDestinationPath: dir + "/real.safetensors")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"),
                       SafetensorsError(file: folder + "/s.safetensors", reason: .notRegularFile(folder + "/s.safetensors")))
    }

    func testImportFolder_MissingShard_ThrowsMissingFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = try makeShardedFolder(dir, index: #"{"weight_map": {"a": "gone.safetensors"}}"#)
        XCTAssertEqual(importError(folder, to: dir + "/zoo"),
                       SafetensorsError(file: folder + "/gone.safetensors", reason: .missingFile(folder + "/gone.safetensors")))
    }

    func testImportFolder_TensorMissingFromIndex_ThrowsTensorNotInIndex() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = try makeShardedFolder(dir, index: #"""
            {"weight_map": {"a": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}
            """#)
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(
            file: folder + "/model-00001-of-00002.safetensors",
            reason: .tensorNotInIndex(tensor: "b", shard: "model-00001-of-00002.safetensors")))
    }

    func testImportFolder_IndexedTensorNotInShard_ThrowsIndexedTensorMissing() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = try makeShardedFolder(dir, index: #"""
            {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
             "c": "model-00002-of-00002.safetensors", "ghost": "model-00002-of-00002.safetensors"}}
            """#)
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(
            file: folder + "/model.safetensors.index.json",
            reason: .indexedTensorMissing(tensor: "ghost", shard: "model-00002-of-00002.safetensors")))
    }

    func testImportFolder_TensorInTwoShards_ThrowsDuplicateTensor() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = try makeShardedFolder(dir)
        try writeBytes(shard([("c", [4, 5, 6]), ("a", [7, 7])]), to: folder + "/model-00002-of-00002.safetensors")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(
            file: folder + "/model-00002-of-00002.safetensors",
            reason: .duplicateTensor(tensor: "a", first: "model-00001-of-00002.safetensors",
                                     second: "model-00002-of-00002.safetensors")))
    }

    func testImportFolder_TensorListedTwiceInIndex_ThrowsDuplicateKey() throws {
        let dir = try makeTemporaryDirectory(self)
        let text = #"{"weight_map": {"a": "model-00001-of-00002.safetensors", "a": "model-00002-of-00002.safetensors"}}"#
        let folder = try makeShardedFolder(dir, index: text)
        let error = importError(folder, to: dir + "/zoo")
        XCTAssertEqual(error?.file, folder + "/model.safetensors.index.json")
        guard case let .invalidJSON(json)? = error?.reason else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(json.reason, .duplicateKey("a"))
        XCTAssertEqual(json.offset, text.distance(from: text.startIndex, to: text.range(of: #", "a""#)!.lowerBound) + 2)
    }

    func testImportFolder_MalformedIndex_ThrowsInvalidIndex() throws {
        let dir = try makeTemporaryDirectory(self)
        let cases: [(String, String)] = [
            ("[]", "not a JSON object"),
            (#"{"metadata": {}}"#, "no \"weight_map\" object"),
            (#"{"weight_map": []}"#, "no \"weight_map\" object"),
            (#"{"weight_map": {"a": 1}}"#, "weight_map[\"a\"] is not a file name"),
            (#"{"weight_map": {}, "metadata": "x"}"#, "\"metadata\" is not an object"),
        ]
        for (text, why) in cases {
            let folder = try makeShardedFolder(dir, index: text)
            XCTAssertEqual(importError(folder, to: dir + "/zoo"),
                           SafetensorsError(file: folder + "/model.safetensors.index.json", reason: .invalidIndex(why: why)), text)
            try FileManager.default.removeItem(atPath: folder)
        }
    }

    func testImportFolder_InvalidShard_ThrowsTheShardsError() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = try makeShardedFolder(dir)
        let bytes = shard([("c", [4, 5, 6])])
        try writeBytes(Array(bytes.dropLast()), to: folder + "/model-00002-of-00002.safetensors")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(
            file: folder + "/model-00002-of-00002.safetensors", offset: bytes.count - 1,
            reason: .tensorPastEndOfFile(tensor: "c", end: 3, dataSize: 2)))
    }

    func testImportFolder_ShardsDisagreeOnMetadata_ThrowsMetadataConflict() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = try makeShardedFolder(dir)
        try writeBytes(shard([("c", [4, 5, 6])], metadata: #"{"format":"tf"}"#), to: folder + "/model-00002-of-00002.safetensors")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(
            file: folder + "/model-00002-of-00002.safetensors",
            reason: .metadataConflict(key: "format", shard: "model-00002-of-00002.safetensors")))
    }

    // MARK: Folder rules

    func testImportFolder_SymlinkedOrDirectoryAsset_ThrowsNotRegularFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = try makeShardedFolder(dir)
        try writeBytes(Array("secret".utf8), to: dir + "/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: folder + "/vocab.txt", withDestinationPath: dir + "/secret.txt")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"),
                       SafetensorsError(file: folder + "/vocab.txt", reason: .notRegularFile(folder + "/vocab.txt")))
        try FileManager.default.removeItem(atPath: folder + "/vocab.txt")
        // In a subfolder (kept as assets too) a link is refused the same way.
        try FileManager.default.createDirectory(atPath: folder + "/1_Pooling", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: folder + "/1_Pooling/config.json", withDestinationPath: dir + "/secret.txt")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(
            file: folder + "/1_Pooling/config.json", reason: .notRegularFile(folder + "/1_Pooling/config.json")))
        XCTAssertEqual(Set(try FileSystem.listDirectory(dir)), ["model", "secret.txt"])
    }

    func testImportFolder_NoOrSeveralModelFiles_Throws() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = dir + "/m"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try writeBytes(Array("{}".utf8), to: folder + "/config.json")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(file: folder, reason: .noModelFile))
        try writeBytes(shard([("a", [1])]), to: folder + "/b.safetensors")
        try writeBytes(shard([("a", [1])]), to: folder + "/a.safetensors")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"),
                       SafetensorsError(file: folder, reason: .ambiguousModelFiles(["a.safetensors", "b.safetensors"])))
        try writeBytes(Array("{}".utf8), to: folder + "/x.safetensors.index.json")
        try writeBytes(Array("{}".utf8), to: folder + "/y.safetensors.index.json")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(
            file: folder, reason: .ambiguousModelFiles(["x.safetensors.index.json", "y.safetensors.index.json"])))
    }

    func testImportFolder_InvalidConfig_ThrowsInvalidConfig() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = try makeShardedFolder(dir)
        try writeBytes(Array("[1]".utf8), to: folder + "/config.json")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"),
                       SafetensorsError(file: folder + "/config.json", reason: .invalidConfig(why: "not a JSON object")))
        try writeBytes(Array(#"{"a":1,"a":2}"#.utf8), to: folder + "/config.json")
        XCTAssertEqual(importError(folder, to: dir + "/zoo"), SafetensorsError(
            file: folder + "/config.json", offset: 7, reason: .invalidConfig(why: "duplicate key \"a\" at JSON byte 7")))
    }

    func testImportFile_NameZooRefuses_ThrowsAndLeavesNothing() throws {
        let dir = try makeTemporaryDirectory(self)
        try writeBytes(shard([("ok", [1]), ("", [2])]), to: dir + "/m.safetensors")
        let error = safetensorsError { try SafetensorsImporter().importFile(dir + "/m.safetensors", to: dir + "/zoo") }
        XCTAssertEqual(error, SafetensorsError(file: dir + "/zoo", reason: .checkpoint(
            FormatError(file: dir + "/zoo", reason: .invalidTensorName("")))))
        XCTAssertEqual(try FileSystem.listDirectory(dir), ["m.safetensors"])  // staging removed
    }

    func testImportFile_UnknownDType_ThrowsNamingTheTensor() throws {
        let dir = try makeTemporaryDirectory(self)
        // Q4_K: a GGML block type, no safetensors dtype (F8_E8M0 and the other 1.1 dtypes import).
        let header = #"{"t":{"dtype":"Q4_K","shape":[2],"data_offsets":[0,2]}}"#
        try writeBytes(safetensorsBytes(header: header, data: [1, 2]), to: dir + "/m.safetensors")
        XCTAssertEqual(safetensorsError { try SafetensorsImporter().importFile(dir + "/m.safetensors", to: dir + "/zoo") },
                       SafetensorsError(file: dir + "/m.safetensors", offset: 9, reason: .unknownDType(tensor: "t", dtype: "Q4_K")))
        XCTAssertEqual(try FileSystem.listDirectory(dir), ["m.safetensors"])
    }

    func testImportFile_DestinationExists_ThrowsCheckpointError() throws {
        let dir = try makeTemporaryDirectory(self)
        try writeBytes(shard([("w", [1])]), to: dir + "/m.safetensors")
        let error = safetensorsError { try SafetensorsImporter().importFile(dir + "/m.safetensors", to: dir) }
        guard case let .checkpoint(format)? = error?.reason, case let .io(io) = format.reason else {
            return XCTFail("\(String(describing: error))")
        }
        XCTAssertEqual(io.errno, EEXIST)
    }

    // MARK: Architecture

    func testFamily_FromModelTypeAndArchitectures() {
        let cases: [(String?, [String], ModelFamily)] = [
            ("bert", [], .autoencoding), ("roberta", [], .autoencoding), ("distilbert", [], .autoencoding),
            ("electra", [], .autoencoding), ("albert", [], .autoencoding), ("deberta-v2", [], .autoencoding),
            ("gpt2", [], .autoregressive), ("gpt_neox", [], .autoregressive), ("llama", [], .autoregressive),
            ("mistral", [], .autoregressive), ("gemma", [], .autoregressive), ("qwen2", [], .autoregressive),
            ("phi", [], .autoregressive), ("falcon", [], .autoregressive), ("opt", [], .autoregressive),
            ("bloom", [], .autoregressive), ("t5", [], .seq2seq), ("bart", [], .seq2seq), ("mbart", [], .seq2seq),
            ("pegasus", [], .seq2seq), ("marian", [], .seq2seq), ("clip", [], .multimodal), ("llava", [], .multimodal),
            ("blip", [], .multimodal), ("vit", [], .multimodal), ("qwen2_vl", [], .multimodal),
            ("clip_vision_model", [], .multimodal), ("rag", [], .retrieval), ("dpr", [], .retrieval),
            (nil, ["GPTNeoXForCausalLM"], .autoregressive), (nil, ["BertForMaskedLM"], .autoencoding),
            (nil, ["RobertaModel"], .autoencoding), (nil, ["T5ForConditionalGeneration"], .seq2seq),
            ("my_new_lm", ["MyNewForCausalLM"], .autoregressive), ("mystery", ["MysteryModel"], .other), (nil, [], .other),
        ]
        for (type, architectures, family) in cases {
            XCTAssertEqual(HuggingFace.family(modelType: type, architectures: architectures), family, "\(type ?? "nil") \(architectures)")
        }
    }

    func testArchitecture_TypeFallsBackToArchitecturesThenUnknown() {
        XCTAssertEqual(HuggingFace.architecture(config: ["architectures": ["BertModel"]]).type, "BertModel")
        XCTAssertEqual(HuggingFace.architecture(config: [:]).type, "unknown")
        XCTAssertEqual(HuggingFace.architecture(config: [:]).family, .other)
    }

    func testSafeRelativePath_RefusesTraversal() {
        for path in ["model.safetensors", "sub/model-00001-of-00002.safetensors", "..a", "a..b"] {
            XCTAssertTrue(HuggingFace.isSafeRelativePath(path), path)
        }
        for path in ["", "/abs", "../x", "a/../b", "a/./b", ".", "a//b", "a/", "a\\b", "a\u{0}b"] {
            XCTAssertFalse(HuggingFace.isSafeRelativePath(path), path)
        }
    }
}
