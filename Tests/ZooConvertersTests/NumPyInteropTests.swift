import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// Interop with numpy: fixtures numpy wrote (scripts/make_numpy_fixtures.py) are imported and
/// compared with what numpy reads (numpy/manifest.json, made by scripts/check_numpy.py); zoo's
/// `.npz` exports are read back by numpy and compared byte for byte.
final class NumPyInteropTests: XCTestCase {
    static let setupHint = "run `make test` (it builds the fixtures and sets ZOO_TEST_FIXTURES and ZOO_PYTHON)"

    struct SetupError: Error, CustomStringConvertible { var description: String }

    var fixtures = ""
    var python = ""
    var descriptions: [String: JSONValue] = [:]
    var scratch = ""

    override func setUpWithError() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let root = environment["ZOO_TEST_FIXTURES"], !root.isEmpty,
            FileManager.default.fileExists(atPath: root + "/numpy/manifest.json")
        else { throw SetupError(description: "ZOO_TEST_FIXTURES is not set or has no numpy/manifest.json: " + Self.setupHint) }
        guard let python = environment["ZOO_PYTHON"], FileManager.default.isExecutableFile(atPath: python) else {
            throw SetupError(description: "ZOO_PYTHON is not set or not executable: " + Self.setupHint)
        }
        fixtures = root + "/numpy"
        self.python = python
        descriptions = try XCTUnwrap(try JSONValue(parsing: try readBytes(fixtures + "/manifest.json"))["fixtures"]?.objectValue)
        scratch = try makeTemporaryDirectory(self)
    }

    /// Imports `fixture` and checks every tensor against numpy's reading of it (C order, little-endian).
    func assertImportMatches(_ fixture: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let destination = scratch + "/" + fixture + ".zoo"
        let manifest = try NumPyImporter().importFile(fixtures + "/" + fixture, to: destination)
        let arrays = try XCTUnwrap(descriptions[fixture]?["arrays"]?.arrayValue, fixture, file: file, line: line)
        XCTAssertEqual(manifest.tensorsInSourceOrder.map { JSONValue.string($0.name) }, arrays.map { $0["name"] ?? .null }, fixture, file: file, line: line)
        for (tensor, array) in zip(manifest.tensorsInSourceOrder, arrays) {
            XCTAssertEqual(JSONValue.string(tensor.dtype.rawValue), array["dtype"], "\(fixture) \(tensor.name)", file: file, line: line)
            XCTAssertEqual(.array(tensor.shape.map { .integer(Int64($0)) }), array["shape"], "\(fixture) \(tensor.name)", file: file, line: line)
            XCTAssertEqual(JSONValue.string(tensor.digest.hex), array["sha256"], "\(fixture) \(tensor.name)", file: file, line: line)
        }
        XCTAssertTrue(try Checkpoint(directory: destination).verify(.deep).isClean, fixture, file: file, line: line)
    }

    func testImport_EveryNpyFixture_MatchesNumPy() throws {
        let npy = descriptions.keys.filter { $0.hasSuffix(".npy") }.sorted()
        XCTAssertGreaterThanOrEqual(npy.count, 20)
        for fixture in npy { try assertImportMatches(fixture) }
    }

    func testImport_BigEndianAndFortran_RecordsConversion() throws {
        let manifest = try NumPyImporter().importFile(fixtures + "/fortran_be_f8.npy", to: scratch + "/f")
        XCTAssertEqual(manifest.metadata["source.format"], "npy")
        XCTAssertEqual(manifest.metadata["numpy.converted"], ["fortran_be_f8": "byte-swapped '>f8' and transposed from Fortran order"])
        XCTAssertEqual(manifest.name, "fortran_be_f8")
        let plain = try NumPyImporter().importFile(fixtures + "/f4.npy", to: scratch + "/p")
        XCTAssertNil(plain.metadata["numpy.converted"])
    }

    func testImport_Npz_StoredAndDeflated_MatchNumPy() throws {
        try assertImportMatches("model.npz")
        try assertImportMatches("model_compressed.npz")
        let manifest = try Checkpoint(directory: scratch + "/model.npz.zoo").manifest
        XCTAssertEqual(manifest.metadata["source.format"], "npz")
        XCTAssertEqual(manifest.name, "model")
        XCTAssertEqual(manifest.metadata["numpy.converted"], ["fortran": "transposed from Fortran order", "be": "byte-swapped '>f4'"])
    }

    func testImport_RefusedFiles_ClearErrorsNothingWritten() {
        let cases: [(String, NumPyError.Reason)] = [
            ("object.npy", .unsupportedDType(descr: "|O", why: "object arrays hold pickled Python objects, which zoo never loads")),
            ("structured.npy", .unsupportedDType(descr: "[...]", why: "structured (record) dtypes are not tensors")),
            ("complex.npy", .unsupportedDType(descr: "<c8", why: "complex arrays are not read from NumPy files (zoo carries C64 from safetensors only)")),
            ("unicode.npy", .unsupportedDType(descr: "<U2", why: "unicode strings are not tensors")),
            ("evil_dotdot.npz", .unsafeMemberPath("../evil.npy")),
            ("evil_abs.npz", .unsafeMemberPath("/abs.npy")),
            ("evil_symlink.npz", .notRegularMember("link.npy")),
            ("not_npy.npz", .notNpyMember("readme.txt")),
            ("duplicate.npz", .duplicateMember("a.npy")),
        ]
        for (fixture, reason) in cases {
            let destination = scratch + "/" + fixture
            XCTAssertThrowsError(try NumPyImporter().importFile(fixtures + "/refused/" + fixture, to: destination), fixture) { error in
                XCTAssertEqual((error as? NumPyError)?.reason, reason, "\(fixture): \(error)")
            }
            XCTAssertEqual(FileSystem.kind(of: destination), .missing, fixture)
        }
        XCTAssertEqual(try FileSystem.listDirectory(scratch), [], "no staging folders left")
    }

    func testExport_Npz_ReadByNumPyIdenticalToNumPySave() throws {
        try NumPyImporter().importFile(fixtures + "/model.npz", to: scratch + "/m")
        for compressed in [false, true] {
            let output = scratch + "/out\(compressed ? "-z" : "").npz"
            let report = try NumPyExporter(compressed: compressed).exportNPZ(try Checkpoint(directory: scratch + "/m"), to: output)
            XCTAssertEqual(report.memberCount, 6)
            let result = try checkNumPy([output, fixtures + "/manifest.json", "--entry", "model.npz"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let description = try JSONValue(parsing: Array(result.stdout.utf8))
            for array in try XCTUnwrap(description["arrays"]?.arrayValue) {
                XCTAssertEqual(array["numpy_save_identical"], true, "\(array["name"] ?? .null): member bytes differ from numpy.save")
                XCTAssertEqual(array["fortran_order"], false)
            }
            // And zoo reads its own export back.
            let back = try NumPyImporter().importFile(output, to: scratch + "/back\(compressed)")
            XCTAssertEqual(back.tensorsInSourceOrder.map(\.digest), try Checkpoint(directory: scratch + "/m").manifest.tensorsInSourceOrder.map(\.digest))
        }
    }

    func testExport_BF16_RefusedNamingTensorNothingWritten() throws {
        try makeCheckpoint(at: scratch + "/m", tensors: [("ok", .f32, [1], f32Bytes([1])), ("half.brain", .bf16, [2], [0, 0, 0, 0])])
        XCTAssertThrowsError(try NumPyExporter().exportNPZ(try Checkpoint(directory: scratch + "/m"), to: scratch + "/x.npz")) { error in
            XCTAssertEqual(error as? NumPyError, NumPyError(file: scratch + "/x.npz", reason: .noNumPyDType(tensor: "half.brain", dtype: .bf16)))
            XCTAssertEqual((error as? NumPyError)?.reason.description,
                           "tensor 'half.brain' is BF16, which NumPy has no dtype for (convert it first, e.g. --dtype f32)")
        }
        XCTAssertEqual(try FileSystem.listDirectory(scratch), ["m"])
    }

    // MARK: Helpers

    func checkNumPy(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [GGUFInteropTests.repositoryRoot + "/scripts/check_numpy.py"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = DataReader(err.fileHandleForReading)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors.wait(), as: UTF8.self))
    }
}
