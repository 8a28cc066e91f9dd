import Foundation
import XCTest
import ZooFormat

final class ExportCommandTests: CLITestCase {
    func testExport_ZooArchive_VerifiesAndKeepsDigest() throws {
        let digest = try importBertTiny()
        let result = try run(["export", "bert-tiny", "-o", scratch + "/bert.zoo"])
        XCTAssertEqual(result.stdout, scratch + "/bert.zoo\n")
        let checkpoint = try CheckpointArchive.open(scratch + "/bert.zoo")
        XCTAssertEqual(checkpoint.digest.description, digest)
        XCTAssertEqual(try run(["verify", scratch + "/bert.zoo", "--deep"]).status, 0)
    }

    func testExport_FormatFromExtension_ZstdAndSafetensors() throws {
        _ = try importBertTiny()
        try run(["export", "bert-tiny", "-o", scratch + "/bert.zoo.zst"])
        XCTAssertEqual(CheckpointArchive.compression(ofFileAt: scratch + "/bert.zoo.zst"), .zstd)
        try run(["export", "bert-tiny", "-o", scratch + "/bert.safetensors"])
        let original = try XCTUnwrap(FileManager.default.contents(atPath: try Fixtures.bertTiny() + "/model.safetensors"))
        let exported = try XCTUnwrap(FileManager.default.contents(atPath: scratch + "/bert.safetensors"))
        XCTAssertEqual(exported.count, original.count)
    }

    func testExport_NoExtension_DefaultsToZoo() throws {
        _ = try importBertTiny()
        try run(["export", "bert-tiny", "-o", scratch + "/plain"])
        XCTAssertEqual(CheckpointArchive.compression(ofFileAt: scratch + "/plain"), ArchiveCompression.none)
    }

    func testExport_UnknownOrContradictingExtension_Exit2NothingWritten() throws {
        _ = try importBertTiny()
        let unknown = try run(["export", "bert-tiny", "-o", scratch + "/x.onnx"], expect: 2)
        XCTAssertTrue(unknown.stderr.contains(".onnx names no format zoo writes"), unknown.stderr)
        let contradicting = try run(["export", "bert-tiny", "-o", scratch + "/x.safetensors", "--format", "gguf"], expect: 2)
        XCTAssertTrue(contradicting.stderr.contains("names the safetensors format, but --format is gguf"), contradicting.stderr)
        try run(["export", "bert-tiny", "-o", scratch + "/x.gguf", "--format", "hf"], expect: 2)
        XCTAssertEqual(try FileSystem.listDirectory(scratch).filter { $0.hasPrefix("x") }, [])
    }

    func testExport_FolderPathOrFormatHF_WritesAHuggingFaceFolderWithEveryAsset() throws {
        _ = try importBertTiny()
        try run(["export", "bert-tiny", "-o", scratch + "/slash/"])
        try run(["export", "bert-tiny", "-o", scratch + "/named", "--format", "hf"])
        for folder in ["slash", "named"] {
            let files = try FileSystem.listDirectory(scratch + "/" + folder)
            XCTAssertTrue(files.contains("model.safetensors") && files.contains("config.json") && files.contains("vocab.txt"),
                          "\(folder): \(files)")
        }
        XCTAssertEqual(Fixtures.listing(scratch + "/slash"), Fixtures.listing(scratch + "/named"))
        try run(["import", scratch + "/slash", "--name", "back"])
    }

    func testExport_SingleSafetensorsFile_NamesTheAssetsItLeavesOut() throws {
        _ = try importBertTiny()
        let result = try run(["export", "bert-tiny", "-o", scratch + "/one.safetensors"])
        XCTAssertTrue(result.stderr.hasPrefix("warning: safetensors files hold no assets; not written: "), result.stderr)
        XCTAssertTrue(result.stderr.contains("config.json") && result.stderr.contains("--format hf -o DIR/"), result.stderr)
    }

    func testExport_JSON_NamesOutputFormatModelAndWhatWasLeftOut() throws {
        let digest = try importBertTiny()
        let report = try json(try run(["export", "bert-tiny", "-o", scratch + "/j.safetensors", "--json"]).stdout)
        XCTAssertEqual(report["output"], .string(scratch + "/j.safetensors"))
        XCTAssertEqual(report["format"], "safetensors")
        XCTAssertEqual(report["model"], .string(digest))
        XCTAssertTrue(report["assetsLeftOut"]?.arrayValue?.contains("config.json") == true, "\(report)")
    }

    func testExport_SafetensorsWithMaxShardSize_WritesShardedFolder() throws {
        _ = try importBertTiny()
        try run(["export", "bert-tiny", "-o", scratch + "/hf", "--format", "safetensors", "--max-shard-size", "300kB"])
        let files = try FileSystem.listDirectory(scratch + "/hf")
        XCTAssertTrue(files.contains("model.safetensors.index.json"), "\(files)")
        XCTAssertGreaterThan(files.filter { $0.hasPrefix("model-0") && $0.hasSuffix(".safetensors") }.count, 1, "\(files)")
        XCTAssertFalse(files.contains("model.safetensors"), "\(files)")
        XCTAssertTrue(files.contains("config.json") && files.contains("vocab.txt"), "\(files)")
        // Importing it back gives the same tensors.
        try run(["import", scratch + "/hf", "--name", "back"])
        let back = try json(try run(["show", "back", "--json"]).stdout)
        let original = try json(try run(["show", "bert-tiny", "--json"]).stdout)
        XCTAssertEqual(back["tensors"]?.arrayValue?.map { $0["digest"] }, original["tensors"]?.arrayValue?.map { $0["digest"] })
    }

    func testExport_ExistingOutput_Exit1UnlessForce() throws {
        _ = try importBertTiny()
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: scratch + "/out.zoo"))
        let refused = try run(["export", "bert-tiny", "-o", scratch + "/out.zoo"], expect: 1)
        XCTAssertEqual(refused.stderr, "Error: \(scratch)/out.zoo already exists (use --force to overwrite it)\n")
        XCTAssertEqual(FileManager.default.contents(atPath: scratch + "/out.zoo"), Data("keep me".utf8))

        try run(["export", "bert-tiny", "-o", scratch + "/out.zoo", "--force"])
        XCTAssertEqual(CheckpointArchive.compression(ofFileAt: scratch + "/out.zoo"), ArchiveCompression.none)
        XCTAssertEqual(try FileSystem.listDirectory(scratch).filter { $0.hasPrefix(".") }, [], "no temp files left")
    }

    func testExport_ForceOverExistingFolder_ReplacesIt() throws {
        _ = try importBertTiny()
        try FileSystem.makeDirectories(scratch + "/hf")
        try Data("old".utf8).write(to: URL(fileURLWithPath: scratch + "/hf/old.txt"))
        try run(["export", "bert-tiny", "-o", scratch + "/hf", "--max-shard-size", "2GiB"], expect: 1)
        try run(["export", "bert-tiny", "-o", scratch + "/hf", "--max-shard-size", "2GiB", "--force"])
        let files = try FileSystem.listDirectory(scratch + "/hf")
        XCTAssertFalse(files.contains("old.txt"))
        XCTAssertTrue(files.contains("model.safetensors"), "\(files)")
        XCTAssertEqual(try FileSystem.listDirectory(scratch).filter { $0.hasPrefix(".") }, [])
    }

    func testExport_MaxShardSizeWithZooFormat_Exit2() throws {
        let result = try run(["export", "bert-tiny", "-o", scratch + "/x.zoo", "--max-shard-size", "1MB"], expect: 2)
        XCTAssertTrue(result.stderr.contains("--max-shard-size applies to the safetensors format only"), result.stderr)
    }

    func testExport_BadSize_Exit2() throws {
        let result = try run(["export", "bert-tiny", "-o", scratch + "/hf", "--max-shard-size", "12 parsecs"], expect: 2)
        XCTAssertTrue(result.stderr.contains("--max-shard-size"), result.stderr)
    }

    func testExport_UnknownModel_Exit1() throws {
        let result = try run(["export", "ghost", "-o", scratch + "/ghost.zoo"], expect: 1)
        XCTAssertEqual(result.stderr, "Error: no model ghost:latest in the store\n")
        XCTAssertEqual(FileSystem.kind(of: scratch + "/ghost.zoo"), .missing)
    }
}
