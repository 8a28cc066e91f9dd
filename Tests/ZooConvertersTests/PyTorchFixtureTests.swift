import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// The committed files written by real `torch.save` (Tests/Fixtures/pytorch, see
/// scripts/make_pytorch_fixtures.py): every valid one must import exactly what torch saved
/// (names, dtypes, shapes, SHA-256 of the contiguous bytes, as torch computed them); every
/// hostile one must fail with its exact error and leave nothing behind.
final class PyTorchFixtureTests: XCTestCase {
    private var manifest: JSONValue = .null

    override func setUpWithError() throws {
        manifest = try pytorchFixtureManifest()
    }

    private var validFixtures: [(file: String, expected: JSONValue)] {
        (manifest["valid"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private func strings(_ value: JSONValue?) -> [String] {
        value?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    func testManifest_ListsEveryFixtureKind() {
        XCTAssertEqual(validFixtures.map(\.file), [
            "archive_name.pt", "dtypes.pt", "list.pt", "module.pt", "nested.pt", "parameters.pt", "protocol4.pt",
            "protocol5.pt", "views.pt",
        ])
        XCTAssertEqual(manifest["hostile"]?.objectValue?.count, 15)
    }

    func testRead_ValidFixtures_TensorsAreExactlyWhatTorchSaved() throws {
        for (file, expected) in validFixtures {
            let checkpoint = try PyTorchCheckpoint(path: pytorchFixtures + "/" + file)
            let tensors = expected["tensors"]?.arrayValue ?? []
            XCTAssertEqual(checkpoint.tensors.map(\.name), tensors.compactMap { $0["name"]?.stringValue }, file)
            for (tensor, entry) in zip(checkpoint.tensors, tensors) {
                let context = "\(file): \(tensor.name)"
                XCTAssertEqual(tensor.dtype.rawValue, entry["dtype"]?.stringValue, context)
                XCTAssertEqual(tensor.shape, entry["shape"]?.arrayValue?.compactMap { $0.integerValue.map(Int.init) }, context)
                XCTAssertEqual(SHA256.digest(tensor.contiguousCopy()).hex, entry["sha256"]?.stringValue, context)
            }
            XCTAssertEqual(checkpoint.archiveName, expected["archive"]?.stringValue, file)
            XCTAssertEqual(checkpoint.selectedKey, expected["selected"]?.stringValue, file)
            XCTAssertEqual(checkpoint.skippedKeys, strings(expected["skipped"]), file)
            XCTAssertEqual(checkpoint.values, expected["values"]?.objectValue ?? [:], file)
            XCTAssertEqual(checkpoint.sharedStorages, expected["shared_storages"]?.arrayValue?.map(strings) ?? [], file)
        }
    }

    func testRead_ViewsFixture_ContiguityIsDetected() throws {
        let checkpoint = try PyTorchCheckpoint(path: pytorchFixtures + "/views.pt")
        let contiguous = checkpoint.tensors.filter(\.isContiguous).map(\.name)
        XCTAssertEqual(contiguous, ["a", "tied", "slice", "offset", "empty_view"])
        XCTAssertEqual(checkpoint.tensor(named: "offset")?.storageOffset, 7)
        XCTAssertEqual(checkpoint.tensor(named: "w_t")?.strides, [1, 5])
        XCTAssertEqual(checkpoint.tensor(named: "expanded")?.strides, [0, 1])
    }

    func testImport_ValidFixtures_TensorDigestsAreTorchsHashes() throws {
        let directory = try makeTemporaryDirectory(self)
        for (file, expected) in validFixtures {
            let destination = directory + "/" + file
            let manifest = try PyTorchImporter().importFile(pytorchFixtures + "/" + file, to: destination)
            let tensors = expected["tensors"]?.arrayValue ?? []
            XCTAssertEqual(manifest.tensorsInSourceOrder.map(\.name), tensors.compactMap { $0["name"]?.stringValue }, file)
            XCTAssertEqual(manifest.tensorsInSourceOrder.map(\.digest.hex), tensors.compactMap { $0["sha256"]?.stringValue }, file)
            XCTAssertEqual(manifest.tensorsInSourceOrder.map(\.dtype.rawValue), tensors.compactMap { $0["dtype"]?.stringValue }, file)
            XCTAssertEqual(manifest.metadata["source.format"], "pytorch", file)
            let report = try Checkpoint(directory: destination).verify(.deep)
            XCTAssertTrue(report.isClean, "\(file): \(report.failures)")
        }
    }

    func testImport_NestedFixture_RecordsSelectionValuesAndSkippedKeys() throws {
        let destination = try makeTemporaryDirectory(self) + "/nested"
        let manifest = try PyTorchImporter().importFile(pytorchFixtures + "/nested.pt", to: destination)
        XCTAssertEqual(manifest.name, "nested")
        XCTAssertEqual(manifest.metadata, [
            "source.format": "pytorch",
            "pytorch.archive": "nested",
            "pytorch.selected": "model",
            "pytorch.skipped": ["optimizer"],
            "pytorch.values": ["epoch": 3, "lr": 0.1, "name": "run-1", "best": nil, "done": true],
        ])
    }

    func testImport_ModuleFixture_RecordsTiedWeights() throws {
        let destination = try makeTemporaryDirectory(self) + "/module"
        let manifest = try PyTorchImporter(name: "tiny").importFile(pytorchFixtures + "/module.pt", to: destination)
        XCTAssertEqual(manifest.name, "tiny")
        XCTAssertEqual(manifest.metadata["pytorch.shared_storages"], [["0.weight", "3.weight"]])
        let tied = manifest.tensorsInSourceOrder.filter { $0.name == "0.weight" || $0.name == "3.weight" }
        XCTAssertEqual(tied.count, 2)
        XCTAssertEqual(tied[0].digest, tied[1].digest)
    }

    // MARK: Hostile files

    /// The error each hostile fixture must give. Offsets into data.pkl come from the manifest
    /// (pickletools' positions); zip-level offsets are checked separately.
    private func expectedError(_ file: String) throws -> PyTorchError {
        let facts = try XCTUnwrap(manifest["hostile"]?[file], file)
        let path = pytorchFixtures + "/" + file
        let name = facts["name"]?.stringValue ?? ""
        let offset = facts["offset"]?.integerValue.map(Int.init)
        switch file {
        case "nested_eval.pt", "whole_module.pt":
            let member = file.replacingOccurrences(of: ".pt", with: "") + "/data.pkl"
            return PyTorchError(file: path, member: member, offset: offset, reason: .globalNotAllowed(name))
        case "bytes_value.pt":
            return PyTorchError(file: path, member: "bytes_value/data.pkl", offset: offset,
                                reason: .unsupportedOpcode(code: 0x43, name: name))
        case "zip_slip.pt", "absolute_member.pt":
            return PyTorchError(file: path, offset: nil, reason: .unsafeMemberName(name))
        case "compressed.pt": return PyTorchError(file: path, offset: offset, reason: .compressedMember(name, method: 8))
        case "big_endian.pt": return PyTorchError(file: path, member: name, reason: .bigEndian)
        case "truncated.pt": return PyTorchError(file: path, reason: .missingEndOfCentralDirectory)
        case "legacy.pt": return PyTorchError(file: path, offset: 0, reason: .legacyFormat)
        case "torchscript.pt": return PyTorchError(file: path, reason: .torchScriptArchive)
        default:
            return PyTorchError(file: path, member: "protocol4/data.pkl", offset: offset, reason: .globalNotAllowed(name))
        }
    }

    func testRead_HostileFixtures_ThrowTheExactError() throws {
        let hostile = (manifest["hostile"]?.objectValue ?? [:]).keys.sorted()
        for file in hostile {
            let path = pytorchFixtures + "/" + file
            guard var error = pytorchError({ _ = try PyTorchCheckpoint(path: path) }) else { continue }
            if file == "zip_slip.pt" || file == "absolute_member.pt" {
                // The offset is the member's central directory entry.
                let bytes = try readBytes(path)
                let at = try XCTUnwrap(error.offset, file)
                XCTAssertEqual(Array(bytes[at..<(at + 4)]), [0x50, 0x4b, 0x01, 0x02], file)
                error.offset = nil
            }
            XCTAssertEqual(error, try expectedError(file), file)
        }
    }

    func testRead_OSSystemFixture_DescriptionNamesTheGlobalAndOffset() {
        let path = pytorchFixtures + "/os_system.pt"
        let error = pytorchError { _ = try PyTorchCheckpoint(path: path) }
        XCTAssertEqual(error?.description, path + ": protocol4/data.pkl byte 2: global 'os.system' is not allowed "
            + "(a state dict only uses collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.*Storage)")
    }

    func testRead_LegacyFixture_DescriptionSaysHowToResave() {
        let path = pytorchFixtures + "/legacy.pt"
        XCTAssertEqual(PyTorchZip.kind(ofFileAt: path), .legacy)
        let error = pytorchError { _ = try PyTorchCheckpoint(path: path) }
        XCTAssertEqual(error?.description, path + ": byte 0: legacy PyTorch format (torch < 1.6) is not supported: "
            + "re-save it with torch.save(..., _use_new_zipfile_serialization=True)")
    }

    func testImport_HostileFixtures_LeaveNothingBehind() throws {
        let directory = try makeTemporaryDirectory(self)
        for file in (manifest["hostile"]?.objectValue ?? [:]).keys.sorted() {
            let destination = directory + "/out"
            XCTAssertNotNil(pytorchError { try PyTorchImporter().importFile(pytorchFixtures + "/" + file, to: destination) }, file)
            XCTAssertEqual(folderContents(directory), [], file)
        }
    }

    func testRead_RealFileWithAnyByteChanged_ThrowsOrReadsNeverCrashes() throws {
        // Poor man's fuzzing on torch's own bytes: every byte of a real archive replaced in turn.
        let bytes = try readBytes(pytorchFixtures + "/protocol4.pt")
        var refused = 0
        for i in bytes.indices {
            var copy = bytes
            copy[i] ^= 0xff
            do {
                let checkpoint = try PyTorchCheckpoint(bytes: copy, name: "p.pt")
                for tensor in checkpoint.tensors { _ = tensor.contiguousCopy() }
            } catch is PyTorchError {
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, bytes.count / 3)
        for count in 0..<bytes.count {
            XCTAssertNotNil(pytorchError { _ = try PyTorchCheckpoint(bytes: Array(bytes.prefix(count)), name: "p.pt") }, "prefix \(count)")
        }
    }

    func testKind_Fixtures_DetectedByContent() {
        for (file, _) in validFixtures {
            XCTAssertEqual(PyTorchZip.kind(ofFileAt: pytorchFixtures + "/" + file), .zip, file)
        }
        // Damaged and hostile archives are still recognised, so the reader can say what is wrong.
        for file in ["truncated.pt", "zip_slip.pt", "os_system.pt", "compressed.pt"] {
            XCTAssertEqual(PyTorchZip.kind(ofFileAt: pytorchFixtures + "/" + file), .zip, file)
        }
        XCTAssertNil(PyTorchZip.kind(ofFileAt: pytorchFixtures + "/manifest.json"))
        XCTAssertNil(PyTorchZip.kind(ofFileAt: pytorchFixtures + "/no-such-file.pt"))
    }
}
