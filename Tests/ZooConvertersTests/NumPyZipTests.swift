import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// `.npz` containers read strictly: what numpy (zipfile) refuses zoo refuses, and where zipfile
/// is lenient (a directory that lost entries, a local header that disagrees, names numpy would
/// turn into odd keys) zoo refuses too. The hostile files are numpy's own `savez` output with
/// bytes changed, and numpy's verdict on each is asked of the venv's python.
final class NumPyZipTests: XCTestCase {
    /// A version 1.0 `.npy` of little-endian F32 values, shape `[count]`.
    private func npy(_ values: [Float]) -> [UInt8] {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(values.count),), }"
        while (10 + dict.utf8.count + 1) % 64 != 0 { dict += " " }
        dict += "\n"
        return NumPy.magic + [1, 0] + le(UInt16(dict.utf8.count)) + Array(dict.utf8) + values.flatMap { le($0.bitPattern) }
    }

    func testCRC32_MatchesTheStandardCheckValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([]), 0)
        // Split updates give the same value as one update (4-byte steps and the byte tail).
        let bytes = patternBytes(1031, seed: 9)
        var split = CRC32()
        bytes.withUnsafeBytes { raw in
            split.update(UnsafeRawBufferPointer(rebasing: raw[0..<5]))
            split.update(UnsafeRawBufferPointer(rebasing: raw[5...]))
        }
        XCTAssertEqual(split.value, CRC32.checksum(bytes))
        XCTAssertEqual(CRC32.checksum(bytes), crc32(bytes), "the test support's bitwise CRC")
    }

    func testImport_MembersWithDataDescriptors_Import() throws {
        // The zip writer of the tests writes data descriptors (signature + 12 bytes), as libarchive does.
        let dir = try makeTemporaryDirectory(self)
        var zip = ZipBuilder()
        zip.zip64End = false
        zip.add("w.npy", npy([1, 2, 3]))
        zip.add("layer/b.npy", npy([4]))
        try writeBytes(zip.bytes, to: dir + "/m.npz")
        let manifest = try NumPyImporter().importFile(dir + "/m.npz", to: dir + "/out")
        XCTAssertEqual(manifest.tensorsInSourceOrder.map(\.name), ["w", "layer/b"])
    }

    func testImport_MemberNamesThatAreNotSafeTensorNames_AreRefused() throws {
        let dir = try makeTemporaryDirectory(self)
        for (name, tensor) in [("..npy", "."), ("a/..npy", "a/."), ("a//b.npy", "a//b"), ("...npy", "..")] {
            var zip = ZipBuilder()
            zip.zip64End = false
            zip.add(name, npy([1]))
            try writeBytes(zip.bytes, to: dir + "/m.npz")
            let error = numPyError { _ = try NumPyImporter().importFile(dir + "/m.npz", to: dir + "/out") }
            XCTAssertEqual(error, NumPyError(file: dir + "/m.npz", reason: .memberTensorName(member: name, tensor: tensor)), name)
        }
        XCTAssertEqual(folderContents(dir), ["m.npz"])
    }

    // MARK: Against numpy

    func testImport_HostileNpz_RefusedWheneverNumPyRefusesAndWhereItIsLenient() throws {
        guard let python = ProcessInfo.processInfo.environment["ZOO_PYTHON"], FileManager.default.isExecutableFile(atPath: python) else {
            throw NumPyInteropTests.SetupError(description: "ZOO_PYTHON is not set or not executable: " + NumPyInteropTests.setupHint)
        }
        let dir = try makeTemporaryDirectory(self)
        let verdicts = try XCTUnwrap(try JSONValue(parsing: runPython(python, Self.hostileCases, dir)).objectValue)
        XCTAssertEqual(verdicts.count, Self.expected.count)
        for (name, expectation) in Self.expected.sorted(by: { $0.key < $1.key }) {
            let numpyAccepts = verdicts[name]?["ok"].map { $0 == .bool(true) }
            let path = dir + "/" + name + ".npz"
            let zooError = Self.importError(path, to: dir + "/" + name + ".out")
            switch expectation {
            case .bothAccept:
                XCTAssertEqual(numpyAccepts, true, name)
                XCTAssertNil(zooError, name)
            case let .bothRefuse(reason):
                XCTAssertEqual(numpyAccepts, false, "\(name): numpy said \(String(describing: verdicts[name]))")
                XCTAssertTrue(zooError.map(reason) ?? false, "\(name): zoo said \(String(describing: zooError))")
            case let .zooStricter(reason):
                XCTAssertEqual(numpyAccepts, true, "\(name): numpy said \(String(describing: verdicts[name]))")
                XCTAssertTrue(zooError.map(reason) ?? false, "\(name): zoo said \(String(describing: zooError))")
            }
            if zooError != nil { XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + name + ".out"), name) }
        }
    }

    private static func importError(_ path: String, to destination: String) -> NumPyError? {
        do throws(NumPyError) {
            _ = try NumPyImporter().importFile(path, to: destination)
            return nil
        } catch {
            return error
        }
    }

    private enum Expectation: Sendable {
        case bothAccept
        case bothRefuse(@Sendable (NumPyError) -> Bool)
        case zooStricter(@Sendable (NumPyError) -> Bool)
    }

    private static func zip(_ check: @escaping @Sendable (PyTorchError.Reason) -> Bool) -> @Sendable (NumPyError) -> Bool {
        { error in if case let .invalidZip(reason) = error.reason { check(reason) } else { false } }
    }

    private static let expected: [String: Expectation] = [
        "stored": .bothAccept,
        "deflated": .bothAccept,
        "cd_truncated": .bothRefuse(zip { $0 == .missingEndOfCentralDirectory }),
        "cd_cut_mid_entry": .bothRefuse(zip { if case .centralDirectoryOutOfBounds = $0 { true } else { false } }),
        "cd_count_zero": .zooStricter(zip { $0 == .memberCountMismatch(declared: 0) }),
        "cd_lists_one_of_two": .zooStricter(zip { $0 == .memberCountMismatch(declared: 1) }),
        "cd_name_differs": .bothRefuse(zip { $0 == .localNameMismatch(central: "c.npy", local: "b.npy") }),
        "local_name_differs": .bothRefuse(zip { $0 == .localNameMismatch(central: "b.npy", local: "c.npy") }),
        "cd_crc_flipped": .bothRefuse(zip { $0 == .localFieldMismatch("a.npy", field: "CRC-32") }),
        "local_crc_flipped": .zooStricter(zip { $0 == .localFieldMismatch("a.npy", field: "CRC-32") }),
        "stored_data_flipped": .bothRefuse { error in
            // libarchive checks the CRC as it reads; zoo's own check backs it up.
            if case .crcMismatch = error.reason { return error.member == "a.npy" }
            if case let .archive(message) = error.reason { return error.member == "a.npy" && message.contains("CRC") }
            return false
        },
        "deflated_data_flipped": .bothRefuse { error in
            // zlib may notice first (a broken stream) or the CRC does.
            if case .crcMismatch = error.reason { return error.member == "b.npy" }
            if case .archive = error.reason { return error.member == "b.npy" }
            if case .dataLength = error.reason { return error.member == "b.npy" }
            return false
        },
        // The directory's sizes no longer fit a stored member: that is what zoo notices first.
        "cd_says_stored_local_deflate": .bothRefuse(zip { if case .storedSizeMismatch("a.npy", _, _) = $0 { true } else { false } }),
        "cd_says_deflate_local_stored": .bothRefuse(zip { $0 == .localFieldMismatch("a.npy", field: "compression method") }),
        "cd_encrypted_flag": .bothRefuse { $0.reason == .encryptedMember("a.npy") },
        "local_encrypted_flag": .zooStricter { $0.reason == .encryptedMember("a.npy") },
        "cd_size_plus_one": .zooStricter(zip { if case .storedSizeMismatch("a.npy", _, _) = $0 { true } else { false } }),
        "dotdot_name": .zooStricter { $0.reason == .memberTensorName(member: "..npy", tensor: ".") },
        "backslash_name": .zooStricter { $0.reason == .unsafeMemberPath("a\\b.npy") },
        "trailing_garbage": .zooStricter(zip { $0 == .trailingBytes(count: 4) }),
    ]

    private func runPython(_ python: String, _ script: String, _ argument: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, argument]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "python failed")
        return Array(data)
    }

    /// numpy's savez output, and copies with bytes changed; prints numpy's verdict on each as JSON.
    private static let hostileCases = #"""
import io, json, struct, sys, zipfile, zlib
import numpy as np

out = sys.argv[1]

def savez(compressed, names=("a", "b")):
    buffer = io.BytesIO()
    arrays = {name: np.arange(6 * (i + 1), dtype="<f4").reshape(2, -1) for i, name in enumerate(names)}
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return bytearray(buffer.getvalue())

def records(data):
    """(local header offsets by name, central entry offsets by name, end record offset)."""
    end = data.rfind(b"PK\x05\x06")
    count, size, start = struct.unpack_from("<HII", data, end + 10)
    central, local = {}, {}
    pos = start
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        name = bytes(data[pos + 46:pos + 46 + name_len]).decode()
        central[name] = pos
        local[name] = struct.unpack_from("<I", data, pos + 42)[0]
        pos += 46 + name_len + extra_len + comment_len
    return local, central, end

def rename(data, old, new, where):
    assert len(old) == len(new)
    local, central, _ = records(data)
    positions = ([local[old] + 30] if "local" in where else []) + ([central[old] + 46] if "central" in where else [])
    for p in positions:
        data[p:p + len(old)] = new.encode()
    return data

def patch(data, offset, fmt, value):
    struct.pack_into(fmt, data, offset, value)
    return data

cases = {}
stored, deflated = savez(False), savez(True)
cases["stored"] = stored
cases["deflated"] = deflated
local, central, end = records(stored)
dlocal, dcentral, dend = records(deflated)
cases["cd_truncated"] = stored[:end - 10]
cases["cd_cut_mid_entry"] = stored[:central["b.npy"] + 20] + stored[end:]
cases["cd_count_zero"] = patch(patch(bytearray(stored), end + 8, "<H", 0), end + 10, "<H", 0)
cases["cd_lists_one_of_two"] = patch(patch(bytearray(stored), end + 8, "<H", 1), end + 10, "<H", 1)
cases["cd_name_differs"] = rename(bytearray(stored), "b.npy", "c.npy", ["central"])
cases["local_name_differs"] = rename(bytearray(stored), "b.npy", "c.npy", ["local"])
cases["cd_crc_flipped"] = patch(bytearray(stored), central["a.npy"] + 16, "<I", struct.unpack_from("<I", stored, central["a.npy"] + 16)[0] ^ 1)
cases["local_crc_flipped"] = patch(bytearray(stored), local["a.npy"] + 14, "<I", struct.unpack_from("<I", stored, local["a.npy"] + 14)[0] ^ 1)
def data_end(data, local, central, name):
    name_len, extra_len = struct.unpack_from("<HH", data, local[name] + 26)
    return local[name] + 30 + name_len + extra_len + struct.unpack_from("<I", data, central[name] + 20)[0]
data = bytearray(stored); data[data_end(stored, local, central, "a.npy") - 1] ^= 0x40; cases["stored_data_flipped"] = data
data = bytearray(deflated); data[data_end(deflated, dlocal, dcentral, "b.npy") - 3] ^= 0x01; cases["deflated_data_flipped"] = data
cases["cd_says_stored_local_deflate"] = patch(bytearray(deflated), dcentral["a.npy"] + 10, "<H", 0)
cases["cd_says_deflate_local_stored"] = patch(bytearray(stored), central["a.npy"] + 10, "<H", 8)
cases["cd_encrypted_flag"] = patch(bytearray(stored), central["a.npy"] + 8, "<H", 1)
cases["local_encrypted_flag"] = patch(bytearray(stored), local["a.npy"] + 6, "<H", 1)
cases["cd_size_plus_one"] = patch(bytearray(stored), central["a.npy"] + 24, "<I", struct.unpack_from("<I", stored, central["a.npy"] + 24)[0] + 1)
cases["dotdot_name"] = savez(False, names=(".", "b"))
cases["backslash_name"] = rename(savez(False, names=("a_b", "c")), "a_b.npy", "a\\b.npy", ["local", "central"])
cases["trailing_garbage"] = stored + b"junk"

results = {}
for name, data in cases.items():
    with open(f"{out}/{name}.npz", "wb") as f:
        f.write(data)
    try:
        with np.load(f"{out}/{name}.npz") as npz:
            keys = list(npz.files)
            for key in keys:
                npz[key]
        results[name] = {"ok": True, "keys": keys}
    except Exception as error:
        results[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
json.dump(results, sys.stdout, indent=1)
"""#
}

/// Runs `body` and returns the `NumPyError` it throws (failing the test otherwise).
private func numPyError(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) -> NumPyError? {
    do {
        try body()
        XCTFail("expected a NumPyError, nothing was thrown", file: file, line: line)
    } catch let error as NumPyError {
        return error
    } catch {
        XCTFail("expected a NumPyError, got \(error)", file: file, line: line)
    }
    return nil
}
