import Foundation
import XCTest
import ZooConverters
import ZooFormat

/// Hugging Face folders of torch.save files (`pytorch_model.bin`, or shards and
/// `pytorch_model.bin.index.json`): every rejection is a ``PyTorchError`` naming the file.
final class PyTorchFolderTests: XCTestCase {
    var root = ""
    let first = "pytorch_model-00001-of-00002.bin", second = "pytorch_model-00002-of-00002.bin"

    override func setUpWithError() throws { root = try makeTemporaryDirectory(self) }

    func names(_ fixture: String) throws -> [String] {
        try XCTUnwrap(try pytorchFixtureManifest()["valid"]?[fixture]?["tensors"]?.arrayValue).compactMap { $0["name"]?.stringValue }
    }

    /// `{"weight_map": ...}` mapping each fixture's tensors to its shard, plus `extra` entries.
    func index(_ map: [(fixture: String, shard: String)], extra: [String: String] = [:]) throws -> [UInt8] {
        var weightMap: [String: JSONValue] = extra.mapValues { .string($0) }
        for (fixture, shard) in map { for name in try names(fixture) { weightMap[name] = .string(shard) } }
        return JSONValue.object(["weight_map": .object(weightMap)]).canonicalBytes
    }

    /// A folder with `files` (name -> fixture copied) and `texts` (name -> bytes).
    func folder(_ files: [String: String], texts: [String: [UInt8]] = [:]) throws -> String {
        let path = root + "/" + FileSystem.uniqueName("folder")
        try FileSystem.makeDirectories(path)
        for (name, fixture) in files { try FileManager.default.copyItem(atPath: pytorchFixtures + "/" + fixture, toPath: path + "/" + name) }
        for (name, bytes) in texts { try writeBytes(bytes, to: path + "/" + name) }
        return path
    }

    func open(_ folder: String) throws {
        _ = try ForeignModel.open(folder, format: .huggingFaceFolder, scratchDirectory: root)
    }

    func sharded(index bytes: [UInt8]) throws -> String {
        try folder([first: "module.pt", second: "dtypes.pt"], texts: [PyTorchFolderTests.indexName: bytes])
    }

    static let indexName = "pytorch_model.bin.index.json"

    func testShardedFolder_ReadsEveryShard() throws {
        let path = try sharded(index: try index([("module.pt", first), ("dtypes.pt", second)]))
        let model = try ForeignModel.open(path, format: .huggingFaceFolder, scratchDirectory: root)
        XCTAssertEqual(Set(model.tensors.tensorDescriptors.map(\.name)), Set(try names("module.pt") + names("dtypes.pt")))
    }

    func testIndexProblems_InvalidIndexNamingTheIndex() throws {
        for (bytes, fragment) in [(Array("{not json".utf8), "not JSON"), (Array(#"{"weight_map": {}}"#.utf8), "is empty"),
                                  (Array("[]".utf8), "not a JSON object")] {
            let path = try sharded(index: bytes)
            let error = pytorchError { try open(path) }
            XCTAssertEqual(error?.file, path + "/" + Self.indexName)
            guard case let .invalidIndex(why)? = error?.reason else { XCTFail("\(String(describing: error))"); continue }
            XCTAssertTrue(why.contains(fragment), why)
            XCTAssertTrue(error?.description.contains("invalid PyTorch shard index") == true, "\(String(describing: error))")
        }
    }

    func testShardOutsideTheFolder_Refused() throws {
        for shard in ["../outside.bin", "sub/inside.bin"] {
            let path = try folder([first: "module.pt"], texts: [Self.indexName: try index([("module.pt", first), ("dtypes.pt", shard)])])
            let error = pytorchError { try open(path) }
            XCTAssertEqual(error, PyTorchError(file: path + "/" + Self.indexName, reason: .shardOutsideFolder(shard)))
        }
    }

    func testMissingOrLinkedShard_NamedWithItsPath() throws {
        let missing = try folder([first: "module.pt"], texts: [Self.indexName: try index([("module.pt", first), ("dtypes.pt", second)])])
        XCTAssertEqual(pytorchError { try open(missing) },
                       PyTorchError(file: missing + "/" + second, reason: .missingFile(missing + "/" + second)))

        try FileManager.default.createSymbolicLink(atPath: missing + "/" + second, withDestinationPath: pytorchFixtures + "/dtypes.pt")
        XCTAssertEqual(pytorchError { try open(missing) },
                       PyTorchError(file: missing + "/" + second, reason: .notRegularFile(missing + "/" + second)))

        let single = try folder([:])
        try FileManager.default.createSymbolicLink(atPath: single + "/pytorch_model.bin", withDestinationPath: pytorchFixtures + "/module.pt")
        XCTAssertEqual(pytorchError { try open(single) },
                       PyTorchError(file: single + "/pytorch_model.bin", reason: .notRegularFile(single + "/pytorch_model.bin")))
    }

    func testIndexAndShardsDisagree_EachCaseNamed() throws {
        let swapped = try sharded(index: try index([("module.pt", second), ("dtypes.pt", first)]))
        let notInIndex = pytorchError { try open(swapped) }
        XCTAssertEqual(notInIndex?.file, swapped + "/" + first)
        guard case let .tensorNotInIndex(_, shard)? = notInIndex?.reason else { return XCTFail("\(String(describing: notInIndex))") }
        XCTAssertEqual(shard, first)

        let ghost = try sharded(index: try index([("module.pt", first), ("dtypes.pt", second)], extra: ["ghost": first]))
        XCTAssertEqual(pytorchError { try open(ghost) },
                       PyTorchError(file: ghost + "/" + Self.indexName, reason: .indexedTensorMissing(tensor: "ghost", shard: first)))

        let twice = try folder([first: "module.pt", second: "module.pt"],
                               texts: [Self.indexName: try index([("module.pt", first)], extra: ["unused": second])])
        let duplicate = pytorchError { try open(twice) }
        XCTAssertEqual(duplicate?.file, twice + "/" + second)
        guard case let .tensorInTwoShards(tensor, one, other)? = duplicate?.reason else { return XCTFail("\(String(describing: duplicate))") }
        XCTAssertEqual([one, other], [first, second])
        XCTAssertTrue(try names("module.pt").contains(tensor))

        let partial = try sharded(index: try index([("module.pt", first)]))
        XCTAssertEqual(pytorchError { try open(partial) },
                       PyTorchError(file: partial + "/" + Self.indexName, reason: .unindexedShard(second)))
    }
}
