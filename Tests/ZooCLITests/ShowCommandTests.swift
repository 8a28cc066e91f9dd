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

/// `zoo show LOCATION`: a remote model from its manifests, nothing pulled.
final class RemoteShowCommandTests: RemoteCLITestCase {
    /// bert-tiny imported into another store and pushed to a folder layout; returns (layout, digest).
    private func layoutWithBertTiny() throws -> (String, String) {
        let other = ZooProcess(home: scratch + "/other")
        let digest = try other.run(["import", try Fixtures.bertTiny()]).importedDigest
        let layout = scratch + "/layout"
        XCTAssertEqual(try other.run(["push", "bert-tiny", layout + ":team/bert:v1"]).status, 0)
        return (layout, digest)
    }

    func testShow_FolderRemote_PrintsWhatShowPrintsForAStoredModelAndStoresNothing() throws {
        let (layout, digest) = try layoutWithBertTiny()
        let remote = try run(["show", layout + ":team/bert:v1"]).stdout
        XCTAssertEqual(FileSystem.kind(of: storeRoot), .missing, "nothing written to the store")
        let lines = remote.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "source:         \(layout):team/bert:v1")
        XCTAssertTrue(lines[1].hasPrefix("manifest:       sha256:"), lines[1])
        // The rest is the stored model's text, but for the refs (none: it is not stored).
        _ = try importBertTiny()
        let local = try run(["show", "bert-tiny"]).stdout
        XCTAssertEqual(lines.dropFirst(2).joined(separator: "\n"),
                       local.replacingOccurrences(of: "refs:           bert-tiny:latest", with: "refs:           (none)"))
        XCTAssertTrue(remote.contains("digest:         \(digest)"), remote)
    }

    func testShow_FolderRemoteJSON_HasSourceManifestDigestAndTensors() throws {
        let (layout, digest) = try layoutWithBertTiny()
        try run(["remote", "add", "share", layout])
        let object = try json(try run(["show", "share:team/bert:v1", "--json"]).stdout)
        XCTAssertEqual(object["digest"], .string(digest))
        XCTAssertEqual(object["source"], .string(layout + ":team/bert:v1"))
        XCTAssertEqual(object["manifestDigest"]?.stringValue?.hasPrefix("sha256:"), true)
        XCTAssertEqual(object["tensors"]?.arrayValue?.isEmpty, false)
        XCTAssertEqual(object["refs"], [])
        XCTAssertEqual(FileSystem.kind(of: storeRoot + "/blobs"), .missing)
    }

    func testShow_Registry_OciURLAndHostRepoTag() throws {
        let registry = try startRegistry()
        let manifest = try importBig(count: 1, megabytes: 1)
        try run(["push", "big", "oci://\(registry.address)/team/big:v3", "--insecure"])
        try run(["rm", "big"])
        let blobsBefore = try FileSystem.listDirectory(storeRoot + "/blobs/sha256").sorted()
        for location in ["oci://\(registry.address)/team/big:v3", "\(registry.address)/team/big:v3"] {
            let text = try run(["show", location, "--insecure"]).stdout
            XCTAssertTrue(text.contains("digest:         \(manifest.digest)"), text)
            XCTAssertTrue(text.contains("architecture:   gpt2 (autoregressive)"), text)
        }
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/blobs/sha256").sorted(), blobsBefore, "nothing pulled")
        assertErrorLine(try run(["show", "oci://\(registry.address)/team/big:nope", "--insecure"], expect: 1),
                        contains: ["no model oci://\(registry.address)/team/big:nope"])
    }

    func testShow_TamperedConfig_ExitsOneNamingTheDigest() throws {
        let (layout, _) = try layoutWithBertTiny()
        // The zoo manifest (the OCI config) of the one model in the layout: change a byte.
        let index = try JSONValue(parsing: try XCTUnwrap(FileSystem.readFile(layout + "/index.json", limit: 1 << 20)))
        let ociDigest = try XCTUnwrap(index["manifests"]?.arrayValue?.first?["digest"]?.stringValue)
        let oci = try JSONValue(parsing: try XCTUnwrap(FileSystem.readFile(
            layout + "/blobs/sha256/" + ociDigest.dropFirst(7), limit: 1 << 20)))
        let configDigest = try XCTUnwrap(oci["config"]?["digest"]?.stringValue)
        let configPath = layout + "/blobs/sha256/" + configDigest.dropFirst(7)
        var bytes = try XCTUnwrap(FileSystem.readFile(configPath, limit: 1 << 20))
        bytes[bytes.count / 2] ^= 0x01
        chmod(configPath, 0o644)
        try FileSystem.writeAtomically(bytes, to: configPath)
        let result = try run(["show", layout + ":team/bert:v1"], expect: 1)
        assertErrorLine(result, contains: [configDigest.description])
    }
}
