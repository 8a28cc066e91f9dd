import Foundation
import XCTest
import ZooFormat

/// `zoo import` / `zoo export` with NumPy files written by numpy ($ZOO_TEST_FIXTURES/numpy, from
/// scripts/make_numpy_fixtures.py).
final class NumPyCommandTests: CLITestCase {
    func testImport_Npz_TensorsInArchiveOrder() throws {
        try run(["import", try GGUFCommandTests.fixture("numpy", "model_compressed.npz")])
        let show = try json(try run(["show", "model_compressed", "--json"]).stdout)
        XCTAssertEqual(show["tensors"]?.arrayValue?.map { $0["name"] },
                       ["encoder.weight", "encoder.bias", "layers/0/w", "step", "fortran", "be"])
        XCTAssertEqual(show["metadata"]?["source.format"], "npz")
    }

    func testImport_Npy_WithDtypeF16() throws {
        try run(["import", try GGUFCommandTests.fixture("numpy", "fortran_be_f8.npy"), "--dtype", "f16", "--name", "f"])
        let show = try json(try run(["show", "f", "--json"]).stdout)
        XCTAssertEqual(show["tensors"]?.arrayValue?.map { $0["dtype"] }, ["F16"])
        XCTAssertEqual(show["tensors"]?.arrayValue?.first?["shape"], [2, 5])
    }

    func testImport_ZipWithDotDotMember_Exit1NothingStored() throws {
        let result = try run(["import", try GGUFCommandTests.fixture("numpy", "refused/evil_dotdot.npz")], expect: 1)
        assertErrorLine(result, contains: ["member path \"../evil.npy\" could leave the archive"])
        XCTAssertEqual(try run(["list", "--json"]).stdout, "[]\n")
    }

    func testImport_ObjectArray_Exit1() throws {
        let result = try run(["import", try GGUFCommandTests.fixture("numpy", "refused/object.npy")], expect: 1)
        assertErrorLine(result, contains: ["dtype '|O' is not supported: object arrays hold pickled Python objects"])
    }

    func testExport_Npz_ImportsBackWithSameTensors() throws {
        try run(["import", try GGUFCommandTests.fixture("numpy", "model.npz")])
        // model.npz is a generic name: the model is named after its folder.
        let result = try run(["export", "numpy", "-o", scratch + "/out.npz"])
        XCTAssertEqual(result.stderr, "")
        try run(["import", scratch + "/out.npz", "--name", "back"])
        let back = try json(try run(["show", "back", "--json"]).stdout)
        let original = try json(try run(["show", "numpy", "--json"]).stdout)
        XCTAssertEqual(back["tensors"]?.arrayValue?.map { $0["digest"] }, original["tensors"]?.arrayValue?.map { $0["digest"] })
    }

    func testExport_BF16ToNpz_Exit1NamingTensorUnlessConverted() throws {
        try run(["import", try GGUFCommandTests.fixture("gguf", "bert.gguf")])
        try run(["convert", "bert", "--dtype", "bf16", "--name", "bert-bf16"])
        let refused = try run(["export", "bert-bf16", "-o", scratch + "/b.npz"], expect: 1)
        XCTAssertEqual(refused.stderr, "Error: \(scratch)/b.npz: tensor 'token_embd.weight' is BF16, which NumPy has no dtype for "
                       + "(convert it first, e.g. --dtype f32)\n")
        XCTAssertEqual(try FileSystem.listDirectory(scratch).filter { $0 != "store" }, [], "no output, no temp files")
        try run(["export", "bert-bf16", "-o", scratch + "/b.npz", "--dtype", "f32"])
        XCTAssertEqual(FileSystem.kind(of: scratch + "/b.npz"), .regular)
    }
}
