import Foundation
import XCTest
import ZooFormat

/// `zoo import` names: what it prints, where the default name comes from, and that a name is
/// never moved to another model without `--force`.
final class ImportNamingTests: CLITestCase {
    private func copyBertTiny(to path: String) throws {
        try FileManager.default.createDirectory(atPath: FileSystem.parentDirectory(of: path), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try Fixtures.bertTiny(), toPath: path)
    }

    func testImport_NameHeldByAnotherModel_RefusedWithoutForceMovedWithIt() throws {
        let first = try Fixtures.writeCheckpoint(at: scratch + "/a", name: "m")
        let second = try Fixtures.writeCheckpoint(at: scratch + "/b", name: "m", lineage: Lineage(parent: nil, recipe: ["run": 2]))
        XCTAssertNotEqual(first.digest, second.digest)
        XCTAssertEqual(try run(["import", scratch + "/a"]).stdout, "Imported m:latest \(first.digest)\n")

        let refused = try run(["import", scratch + "/b"], expect: 1)
        XCTAssertEqual(refused.stdout, "")
        assertErrorLine(refused, contains: ["m:latest already names model \(first.digest)", "not \(second.digest)", "--force"])
        XCTAssertEqual(try run(["show", "m", "--json"]).stdout.contains(first.digest.description), true, "the name did not move")
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/tmp"), [], "nothing staged is left")

        // The same model under its own name again: a no-op success.
        XCTAssertEqual(try run(["import", scratch + "/a"]).stdout, "Imported m:latest \(first.digest)\n")
        // --force moves it; the explicit --name goes through the same check.
        try run(["import", scratch + "/b", "--name", "m:latest"], expect: 1)
        XCTAssertEqual(try run(["import", scratch + "/b", "--force"]).stdout, "Imported m:latest \(second.digest)\n")
        let show = try json(try run(["show", "m", "--json"]).stdout)
        XCTAssertEqual(show["digest"]?.stringValue, second.digest.description)
    }

    func testImport_ByteIdenticalFoldersUnderOtherNames_SameDigestNamedAfterEachFolder() throws {
        try copyBertTiny(to: scratch + "/one/my-bert")
        try copyBertTiny(to: scratch + "/two/Other Bert")
        let first = try run(["import", scratch + "/one/my-bert"])
        let second = try run(["import", scratch + "/two/Other Bert/"])
        XCTAssertEqual(first.importedDigest, second.importedDigest, "the folder's name is not part of the model")
        XCTAssertEqual(first.stdout, "Imported my-bert:latest \(first.importedDigest)\n")
        XCTAssertEqual(second.stdout, "Imported other-bert:latest \(first.importedDigest)\n")
        // The manifest name comes from config.json (no _name_or_path there: its model_type).
        XCTAssertEqual(try json(try run(["show", "my-bert", "--json"]).stdout)["name"]?.stringValue, "bert")
    }

    func testImport_GenericWeightsFile_NamedAfterItsFolderNeverModel() throws {
        try FileManager.default.createDirectory(atPath: scratch + "/tiny-bert", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try Fixtures.bertTiny() + "/model.safetensors",
                                         toPath: scratch + "/tiny-bert/model.safetensors")
        XCTAssertTrue(try run(["import", scratch + "/tiny-bert/model.safetensors"]).stdout.hasPrefix("Imported tiny-bert:latest "))
        // The folder itself, written with a trailing `/.`: named after the folder too.
        let folder = try run(["import", scratch + "/tiny-bert/.", "--json", "--force"])
        XCTAssertEqual(try json(folder.stdout)["name"], "tiny-bert")
    }

    func testImport_TwoGGUFsWithOneGeneralName_KeepTheirFileNames() throws {
        let source = try GGUFCommandTests.fixture("gguf", "all_types.gguf")
        try FileManager.default.copyItem(atPath: source, toPath: scratch + "/first.gguf")
        try FileManager.default.copyItem(atPath: source, toPath: scratch + "/second.gguf")
        let first = try run(["import", scratch + "/first.gguf"])
        let second = try run(["import", scratch + "/second.gguf"])
        XCTAssertTrue(first.stdout.hasPrefix("Imported first:latest "), first.stdout)
        XCTAssertTrue(second.stdout.hasPrefix("Imported second:latest "), second.stdout)
        let names = try json(try run(["list", "--json"]).stdout).arrayValue?.compactMap { $0["name"]?.stringValue }
        XCTAssertEqual(names, ["first", "second"], "general.name (zoo-fixture) neither names nor overwrites them")
        // The manifest still records general.name.
        XCTAssertEqual(try json(try run(["show", "first", "--json"]).stdout)["name"]?.stringValue, "zoo-fixture")
    }

    func testImport_JSON_NameTagAndDigest() throws {
        let manifest = try Fixtures.writeCheckpoint(at: scratch + "/cp")
        let value = try json(try run(["import", scratch + "/cp", "--name", "t:v1", "--json"]).stdout)
        XCTAssertEqual(value, ["name": "t", "tag": "v1", "digest": .string(manifest.digest.description)])
    }

    func testImport_UnrecognisedFolder_ListsWhatItHolds() throws {
        try FileManager.default.createDirectory(atPath: scratch + "/stuff", withIntermediateDirectories: true)
        for name in ["notes.txt", "weights.onnx"] {
            _ = FileManager.default.createFile(atPath: scratch + "/stuff/" + name, contents: Data("x".utf8))
        }
        let result = try run(["import", scratch + "/stuff"], expect: 1)
        assertErrorLine(result, contains: [scratch + "/stuff", "pytorch_model.bin", "it holds notes.txt, weights.onnx"])
        let empty = scratch + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        assertErrorLine(try run(["import", empty], expect: 1), contains: ["it holds nothing"])
    }
}
