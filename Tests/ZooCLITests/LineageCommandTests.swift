import Foundation
import XCTest
import ZooFormat

/// `zoo show` walks a model's lineage through the store.
final class LineageCommandTests: CLITestCase {
    /// A transfer recipe as ZooLoaders writes it (a plan's JSON).
    private let recipe: JSONValue = [
        "type": "zoo.transfer",
        "head": ["action": "replace", "classes": 3, "module": "classifier", "parameters": ["classifier.weight", "classifier.bias"]],
        "freeze": ["rule": "firstLayers", "layers": 1],
        "frozenParameters": ["h.0.weight", "h.0.bias"],
        "learningRates": ["head": 0.001, "backbone": 0.0001],
        "weightDecay": 0,
        "epochs": 3,
        "dataset": ["name": "topics", "size": 60],
        "metrics": ["accuracy": 0.9],
    ]
    private let summary = "replace head classifier (3 classes); freeze first 1 layer (2 parameters); "
        + "lr head 0.001, backbone 0.0001; 3 epochs; data topics (60 examples); accuracy 0.9"

    /// Imports a checkpoint named `name` with `lineage`; returns its digest.
    private func importModel(_ name: String, lineage: Lineage?) throws -> String {
        try Fixtures.writeCheckpoint(at: scratch + "/" + name, name: name, lineage: lineage)
        return try run(["import", scratch + "/" + name]).importedDigest
    }

    private func digest(_ text: String) throws -> SHA256Digest { try XCTUnwrap(SHA256Digest(parsing: text)) }

    func testShow_ThreeGenerations_ChainWithRecipeSummaries() throws {
        let base = try importModel("base", lineage: nil)
        let child = try importModel("child", lineage: Lineage(parent: try digest(base), recipe: recipe))
        let grandchild = try importModel("grandchild", lineage: Lineage(parent: try digest(child), recipe: nil))
        let text = try run(["show", "grandchild"]).stdout
        XCTAssertTrue(text.hasSuffix("""
            lineage:        parent \(child)
            chain:          \(grandchild)  grandchild:latest
                            <- \(child)  child:latest
                                 made by: \(summary)
                            <- \(base)  base:latest

            """), text)
    }

    func testShow_ChildOfStoredParent_FirstLinkMadeBy() throws {
        let base = try importModel("base", lineage: nil)
        let child = try importModel("child", lineage: Lineage(parent: try digest(base), recipe: recipe))
        let text = try run(["show", "child"]).stdout
        XCTAssertTrue(text.hasSuffix("""
            chain:          \(child)  child:latest
                              made by: \(summary)
                            <- \(base)  base:latest

            """), text)
        XCTAssertTrue(text.contains("recipe {\"dataset\":{\"name\":\"topics\",\"size\":60},"), text)
    }

    func testShow_ParentNotInStore_ShownByDigest() throws {
        let missing = String(repeating: "ab", count: 32)
        let orphan = try importModel("orphan", lineage: Lineage(parent: try digest("sha256:" + missing), recipe: nil))
        let text = try run(["show", "orphan"]).stdout
        XCTAssertTrue(text.hasSuffix("""
            chain:          \(orphan)  orphan:latest
                            <- sha256:\(missing)  (not in store)

            """), text)
    }

    func testShow_JSON_ChainLinks() throws {
        let base = try importModel("base", lineage: nil)
        let child = try importModel("child", lineage: Lineage(parent: try digest(base), recipe: recipe))
        try run(["rm", "base"])
        let value = try json(try run(["show", "child", "--json"]).stdout)
        XCTAssertEqual(value["chain"], [
            ["digest": .string(child), "inStore": true, "name": "child", "refs": ["child:latest"], "recipe": .string(summary)],
            ["digest": .string(base), "inStore": false, "name": nil, "refs": [], "recipe": nil],
        ])
    }

    func testShow_NoLineage_NoChain() throws {
        _ = try importModel("base", lineage: nil)
        let text = try run(["show", "base"]).stdout
        XCTAssertFalse(text.contains("chain:"), text)
        XCTAssertNil(try json(try run(["show", "base", "--json"]).stdout)["chain"])
    }
}
