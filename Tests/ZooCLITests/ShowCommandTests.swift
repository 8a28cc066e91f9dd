import Foundation
import XCTest
import ZooFormat

final class ShowCommandTests: CLITestCase {
    func testShow_Text_HasEverySection() throws {
        let digest = try importBertTiny()
        let text = try run(["show", "bert-tiny"]).stdout
        for line in [
            "digest:         \(digest)", "name:           bert", "refs:           bert-tiny:latest",
            "format:         1.0", "architecture:   bert (autoencoding)", "parameters:     201.3k (201282)",
            "dtypes:         F32", "size:           823.1 kB (823069 bytes)", "shards:         3", "assets:         4",
            "assets/config.json  731 B  sha256:", "metadata:       safetensors.metadata, source.format",
        ] {
            XCTAssertTrue(text.contains(line), "\(line) not in:\n\(text)")
        }
        XCTAssertFalse(text.contains("lineage:"))
        XCTAssertFalse(text.contains("DTYPE"))
    }

    func testShow_Tensors_ListsNameDtypeShape() throws {
        _ = try importBertTiny()
        let text = try run(["show", "bert-tiny", "--tensors"]).stdout
        XCTAssertTrue(text.contains("NAME"), text)
        XCTAssertTrue(text.range(of: #"embeddings\.word_embeddings\.weight +F32 +\[\d+, \d+\]"#, options: .regularExpression) != nil,
                      text)
    }

    func testShow_JSON_ParsesWithEverything() throws {
        let digest = try importBertTiny()
        let short = String(digest.dropFirst(7).prefix(8))
        let value = try json(try run(["show", short, "--json"]).stdout)
        XCTAssertEqual(value["digest"]?.stringValue, digest)
        XCTAssertEqual(value["name"]?.stringValue, "bert", "from config.json, not the folder name")
        XCTAssertEqual(value["formatVersion"]?.stringValue, "1.0")
        XCTAssertEqual(value["architecture"]?["type"]?.stringValue, "bert")
        XCTAssertEqual(value["architecture"]?["family"]?.stringValue, "autoencoding")
        XCTAssertEqual(value["parameterCount"]?.integerValue, 201_282)
        XCTAssertEqual(value["dtypes"], ["F32"])
        XCTAssertEqual(value["size"]?.integerValue, 823_069)
        XCTAssertEqual(value["shards"]?.arrayValue?.count, 3, "canonical packing: embeddings, both layers, pooler + head")
        XCTAssertEqual(value["assets"]?.arrayValue?.count, 4)
        XCTAssertEqual(value["tensors"]?.arrayValue?.count, 41)
        XCTAssertEqual(value["lineage"], .null)
        XCTAssertNotNil(value["metadata"]?["source.format"])
    }

    func testShow_ModelWithLineage_ShowsParentAndRecipe() throws {
        let parent = try XCTUnwrap(SHA256Digest(hex: String(repeating: "1", count: 64)))
        try Fixtures.writeCheckpoint(at: scratch + "/cp", name: "child",
                                     lineage: Lineage(parent: parent, recipe: ["method": "fine-tune", "epochs": 3]))
        try run(["import", scratch + "/cp"])
        let text = try run(["show", "child"]).stdout
        XCTAssertTrue(text.contains("lineage:        parent \(parent)\n"), text)
        XCTAssertTrue(text.contains("recipe {\"epochs\":3,\"method\":\"fine-tune\"}"), text)
        let value = try json(try run(["show", "child", "--json"]).stdout)
        XCTAssertEqual(value["lineage"], ["parent": .string(parent.description), "recipe": ["method": "fine-tune", "epochs": 3]])
    }

    func testShow_Unknown_Exit1() throws {
        let result = try run(["show", "nope:v9"], expect: 1)
        XCTAssertEqual(result.stderr, "Error: no model nope:v9 in the store\n")
    }

    func testShow_MalformedReference_Exit2() throws {
        let result = try run(["show", "Nope"], expect: 2)
        XCTAssertTrue(result.stderr.contains("invalid model name \"Nope\": uppercase \"N\" at position 1"), result.stderr)
    }

    func testShow_StoreWithoutIndex_SameOutput() throws {
        let digest = try importBertTiny()
        try run(["tag", "bert-tiny", "bert:v1"])
        let text = try run(["show", "bert-tiny"]).stdout
        let json = try run(["show", "bert:v1", "--json"]).stdout
        XCTAssertTrue(text.contains("refs:           bert:v1, bert-tiny:latest\n"), text)
        try FileSystem.removeTree(storeRoot + "/index")
        XCTAssertEqual(try run(["show", "bert-tiny"]).stdout, text)
        XCTAssertEqual(try run(["show", String(digest.dropFirst(7).prefix(10))]).stdout, text)
        XCTAssertEqual(try run(["show", "bert:v1", "--json"]).stdout, json)
    }

    func testShow_Text_ReadsSummaryNotManifest() throws {
        // With the summary intact, a damaged manifest blob of the same size goes unnoticed by the
        // plain text (it never parses the manifest); --tensors and --json parse it and say so.
        let digest = try importBertTiny()
        let text = try run(["show", "bert-tiny"]).stdout
        try Fixtures.flipByte(in: storeRoot + "/blobs/sha256/" + digest.dropFirst(7), at: 0)
        XCTAssertEqual(try run(["show", "bert-tiny"]).stdout, text)
        let tensors = try run(["show", "bert-tiny", "--tensors"], expect: 1)
        XCTAssertTrue(tensors.stderr.hasPrefix("Error: manifest blob \(digest) is corrupt: its bytes hash to sha256:"),
                      tensors.stderr)
        try run(["show", "bert-tiny", "--json"], expect: 1)
        try run(["verify", "bert-tiny"], expect: 1)
    }
}
