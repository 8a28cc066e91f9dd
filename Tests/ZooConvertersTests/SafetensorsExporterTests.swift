import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// Export: header bytes as the official writer makes them, files and folders, and round trips on our own data.
final class SafetensorsExporterTests: XCTestCase {
    /// Tensors of every dtype, a scalar, empty tensors and a rank-4 tensor.
    static let tensors: [(String, DType, [Int], [UInt8])] = {
        var result: [(String, DType, [Int], [UInt8])] = []
        for (i, dtype) in DType.scalarCases.enumerated() {
            // [2, 4]: 8 elements fill whole bytes in every dtype, F4 and F6 included.
            result.append(("layer.\(i).\(dtype.rawValue.lowercased())", dtype, [2, 4],
                           patternBytes(dtype.byteCount(elementCount: 8) ?? 0, seed: UInt8(i))))
        }
        result.append(("scalar", .f32, [], [0, 0, 0x20, 0x40]))
        result.append(("empty", .i64, [3, 0], []))
        result.append(("empty.f16", .f16, [0], []))
        result.append(("rank4", .u8, [2, 1, 3, 2], patternBytes(12, seed: 99)))
        result.append(("名前.ü\"\\\n", .bf16, [1], [1, 2]))
        return result
    }()
    static let metadata: [String: JSONValue] = [
        "safetensors.metadata": ["format": "pt", "note": "line\none \"quoted\" ✓", "empty": ""],
    ]

    func entry(_ name: String, _ dtype: DType, _ shape: [Int]) -> TensorEntry {
        let length = dtype.byteCount(elementCount: Shape.elementCount(shape) ?? 0) ?? 0
        return TensorEntry(name: name, dtype: dtype, shape: shape, shard: 0, offset: 0, length: length, digest: SHA256.digest([]))
    }

    // MARK: Header

    func testHeader_EscapesAndLayout_MatchOfficialWriterBytes() throws {
        // safetensors 0.8.0: save({"t\x01\x1f\x7f/\u2028 🦓": np.zeros((), np.uint8)}, metadata={"k": "\x00\x08\x0c\x7f</"})
        let expected = Array(("{\"__metadata__\":{\"k\":\"\\u0000\\b\\f\u{7f}</\"},"
            + "\"t\\u0001\\u001f\u{7f}/\u{2028} 🦓\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}} ").utf8)
        XCTAssertEqual(expected.count, 112)
        let header = try SafetensorsExporter.header(
            for: [entry("t\u{1}\u{1f}\u{7f}/\u{2028} 🦓", .u8, [])], metadata: ["k": "\u{0}\u{8}\u{c}\u{7f}</"], file: "x")
        XCTAssertEqual(header, expected)
    }

    func testHeader_ContiguousOffsetsAndPadding_MatchOfficialWriterBytes() throws {
        // safetensors 0.8.0: save({"a": np.zeros(0, np.float32)}, metadata={}), save({}), and
        // save({"b": zeros(3, f32), "a": ones(2, f16), "c": zeros(1, f64)}, metadata={"format": "pt"}).
        XCTAssertEqual(try SafetensorsExporter.header(for: [entry("a", .f32, [0])], metadata: [:], file: "x"),
                       Array(#"{"__metadata__":{},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#.utf8))
        XCTAssertEqual(try SafetensorsExporter.header(for: [], metadata: nil, file: "x"), Array("{}      ".utf8))
        let header = try SafetensorsExporter.header(
            for: [entry("c", .f64, [1]), entry("b", .f32, [3]), entry("a", .f16, [2])], metadata: ["format": "pt"], file: "x")
        XCTAssertEqual(String(decoding: header, as: UTF8.self),
                       #"{"__metadata__":{"format":"pt"},"c":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"#
                       + #""b":{"dtype":"F32","shape":[3],"data_offsets":[8,20]},"a":{"dtype":"F16","shape":[2],"data_offsets":[20,24]}}      "#)
    }

    func testHeader_TensorNamedMetadata_ThrowsReservedTensorName() {
        XCTAssertEqual(safetensorsError { _ = try SafetensorsExporter.header(for: [self.entry("__metadata__", .u8, [1])], metadata: nil, file: "x") },
                       SafetensorsError(file: "x", reason: .reservedTensorName("__metadata__")))
    }

    func testHeader_MetadataKeys_InCodePointOrder() throws {
        let header = try SafetensorsExporter.header(for: [], metadata: ["b": "1", "a": "2", "é": "3", "Z": "4"], file: "x")
        XCTAssertEqual(String(decoding: header, as: UTF8.self), #"{"__metadata__":{"Z":"4","a":"2","b":"1","é":"3"}}"# + "     ")
    }

    func testPythonJSON_MatchesJSONDumpsIndent2SortKeys() {
        let value: JSONValue = [
            "weight_map": ["b": "f", "a": "g", "Z": "h"],
            "metadata": ["total_size": 5, "x": "é\n\u{7f}🦓", "l": [], "e": [:], "n": nil, "b": true, "f": 0.5, "arr": [1, "a"]],
        ]
        // python3 -c 'print(json.dumps(value, indent=2, sort_keys=True))'
        let expected = "{\n  \"metadata\": {\n    \"arr\": [\n      1,\n      \"a\"\n    ],\n    \"b\": true,\n    \"e\": {},\n"
            + "    \"f\": 0.5,\n    \"l\": [],\n    \"n\": null,\n    \"total_size\": 5,\n"
            + "    \"x\": \"\\u00e9\\n\\u007f\\ud83e\\udd93\"\n  },\n  \"weight_map\": {\n    \"Z\": \"h\",\n"
            + "    \"a\": \"g\",\n    \"b\": \"f\"\n  }\n}"
        XCTAssertEqual(String(decoding: PythonJSON.dumps(value), as: UTF8.self), expected)
    }

    func testShardGroups_FillInOrderAndGiveBigTensorsTheirOwnShard() {
        let tensors = [entry("a", .u8, [4]), entry("b", .u8, [4]), entry("big", .u8, [20]), entry("c", .u8, [3]),
                       entry("d", .u8, [7]), entry("e", .u8, [0]), entry("f", .u8, [1])]
        // a+b fit (8); big alone; c+d fill 10 exactly, the empty e still fits; f starts a new shard.
        XCTAssertEqual(SafetensorsExporter.shardGroups(tensors, maxByteCount: 10), [0..<2, 2..<3, 3..<6, 6..<7])
        XCTAssertEqual(SafetensorsExporter.shardGroups(tensors, maxByteCount: 1000), [0..<7])
        XCTAssertEqual(SafetensorsExporter.shardGroups([], maxByteCount: 10), [0..<0])
    }

    // MARK: Files

    func testExportFile_ThenRead_GivesSameTensorsMetadataAndOrder() throws {
        let dir = try makeTemporaryDirectory(self)
        try makeCheckpoint(at: dir + "/ckpt", tensors: Self.tensors, metadata: Self.metadata)
        let checkpoint = try Checkpoint(directory: dir + "/ckpt")
        try SafetensorsExporter().exportFile(checkpoint, to: dir + "/out.safetensors")

        let file = try SafetensorsFile(path: dir + "/out.safetensors")
        XCTAssertEqual(file.tensors.map(\.name), Self.tensors.map(\.0))
        for (tensor, (_, dtype, shape, bytes)) in zip(file.tensors, Self.tensors) {
            XCTAssertEqual(tensor.dtype, dtype)
            XCTAssertEqual(tensor.shape, shape)
            XCTAssertEqual(Array(tensor.bytes), bytes, tensor.name)
        }
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "line\none \"quoted\" ✓", "empty": ""])
        XCTAssertEqual(file.headerByteCount % 8, 0)
        XCTAssertEqual(try FileSystem.listDirectory(dir), ["ckpt", "out.safetensors"])  // no temp file left
    }

    func testRoundTrip_FileToZooToFile_IsAFixedPoint() throws {
        let dir = try makeTemporaryDirectory(self)
        try makeCheckpoint(at: dir + "/ckpt", tensors: Self.tensors, metadata: Self.metadata)
        try SafetensorsExporter().exportFile(try Checkpoint(directory: dir + "/ckpt"), to: dir + "/1.safetensors")
        let manifest = try SafetensorsImporter().importFile(dir + "/1.safetensors", to: dir + "/zoo")
        XCTAssertEqual(manifest.name, "1")
        XCTAssertEqual(manifest.metadata["source.format"], "safetensors")
        XCTAssertEqual(manifest.metadata["safetensors.metadata"], Self.metadata["safetensors.metadata"])
        XCTAssertEqual(manifest.architecture.family, .other)
        XCTAssertEqual(manifest.architecture.type, "unknown")
        let original = try Checkpoint(directory: dir + "/ckpt").manifest
        XCTAssertEqual(manifest.tensorsInSourceOrder.map(\.name), original.tensorsInSourceOrder.map(\.name))
        XCTAssertEqual(manifest.tensorsInSourceOrder.map(\.digest), original.tensorsInSourceOrder.map(\.digest))
        XCTAssertEqual(manifest.architecture.parameterCount, original.architecture.parameterCount)

        try SafetensorsExporter().exportFile(try Checkpoint(directory: dir + "/zoo"), to: dir + "/2.safetensors")
        XCTAssertEqual(try readBytes(dir + "/2.safetensors"), try readBytes(dir + "/1.safetensors"))
    }

    func testExportFile_NoStoredMetadata_WritesNoMetadataKey() throws {
        let dir = try makeTemporaryDirectory(self)
        try makeCheckpoint(at: dir + "/ckpt", tensors: [("w", .u8, [2], [1, 2])])
        try SafetensorsExporter().exportFile(try Checkpoint(directory: dir + "/ckpt"), to: dir + "/o.safetensors")
        XCTAssertEqual(try readBytes(dir + "/o.safetensors"),
                       safetensorsBytes(header: #"{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"# + "   ", data: [1, 2]))
    }

    func testExportFile_DestinationExists_ThrowsAndKeepsIt() throws {
        let dir = try makeTemporaryDirectory(self)
        try makeCheckpoint(at: dir + "/ckpt", tensors: [("w", .u8, [2], [1, 2])])
        try writeBytes([42], to: dir + "/o.safetensors")
        let error = safetensorsError { try SafetensorsExporter().exportFile(try Checkpoint(directory: dir + "/ckpt"), to: dir + "/o.safetensors") }
        XCTAssertEqual(error, SafetensorsError(file: dir + "/o.safetensors", reason: .io(
            IOError(call: "create", path: dir + "/o.safetensors", errno: EEXIST))))
        XCTAssertEqual(try readBytes(dir + "/o.safetensors"), [42])
        XCTAssertEqual(try FileSystem.listDirectory(dir), ["ckpt", "o.safetensors"])
    }

    func testExport_StoredMetadataNotStrings_ThrowsInvalidStoredMetadata() throws {
        let dir = try makeTemporaryDirectory(self)
        try makeCheckpoint(at: dir + "/ckpt", tensors: [("w", .u8, [2], [1, 2])], metadata: ["safetensors.metadata": ["n": 1]])
        let checkpoint = try Checkpoint(directory: dir + "/ckpt")
        XCTAssertEqual(safetensorsError { try SafetensorsExporter().exportFile(checkpoint, to: dir + "/o.safetensors") },
                       SafetensorsError(file: dir + "/o.safetensors", reason: .invalidStoredMetadata))
        XCTAssertEqual(safetensorsError { try SafetensorsExporter().exportFolder(checkpoint, to: dir + "/hf") },
                       SafetensorsError(file: dir + "/hf", reason: .invalidStoredMetadata))
        XCTAssertEqual(try FileSystem.listDirectory(dir), ["ckpt"])
    }

    // MARK: Folders

    func testExportFolder_SmallMaxShard_WritesShardsIndexAndAssetsThatImportBack() throws {
        let dir = try makeTemporaryDirectory(self)
        let config = Array(#"{"model_type": "bert", "hidden_size": 4}"#.utf8)
        try makeCheckpoint(
            at: dir + "/ckpt", tensors: Self.tensors,
            metadata: Self.metadata.merging(["safetensors.index.metadata": ["total_size": 1, "total_parameters": 7]]) { a, _ in a },
            assets: [("config.json", config), ("vocab.txt", Array("[PAD]\nhello\n".utf8)), ("tokenizer/extra.json", [0x7b, 0x7d])])
        let checkpoint = try Checkpoint(directory: dir + "/ckpt")
        let written = try SafetensorsExporter(maxShardByteCount: 60).exportFolder(checkpoint, to: dir + "/hf")

        let total = Self.tensors.reduce(0) { $0 + $1.3.count }
        let groups = SafetensorsExporter.shardGroups(checkpoint.manifest.tensorsInSourceOrder, maxByteCount: 60)
        XCTAssertGreaterThan(groups.count, 2)
        let shardNames = (1...groups.count).map { String(format: "model-%05d-of-%05d.safetensors", $0, groups.count) }
        XCTAssertEqual(written, shardNames + ["model.safetensors.index.json", "config.json", "vocab.txt", "tokenizer/extra.json"])
        XCTAssertEqual(Set(try FileSystem.listDirectory(dir + "/hf")),
                       Set(shardNames + ["model.safetensors.index.json", "config.json", "vocab.txt", "tokenizer"]))
        XCTAssertEqual(try readBytes(dir + "/hf/config.json"), config)
        XCTAssertEqual(try readBytes(dir + "/hf/tokenizer/extra.json"), [0x7b, 0x7d])

        // The index, exactly as json.dumps(index, indent=2, sort_keys=True) + "\n".
        var weightMap: [String: JSONValue] = [:]
        for (group, shard) in zip(groups, shardNames) {
            for tensor in checkpoint.manifest.tensorsInSourceOrder[group] {
                weightMap[tensor.name] = .string(shard)
                let data = try XCTUnwrap(SafetensorsFile(path: dir + "/hf/" + shard).tensor(named: tensor.name))
                XCTAssertLessThanOrEqual(groups.count, checkpoint.manifest.tensorsInSourceOrder.count)
                XCTAssertEqual(Array(data.bytes), Array(try checkpoint.tensor(named: tensor.name).bytes))
            }
            XCTAssertTrue(group.count == 1 || checkpoint.manifest.tensorsInSourceOrder[group].reduce(0) { $0 + $1.length } <= 60)
        }
        let index: JSONValue = ["metadata": ["total_size": .integer(Int64(total)), "total_parameters": 7], "weight_map": .object(weightMap)]
        XCTAssertEqual(try readBytes(dir + "/hf/model.safetensors.index.json"), PythonJSON.dumps(index) + [0x0a])
        XCTAssertTrue(String(decoding: try readBytes(dir + "/hf/model.safetensors.index.json"), as: UTF8.self)
            .hasPrefix("{\n  \"metadata\": {\n    \"total_parameters\": 7,\n    \"total_size\": \(total)\n  },\n  \"weight_map\": {\n"))

        let manifest = try SafetensorsImporter().importFolder(dir + "/hf", to: dir + "/back")
        XCTAssertEqual(manifest.name, "bert", "from config.json (model_type), not the folder name")
        XCTAssertEqual(manifest.architecture.type, "bert")
        XCTAssertEqual(manifest.architecture.family, .autoencoding)
        XCTAssertEqual(manifest.architecture.config["hidden_size"], 4)
        XCTAssertEqual(Set(manifest.tensorsInSourceOrder.map(\.name)), Set(checkpoint.manifest.tensorsInSourceOrder.map(\.name)))
        let digests = Dictionary(uniqueKeysWithValues: checkpoint.manifest.tensorsInSourceOrder.map { ($0.name, $0.digest) })
        for tensor in manifest.tensorsInSourceOrder { XCTAssertEqual(tensor.digest, digests[tensor.name], tensor.name) }
        XCTAssertEqual(manifest.metadata["safetensors.metadata"], Self.metadata["safetensors.metadata"])
        XCTAssertEqual(manifest.metadata["safetensors.index.metadata"], ["total_size": .integer(Int64(total)), "total_parameters": 7])
        // Every asset comes back, in its subfolder too: the round trip is complete.
        XCTAssertEqual(manifest.assets.map(\.path), ["assets/config.json", "assets/tokenizer/extra.json", "assets/vocab.txt"])
    }

    func testExportFolder_EverythingFitsOneShard_WritesModelSafetensorsWithoutIndex() throws {
        let dir = try makeTemporaryDirectory(self)
        try makeCheckpoint(at: dir + "/ckpt", tensors: Self.tensors, metadata: Self.metadata,
                           assets: [("README.md", Array("# model\n".utf8))])
        let checkpoint = try Checkpoint(directory: dir + "/ckpt")
        let written = try SafetensorsExporter().exportFolder(checkpoint, to: dir + "/hf")
        XCTAssertEqual(written, ["model.safetensors", "README.md"])
        XCTAssertEqual(try FileSystem.listDirectory(dir + "/hf"), ["README.md", "model.safetensors"])
        try SafetensorsExporter().exportFile(checkpoint, to: dir + "/single.safetensors")
        XCTAssertEqual(try readBytes(dir + "/hf/model.safetensors"), try readBytes(dir + "/single.safetensors"))
        XCTAssertEqual(Set(try FileSystem.listDirectory(dir)), ["ckpt", "hf", "single.safetensors"])  // no staging left
    }

    func testExportFolder_AssetNamedLikeAShard_ThrowsAssetNameClash() throws {
        let dir = try makeTemporaryDirectory(self)
        try makeCheckpoint(at: dir + "/ckpt", tensors: [("w", .u8, [2], [1, 2])], assets: [("model.safetensors", [1])])
        XCTAssertEqual(safetensorsError { try SafetensorsExporter().exportFolder(try Checkpoint(directory: dir + "/ckpt"), to: dir + "/hf") },
                       SafetensorsError(file: dir + "/hf", reason: .assetNameClash("model.safetensors")))
        XCTAssertEqual(try FileSystem.listDirectory(dir), ["ckpt"])
    }

    func testExportFolder_DestinationExistsOrBadShardSize_Throws() throws {
        let dir = try makeTemporaryDirectory(self)
        try makeCheckpoint(at: dir + "/ckpt", tensors: [("w", .u8, [2], [1, 2])])
        let checkpoint = try Checkpoint(directory: dir + "/ckpt")
        XCTAssertEqual(safetensorsError { try SafetensorsExporter().exportFolder(checkpoint, to: dir + "/ckpt") },
                       SafetensorsError(file: dir + "/ckpt", reason: .io(IOError(call: "create", path: dir + "/ckpt", errno: EEXIST))))
        XCTAssertEqual(safetensorsError { try SafetensorsExporter(maxShardByteCount: 0).exportFolder(checkpoint, to: dir + "/hf") },
                       SafetensorsError(file: dir + "/hf", reason: .invalidMaxShardSize(0)))
        XCTAssertEqual(try FileSystem.listDirectory(dir), ["ckpt"])
    }

    func testExport_EmptyCheckpoint_WritesAnEmptyValidFile() throws {
        let dir = try makeTemporaryDirectory(self)
        try makeCheckpoint(at: dir + "/ckpt", tensors: [])
        try SafetensorsExporter().exportFile(try Checkpoint(directory: dir + "/ckpt"), to: dir + "/e.safetensors")
        XCTAssertEqual(try readBytes(dir + "/e.safetensors"), littleEndian(8) + Array("{}      ".utf8))
        let manifest = try SafetensorsImporter(name: "empty").importFile(dir + "/e.safetensors", to: dir + "/zoo")
        XCTAssertEqual(manifest.name, "empty")
        XCTAssertTrue(manifest.tensorsInSourceOrder.isEmpty)
    }
}
