import Foundation
import XCTest
import ZooFormat

/// `zoo import` of a Hugging Face hub cache (models--ORG--NAME, snapshots/<commit>, hf://) and
/// `zoo list --hf`, on caches written by scripts/make_hf_cache.py in huggingface_hub's layout
/// and checked with huggingface_hub's own scan_cache_dir.
final class HuggingFaceCacheCommandTests: CLITestCase {
    static let repo = "Org/Tiny-Bert"
    static let commit = "83bd99d42ded2d769cfc174e097e0ecd1ff40bc8"  // sha1("Org/Tiny-Bert"), as the script names it

    /// The repository root (this file is Tests/ZooCLITests/HuggingFaceCacheCommandTests.swift).
    static let repositoryRoot = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// Writes a cache under `root` (variant: good, escape, bad-blob, no-ref, dangling; weights: safetensors,
    /// pytorch, pytorch-sharded, gguf); returns the repo folder.
    func makeCache(_ root: String, repo: String = HuggingFaceCacheCommandTests.repo, variant: String = "good",
                   weights: String = "safetensors") throws -> String {
        guard let python = ProcessInfo.processInfo.environment["ZOO_PYTHON"], !python.isEmpty else {
            XCTFail("ZOO_PYTHON is not set: run `make test` (it makes the venv with huggingface_hub)")
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.repositoryRoot + "/scripts/make_hf_cache.py", root, repo, "--variant", variant,
                             "--weights", weights]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "make_hf_cache.py: \(message)")
        return root + "/models--" + repo.replacingOccurrences(of: "/", with: "--")
    }

    func testImportsTheRepoFolderTheSnapshotAndHFIdAsOneModel() throws {
        let hub = scratch + "/hub"
        let repoFolder = try makeCache(hub)
        let imported = try run(["import", repoFolder]).stdout
        XCTAssertTrue(imported.hasPrefix("Imported org/tiny-bert:latest sha256:"), imported)
        XCTAssertEqual(try run(["import", repoFolder + "/snapshots/" + Self.commit + "/"]).stdout, imported)
        XCTAssertEqual(try run(["import", repoFolder, "--revision", Self.commit]).stdout, imported)
        for reference in ["hf://Org/Tiny-Bert", "hf://Org/Tiny-Bert@main", "hf://Org/Tiny-Bert@" + Self.commit] {
            let result = try zoo.run(["import", reference], environment: ["HF_HUB_CACHE": hub])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdout, imported, reference)
        }
        // HF_HOME/hub when HF_HUB_CACHE is unset.
        let viaHome = try zoo.run(["import", "hf://Org/Tiny-Bert"], environment: ["HF_HUB_CACHE": "", "HF_HOME": scratch])
        XCTAssertEqual(viaHome.stdout, imported, viaHome.stderr)

        let listed = try json(try run(["list", "--json"]).stdout).arrayValue ?? []
        XCTAssertEqual(listed.count, 1)
        XCTAssertEqual(listed.first?["name"], "org/tiny-bert")
        XCTAssertEqual(listed.first?["tag"], "latest")
        XCTAssertEqual(listed.first?["type"], "bert", "config.json read from its blob")
        let shown = try run(["show", "org/tiny-bert", "--json"]).stdout
        XCTAssertTrue(shown.contains("tokenizer.json"), "assets kept: \(shown)")
        XCTAssertTrue(shown.contains(Self.commit), "source.huggingface recorded: \(shown)")
    }

    func testListHFShowsRevisionsAndWhatIsImported() throws {
        let hub = scratch + "/hub"
        _ = try makeCache(hub)
        _ = try makeCache(hub, repo: "Other/Model")
        let before = try zoo.run(["list", "--hf", "--json"], environment: ["HF_HUB_CACHE": hub])
        XCTAssertEqual(before.status, 0, before.stderr)
        let rows = try json(before.stdout).arrayValue ?? []
        XCTAssertEqual(rows.map { $0["repo"] }, ["Org/Tiny-Bert", "Other/Model"])
        XCTAssertEqual(rows.first?["revision"], .string(Self.commit))
        XCTAssertEqual(rows.first?["refs"], ["main"])
        XCTAssertEqual(rows.first?["files"], 3)
        XCTAssertEqual(rows.first?["imported"], [])

        XCTAssertEqual(try zoo.run(["import", "hf://Org/Tiny-Bert", "--name", "mine:v1"], environment: ["HF_HUB_CACHE": hub]).status, 0)
        let after = try json(try zoo.run(["list", "--hf", "--json"], environment: ["HF_HUB_CACHE": hub]).stdout).arrayValue ?? []
        XCTAssertEqual(after.first?["imported"], ["mine:v1"], "matched by the recorded source, whatever the name")
        XCTAssertEqual(after.last?["imported"], [])
        let table = try zoo.run(["list", "--hf"], environment: ["HF_HUB_CACHE": hub]).stdout
        XCTAssertTrue(table.contains("Org/Tiny-Bert") && table.contains("mine:v1") && table.contains("83bd99d42ded"), table)
    }

    func testHostileCachesAreRefusedAndStoreNothing() throws {
        let cases: [(variant: String, fragments: [String])] = [
            ("escape", ["model.safetensors", "outside.safetensors", "refused"]),
            ("bad-blob", ["model.safetensors", "should have digest", "damaged"]),
            ("no-ref", ["no revision \"main\"", "refs/main"]),
            ("dangling", ["config.json", "does not exist"]),
        ]
        for (variant, fragments) in cases {
            let repoFolder = try makeCache(scratch + "/" + variant, repo: "Org/Bad", variant: variant)
            let result = try run(["import", repoFolder], expect: 1)
            assertErrorLine(result, contains: fragments)
            let viaID = try zoo.run(["import", "hf://Org/Bad"], environment: ["HF_HUB_CACHE": scratch + "/" + variant])
            XCTAssertEqual(viaID.status, 1, variant)
            assertErrorLine(viaID, contains: fragments)
        }
        XCTAssertEqual(try json(try run(["list", "--json"]).stdout).arrayValue?.count, 0)
    }

    /// (name, digest) of every tensor and (path, digest) of every asset of a stored model.
    private func contents(_ reference: String) throws -> [String: String] {
        let shown = try json(try run(["show", reference, "--json"]).stdout)
        var out: [String: String] = [:]
        for tensor in shown["tensors"]?.arrayValue ?? [] { out[tensor["name"]?.stringValue ?? ""] = tensor["digest"]?.stringValue }
        for asset in shown["assets"]?.arrayValue ?? [] { out[asset["path"]?.stringValue ?? ""] = asset["digest"]?.stringValue }
        return out
    }

    func testPyTorchAndGGUFSnapshots_ImportAsTheirPlainFolderDoes() throws {
        for (weights, format, tensorCount) in [("pytorch", "pytorch", 20), ("pytorch-sharded", "pytorch", 37), ("gguf", "gguf", 2)] {
            let hub = scratch + "/hub-" + weights
            let repoFolder = try makeCache(hub, repo: "Org/Tiny-" + weights, weights: weights)
            let imported = try run(["import", repoFolder]).stdout
            XCTAssertTrue(imported.hasPrefix("Imported org/tiny-\(weights):latest sha256:"), imported)
            let viaID = try zoo.run(["import", "hf://Org/Tiny-" + weights], environment: ["HF_HUB_CACHE": hub])
            XCTAssertEqual(viaID.stdout, imported, viaID.stderr)

            // The snapshot's files copied out of the cache (links followed) import as a plain folder.
            let plain = scratch + "/plain-" + weights
            let snapshot = repoFolder + "/snapshots/" + (try FileSystem.listDirectory(repoFolder + "/snapshots"))[0]
            try FileSystem.makeDirectories(plain)
            for entry in try FileSystem.listDirectory(snapshot) {
                let bytes = try XCTUnwrap(FileManager.default.contents(atPath: snapshot + "/" + entry))  // through the link
                XCTAssertTrue(FileManager.default.createFile(atPath: plain + "/" + entry, contents: bytes))
            }
            try run(["import", plain, "--name", "plain-" + weights])
            let fromCache = try contents("org/tiny-" + weights)
            XCTAssertEqual(fromCache.count, tensorCount + 2, "\(weights): tensors + config.json + tokenizer.json")
            XCTAssertEqual(fromCache, try contents("plain-" + weights), weights)
            let shown = try json(try run(["show", "org/tiny-" + weights, "--json"]).stdout)
            XCTAssertEqual(shown["metadata"]?["source.format"], .string(format), weights)
            XCTAssertEqual(shown["metadata"]?["source.huggingface"]?["repo"], .string("Org/Tiny-" + weights), weights)
            try run(["verify", "org/tiny-" + weights, "--deep"])
        }
    }

    func testPyTorchSnapshots_HostileCachesAreRefusedNamingTheEntry() throws {
        for weights in ["pytorch", "pytorch-sharded"] {
            let entry = weights == "pytorch" ? "pytorch_model.bin" : "pytorch_model-00001-of-00002.bin"
            for (variant, fragments) in [("escape", [entry, "outside.safetensors", "refused"]),
                                         ("bad-blob", [entry, "should have digest", "damaged"])] {
                let repoFolder = try makeCache(scratch + "/" + weights + variant, repo: "Org/Bad", variant: variant, weights: weights)
                assertErrorLine(try run(["import", repoFolder], expect: 1), contains: fragments)
            }
        }
        XCTAssertEqual(try json(try run(["list", "--json"]).stdout).arrayValue?.count, 0)
        XCTAssertEqual(((try? FileSystem.listDirectory(storeRoot + "/tmp")) ?? []).filter { !$0.hasPrefix(".") }, [])
    }

    func testMissingRepoAndRevisionNameWhereTheyWereLookedFor() throws {
        let hub = scratch + "/hub"
        let repoFolder = try makeCache(hub)
        let absent = try zoo.run(["import", "hf://Org/Absent"], environment: ["HF_HUB_CACHE": hub])
        XCTAssertEqual(absent.status, 1)
        assertErrorLine(absent, contains: ["Org/Absent", "not in the Hugging Face cache", hub + "/models--Org--Absent"])
        let home = try zoo.run(["import", "hf://Org/Absent"], environment: ["HF_HUB_CACHE": "", "HF_HOME": "", "HOME": scratch])
        assertErrorLine(home, contains: [scratch + "/.cache/huggingface/hub/models--Org--Absent"])
        let revision = try run(["import", repoFolder, "--revision", "v2"], expect: 1)
        assertErrorLine(revision, contains: ["no revision \"v2\"", "refs/v2"])
        let misplaced = try run(["import", hub, "--revision", "main"], expect: 2)  // a usage error
        XCTAssertTrue(misplaced.stderr.contains("--revision applies to hf:// ids"), misplaced.stderr)
        let bad = try run(["import", "hf://../x"], expect: 1)
        assertErrorLine(bad, contains: ["not hf://ORG/NAME[@REVISION]"])
    }
}
