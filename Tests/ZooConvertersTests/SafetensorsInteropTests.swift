import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// Interop with the official safetensors package (0.8.0): fixtures it wrote (scripts/make_fixtures.py)
/// are imported and compared with what the package reads back (their manifest.json); zoo's exports are
/// compared byte for byte with the fixtures and read back by the package (scripts/check_safetensors.py).
final class SafetensorsInteropTests: XCTestCase {
    static let setupHint = "run `make test` (it builds the fixtures and sets ZOO_TEST_FIXTURES and ZOO_PYTHON)"

    /// The repository root (this file is Tests/ZooConvertersTests/SafetensorsInteropTests.swift).
    static let repositoryRoot: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// Fails the test (never skips it) when the interop environment is missing.
    struct SetupError: Error, CustomStringConvertible { var description: String }

    var fixtures = ""
    var python = ""
    var checkScript = ""
    /// manifest.json's "fixtures": name -> description (as check_safetensors.py prints it).
    var descriptions: [String: JSONValue] = [:]

    override func setUpWithError() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let fixtures = environment["ZOO_TEST_FIXTURES"], !fixtures.isEmpty,
            FileManager.default.fileExists(atPath: fixtures + "/manifest.json")
        else { throw SetupError(description: "ZOO_TEST_FIXTURES is not set or has no manifest.json: " + Self.setupHint) }
        guard let python = environment["ZOO_PYTHON"], FileManager.default.isExecutableFile(atPath: python) else {
            throw SetupError(description: "ZOO_PYTHON is not set or not executable: " + Self.setupHint)
        }
        self.fixtures = fixtures
        self.python = python
        self.checkScript = environment["ZOO_CHECK_SAFETENSORS"] ?? Self.repositoryRoot + "/scripts/check_safetensors.py"
        let manifest = try JSONValue(parsing: try readBytes(fixtures + "/manifest.json"))
        descriptions = try XCTUnwrap(manifest["fixtures"]?.objectValue)
        XCTAssertEqual(manifest["safetensors_version"], "0.8.0")
    }

    /// The fixture's expected tensors: name -> (dtype, shape, sha256 hex).
    func expectedTensors(_ fixture: String) throws -> [String: (String, [Int], String)] {
        let tensors = try XCTUnwrap(descriptions[fixture]?["tensors"]?.arrayValue, fixture)
        var result: [String: (String, [Int], String)] = [:]
        for tensor in tensors {
            let name = try XCTUnwrap(tensor["name"]?.stringValue)
            let shape = try XCTUnwrap(tensor["shape"]?.arrayValue).compactMap { $0.integerValue.map(Int.init) }
            result[name] = (try XCTUnwrap(tensor["dtype"]?.stringValue), shape, try XCTUnwrap(tensor["sha256"]?.stringValue))
        }
        return result
    }

    /// Checks every tensor of an imported checkpoint against the fixture's manifest.
    func assertMatchesFixture(_ manifest: Manifest, _ fixture: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try expectedTensors(fixture)
        XCTAssertEqual(manifest.tensorsInSourceOrder.count, expected.count, fixture, file: file, line: line)
        for tensor in manifest.tensorsInSourceOrder {
            guard let (dtype, shape, sha) = expected[tensor.name] else {
                XCTFail("\(fixture): unexpected tensor \(tensor.name)", file: file, line: line)
                continue
            }
            XCTAssertEqual(tensor.dtype.rawValue, dtype, "\(fixture) \(tensor.name)", file: file, line: line)
            XCTAssertEqual(tensor.shape, shape, "\(fixture) \(tensor.name)", file: file, line: line)
            XCTAssertEqual(tensor.digest.hex, sha, "\(fixture) \(tensor.name)", file: file, line: line)
        }
        let metadata = descriptions[fixture]?["metadata"]
        XCTAssertEqual(manifest.metadata["safetensors.metadata"] ?? .null, metadata ?? .null, fixture, file: file, line: line)
        XCTAssertEqual(manifest.metadata["source.format"], "safetensors", file: file, line: line)
    }

    /// Runs check_safetensors.py on `path` against the fixture's description; returns its exit status and stderr.
    func officialCheck(_ path: String, entry: String) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [checkScript, path, fixtures + "/manifest.json", "--entry", entry]
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// Whole-file identity, or (when the fixture's metadata has several keys, which the official
    /// writer emits in a random hash order) identity of the data section and of the parsed header.
    func assertSameFile(_ exported: String, _ original: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let a = try readBytes(exported), b = try readBytes(original)
        let theirs = try SafetensorsFile(path: original)
        if (theirs.metadata?.count ?? 0) <= 1 {
            XCTAssertTrue(sameBytes(a, b), "\(exported) differs from \(original)", file: file, line: line)
            return
        }
        let ours = try SafetensorsFile(path: exported)
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        XCTAssertEqual(ours.headerByteCount, theirs.headerByteCount, file: file, line: line)
        XCTAssertEqual(ours.metadata, theirs.metadata, file: file, line: line)
        XCTAssertEqual(ours.tensors.map(\.name), theirs.tensors.map(\.name), file: file, line: line)
        XCTAssertEqual(ours.tensors.map(\.dataOffsets), theirs.tensors.map(\.dataOffsets), file: file, line: line)
        XCTAssertTrue(sameBytes(a[ours.dataStart...], b[theirs.dataStart...]), "data sections differ", file: file, line: line)
        // Same header once the metadata object is taken out.
        func withoutMetadata(_ f: SafetensorsFile, _ bytes: [UInt8]) throws -> JSONValue {
            guard case var .object(members) = try JSONValue(parsing: Array(bytes[8..<f.dataStart])) else { return .null }
            members["__metadata__"] = nil
            return .object(members)
        }
        XCTAssertEqual(try withoutMetadata(ours, a), try withoutMetadata(theirs, b), file: file, line: line)
    }

    // MARK: Files

    func testFileFixtures_ImportMatchesAndExportIsIdentical() throws {
        let dir = try makeTemporaryDirectory(self)
        // large.safetensors has its own test below.
        let names = descriptions.keys.filter {
            $0.hasSuffix(".safetensors") && $0 != "large.safetensors"
        }.sorted()
        XCTAssertTrue(names.contains("all_dtypes.safetensors"))
        XCTAssertTrue(names.contains("metadata_multi.safetensors"))
        for name in names {
            // dtypes_1_1/C64.safetensors: model "C64", written to dir/dtypes_1_1_C64.
            let stem = name.replacingOccurrences(of: ".safetensors", with: "").replacingOccurrences(of: "/", with: "_")
            let manifest = try SafetensorsImporter().importFile(fixtures + "/" + name, to: dir + "/" + stem)
            XCTAssertEqual(manifest.name, URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent)
            try assertMatchesFixture(manifest, name)
            // A 1.1 dtype makes a 1.1 manifest (spec §6); the others stay 1.0 unless reordered.
            if manifest.tensors.contains(where: \.dtype.isCarriedOnly) {
                XCTAssertEqual(manifest.formatVersion, FormatVersion(major: 1, minor: 1), name)
            }
            // What the reader lists must be the original file's data-offset order.
            XCTAssertEqual(manifest.tensorsInSourceOrder.map(\.name), try SafetensorsFile(path: fixtures + "/" + name).tensors.map(\.name))

            let checkpoint = try Checkpoint(directory: dir + "/" + stem)
            XCTAssertTrue(checkpoint.verify(.deep).isClean, name)
            let exported = dir + "/" + stem + ".safetensors"
            try SafetensorsExporter().exportFile(checkpoint, to: exported)
            try assertSameFile(exported, fixtures + "/" + name)
            let check = try officialCheck(exported, entry: name)
            XCTAssertEqual(check.status, 0, "check_safetensors.py \(name): \(check.stderr)")
            try FileManager.default.removeItem(atPath: dir + "/" + stem)
            try FileManager.default.removeItem(atPath: exported)
        }
    }

    func testAllDTypesFixture_WholeFileIsByteIdentical() throws {
        let dir = try makeTemporaryDirectory(self)
        let original = fixtures + "/all_dtypes.safetensors"
        try SafetensorsImporter().importFile(original, to: dir + "/zoo")
        try SafetensorsExporter().exportFile(try Checkpoint(directory: dir + "/zoo"), to: dir + "/back.safetensors")
        XCTAssertEqual(SHA256.digest(try readBytes(dir + "/back.safetensors")).hex,
                       descriptions["all_dtypes.safetensors"]?["files"]?.arrayValue?.first?["sha256"]?.stringValue)
        XCTAssertEqual(try readBytes(dir + "/back.safetensors"), try readBytes(original))
    }

    func testLargeFixture_ImportAndExportStreamBitExact() throws {
        guard descriptions["large.safetensors"] != nil else {
            // make_fixtures.py skips it only when asked (ZOO_LARGE_FIXTURES=0); say so instead of passing silently.
            XCTFail("large.safetensors is not among the fixtures (built with ZOO_LARGE_FIXTURES=0?)")
            return
        }
        let dir = try makeTemporaryDirectory(self)
        let manifest = try SafetensorsImporter(writerOptions: WriterOptions(maxShardByteCount: 100 << 20))
            .importFile(fixtures + "/large.safetensors", to: dir + "/large")
        XCTAssertGreaterThan(manifest.shards.count, 1)
        try assertMatchesFixture(manifest, "large.safetensors")
        try SafetensorsExporter().exportFile(try Checkpoint(directory: dir + "/large"), to: dir + "/large.safetensors")
        try assertSameFile(dir + "/large.safetensors", fixtures + "/large.safetensors")
        let check = try officialCheck(dir + "/large.safetensors", entry: "large.safetensors")
        XCTAssertEqual(check.status, 0, check.stderr)
    }

    func testDTypes1_1Fixtures_CarriedBitExactThroughFolderArchiveAndExport() throws {
        let dir = try makeTemporaryDirectory(self)
        let names = descriptions.keys.filter { $0.hasPrefix("dtypes_1_1") }.sorted()
        XCTAssertEqual(names, ["dtypes_1_1/C64.safetensors", "dtypes_1_1/F4.safetensors", "dtypes_1_1/F6_E2M3.safetensors",
                               "dtypes_1_1/F6_E3M2.safetensors", "dtypes_1_1/F8_E4M3FNUZ.safetensors",
                               "dtypes_1_1/F8_E5M2FNUZ.safetensors", "dtypes_1_1/F8_E8M0.safetensors",
                               "dtypes_1_1_mixed.safetensors"])
        var seen = Set<DType>()
        for (i, name) in names.enumerated() {
            let original = fixtures + "/" + name
            let manifest = try SafetensorsImporter().importFile(original, to: dir + "/zoo\(i)")
            try assertMatchesFixture(manifest, name)
            XCTAssertEqual(manifest.formatVersion, FormatVersion(major: 1, minor: 1), name)
            seen.formUnion(manifest.tensors.map(\.dtype))
            // Folder -> .zoo -> safetensors: the official file comes back byte for byte.
            try CheckpointArchive.write(try Checkpoint(directory: dir + "/zoo\(i)"), to: dir + "/m\(i).zoo")
            let archived = try CheckpointArchive.open(dir + "/m\(i).zoo")
            XCTAssertTrue(archived.verify(.deep).isClean, name)
            try SafetensorsExporter().exportFile(archived, to: dir + "/back\(i).safetensors")
            XCTAssertEqual(try readBytes(dir + "/back\(i).safetensors"), try readBytes(original), name)
            let check = try officialCheck(dir + "/back\(i).safetensors", entry: name)
            XCTAssertEqual(check.status, 0, "check_safetensors.py \(name): \(check.stderr)")
        }
        XCTAssertTrue(Set(DType.allCases.filter(\.isCarriedOnly)).isSubset(of: seen), "every 1.1 dtype is covered")

        // The exporters that have no such dtype refuse by name, writing nothing.
        let c64 = try Checkpoint(directory: dir + "/zoo0")
        XCTAssertThrowsError(try NumPyExporter().exportNPZ(c64, to: dir + "/c64.npz")) { error in
            XCTAssertEqual((error as? NumPyError)?.reason, .noNumPyDType(tensor: "t", dtype: .c64))
            XCTAssertTrue("\(error)".contains("C64"), "\(error)")
        }
        XCTAssertThrowsError(try GGUFExporter().export(c64, to: dir + "/c64.gguf")) { error in
            XCTAssertEqual((error as? GGUFError)?.reason, .unsupportedDType(tensor: "t", dtype: .c64), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/c64.npz"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/c64.gguf"))
    }

    func testSubByteTensorOfPartialBytes_RefusedAsTheOfficialReaderDoes() throws {
        let dir = try makeTemporaryDirectory(self)
        // 3 F4 elements are 12 bits; 2 F6_E2M3 elements too. Both files are otherwise well formed.
        for (dtype, shape) in [("F4", "[1,3]"), ("F6_E2M3", "[2]")] {
            let header = #"{"t":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[0,2]}}"#
            let path = dir + "/\(dtype).safetensors"
            try Data(safetensorsBytes(header: header, data: [0x12, 0x34])).write(to: URL(fileURLWithPath: path))
            let error = safetensorsError { try SafetensorsImporter().importFile(path, to: dir + "/zoo") }
            let count = dtype == "F4" ? 3 : 2
            XCTAssertEqual(error?.reason, .misalignedSubByte(tensor: "t", dtype: try XCTUnwrap(DType(rawValue: dtype)), elementCount: count))
            XCTAssertEqual(error?.offset, try SafetensorsHeaderProbe.offset(of: #""t":{"#, in: path))
            XCTAssertTrue(error?.description.contains("not a whole number of bytes") ?? false, "\(String(describing: error))")
            let check = try officialCheck(path, entry: "dtypes_1_1/F4.safetensors")
            XCTAssertEqual(check.status, 2, "the official package refuses it too: \(check.stderr)")
            XCTAssertTrue(check.stderr.contains("byte boundary"), check.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/zoo"))
        }
    }

    // MARK: Folders

    func testShardedFolderFixture_ImportMatchesAndExportReproducesTheFolder() throws {
        let dir = try makeTemporaryDirectory(self)
        let original = fixtures + "/hf_sharded"
        let manifest = try SafetensorsImporter().importFolder(original, to: dir + "/zoo")
        try assertMatchesFixture(manifest, "hf_sharded")
        XCTAssertEqual(manifest.name, "bert", "from config.json (model_type), not the folder name")
        XCTAssertEqual(manifest.architecture.family, .autoencoding)
        XCTAssertEqual(manifest.architecture.type, "bert")
        XCTAssertEqual(manifest.architecture.config["hidden_size"], 32)
        XCTAssertEqual(manifest.assets.map(\.path), ["assets/config.json", "assets/tokenizer_config.json", "assets/vocab.txt"])
        let index = try JSONValue(parsing: try readBytes(original + "/model.safetensors.index.json"))
        XCTAssertEqual(manifest.metadata["safetensors.index.metadata"], index["metadata"])

        // The fixture split its shards where the first one's tensor bytes end: the same limit
        // makes zoo split at the same tensor, so every file comes back byte for byte.
        let firstShard = try SafetensorsFile(path: original + "/model-00001-of-00002.safetensors")
        let checkpoint = try Checkpoint(directory: dir + "/zoo")
        let written = try SafetensorsExporter(maxShardByteCount: firstShard.dataByteCount).exportFolder(checkpoint, to: dir + "/hf")
        XCTAssertEqual(Set(written), Set(try FileSystem.listDirectory(original)))
        for name in try FileSystem.listDirectory(original) {
            XCTAssertTrue(sameBytes(try readBytes(dir + "/hf/" + name), try readBytes(original + "/" + name)), "\(name) differs")
        }
        let check = try officialCheck(dir + "/hf", entry: "hf_sharded")
        XCTAssertEqual(check.status, 0, check.stderr)

        // Any other split is still read back identically by the official package.
        try SafetensorsExporter(maxShardByteCount: 20_000).exportFolder(checkpoint, to: dir + "/hf-small")
        XCTAssertGreaterThan(try FileSystem.listDirectory(dir + "/hf-small").filter { $0.hasSuffix(".safetensors") }.count, 2)
        let small = try officialCheck(dir + "/hf-small", entry: "hf_sharded")
        XCTAssertEqual(small.status, 0, small.stderr)
    }

    func testShardedFolderFixture_ExportedAsOneFile_ReadsBackInTheOfficialPackage() throws {
        let dir = try makeTemporaryDirectory(self)
        try SafetensorsImporter().importFolder(fixtures + "/hf_sharded", to: dir + "/zoo")
        try SafetensorsExporter().exportFile(try Checkpoint(directory: dir + "/zoo"), to: dir + "/hf_sharded.safetensors")
        let check = try officialCheck(dir + "/hf_sharded.safetensors", entry: "hf_sharded")
        XCTAssertEqual(check.status, 0, check.stderr)
    }
}

/// Finds bytes in a real file (for offset assertions on fixtures).
enum SafetensorsHeaderProbe {
    /// The file offset of the first occurrence of `needle`.
    static func offset(of needle: String, in path: String) throws -> Int {
        let bytes = try readBytes(path), pattern = Array(needle.utf8)
        for i in 0...(bytes.count - pattern.count) where bytes[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
        throw SafetensorsInteropTests.SetupError(description: "\(needle) not in \(path)")
    }
}
