import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// Expansion bombs: inputs whose declared output is far larger than their bytes are refused
/// before anything is written, and no import starts writing more than the disk has room for.
final class ExpansionLimitTests: XCTestCase {
    /// `{"w": tensor}` over one F32 storage of `numel` elements, viewed with `size` and `stride`.
    private func singleView(numel: Int, size: [Int], stride: [Int]) -> [UInt8] {
        var pickle = PickleBuilder()
        pickle.emptyDict()
        pickle.string("w")
        pickle.tensor(key: "0", numel: numel, size: size, stride: stride)
        pickle.op(0x73)  // SETITEM
        pickle.stop()
        return ZipBuilder.torch(pickle: pickle.bytes, storages: ZipBuilder.floatStorages([numel])).bytes
    }

    func testLimit_IsSixteenTimesTheInputWithA64MiBFloor() {
        XCTAssertEqual(ExpansionLimit.maxOutputBytes(inputBytes: 610), 64 << 20)
        XCTAssertEqual(ExpansionLimit.maxOutputBytes(inputBytes: 1 << 30), 16 << 30)
        XCTAssertEqual(ExpansionLimit.maxOutputBytes(inputBytes: Int.max / 2), Int.max)
    }

    func testOpen_StrideZeroViewOfOneFloat_IsRefusedNamingTheTensor() throws {
        // The issue's bomb: one stored float viewed as (2^20, 2^30) with strides (0, 0): 4 PiB.
        let bytes = singleView(numel: 1, size: [1 << 20, 1 << 30], stride: [0, 0])
        XCTAssertLessThan(bytes.count, 1024)
        let error = pytorchError { _ = try PyTorchCheckpoint(bytes: bytes, name: "bomb.pt") }
        XCTAssertEqual(error?.member, "archive/data.pkl")
        XCTAssertEqual(error?.reason, .outputTooLarge(tensor: "w", tensorBytes: 1 << 52, limit: 64 << 20))
        XCTAssertTrue(error?.description.contains("bomb.pt: archive/data.pkl byte ") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.description.contains("tensor 'w' (4503599627370496 bytes") ?? false, "\(String(describing: error))")
    }

    func testOpen_HugeShapeOverZeroLengthStorage_IsRefused() throws {
        // 2^40 elements declared over an empty storage: the view addresses elements it does not have.
        let bytes = singleView(numel: 0, size: [1 << 40], stride: [1])
        XCTAssertEqual(pytorchError { _ = try PyTorchCheckpoint(bytes: bytes, name: "empty.pt") }?.reason,
                       .viewOutOfBounds(tensor: "w", lastElement: (1 << 40) - 1, storageElements: 0))
        // With a zero dimension the tensor is empty whatever the other sizes: nothing to write.
        let empty = try PyTorchCheckpoint(bytes: singleView(numel: 0, size: [0, 1 << 40], stride: [1 << 40, 1]), name: "e.pt")
        XCTAssertEqual(empty.tensor(named: "w")?.byteCount, 0)
    }

    func testImport_Bomb_LeavesNothingAtTheDestination() throws {
        let folder = try makeTemporaryDirectory(self)
        try Data(singleView(numel: 1, size: [1 << 20, 1 << 30], stride: [0, 0])).write(to: URL(fileURLWithPath: folder + "/bomb.pt"))
        let error = pytorchError { try PyTorchImporter().importFile(folder + "/bomb.pt", to: folder + "/out") }
        XCTAssertEqual(error?.reason, .outputTooLarge(tensor: "w", tensorBytes: 1 << 52, limit: 64 << 20))
        XCTAssertEqual(folderContents(folder), ["bomb.pt"])
    }

    func testOpen_SmallBroadcastView_IsImportedUnderTheFloor() throws {
        // position_ids-style: 256 floats broadcast to (64, 256) with stride 0 on the first axis.
        let checkpoint = try PyTorchCheckpoint(bytes: singleView(numel: 256, size: [64, 256], stride: [0, 1]), name: "b.pt")
        let tensor = try XCTUnwrap(checkpoint.tensor(named: "w"))
        XCTAssertFalse(tensor.isContiguous)
        let copy = tensor.contiguousCopy()
        XCTAssertEqual(copy.count, 64 * 256 * 4)
        XCTAssertEqual(Array(copy[(63 * 1024)..<(63 * 1024 + 8)]), le(Float(0).bitPattern) + le(Float(1).bitPattern))
    }

    func testOpen_OneStorageSharedOverAndOver_IsRefusedOnceTheTotalPassesTheLimit() throws {
        // 20 contiguous views of one 4 MiB storage: each alone is fine, 20 x 4 MiB is 80 MiB
        // from a ~4 MiB file (limit 16x, ~64 MiB): the 17th view crosses it.
        let numel = 1 << 20
        var pickle = PickleBuilder()
        pickle.emptyDict()
        pickle.mark()
        for i in 0..<20 {
            pickle.string("w\(i)")
            pickle.tensor(key: "0", numel: numel, size: [numel], stride: [1])
        }
        pickle.setItems()
        pickle.stop()
        let bytes = ZipBuilder.torch(pickle: pickle.bytes, storages: ZipBuilder.floatStorages([numel])).bytes
        let limit = ExpansionLimit.maxOutputBytes(inputBytes: bytes.count)
        XCTAssertEqual(limit, 16 * bytes.count)
        let error = pytorchError { _ = try PyTorchCheckpoint(bytes: bytes, name: "tied.pt") }
        XCTAssertEqual(error?.reason, .outputTooLarge(tensor: "w16", tensorBytes: 4 << 20, limit: limit))
    }

    func testWrite_ModelLargerThanTheFreeSpace_IsRefusedBeforeWriting() throws {
        // A 1 MiB tmpfs (needs root to mount; skipped elsewhere) and a 2 MiB safetensors model.
        let folder = try makeTemporaryDirectory(self)
        let mountPoint = try mountSmallFileSystem(in: folder)
        let source = folder + "/big.safetensors"
        let payload = [UInt8](repeating: 7, count: 2 << 20)
        let header = Array(#"{"w":{"dtype":"U8","shape":[2097152],"data_offsets":[0,2097152]}}"#.utf8)
        try Data(le(UInt64(header.count)) + header + payload).write(to: URL(fileURLWithPath: source))
        let model = try SafetensorsImporter().model(from: source)
        XCTAssertThrowsError(try model.write(to: mountPoint + "/out")) { error in
            guard let error = error as? FormatError, case let .insufficientSpace(needed, available) = error.reason else {
                return XCTFail("expected insufficientSpace, got \(error)")
            }
            XCTAssertEqual(error.file, mountPoint + "/out")
            XCTAssertGreaterThan(needed, 2 << 20)
            XCTAssertLessThanOrEqual(available, 1 << 20)
        }
        XCTAssertEqual(folderContents(mountPoint), [], "nothing was written")
    }

    func testWrite_DiskFillingWhileWriting_FailsWithENOSPCAndLeavesNothing() throws {
        // The check passes (a 64 KiB tensor, 1 MiB free); then the tensor's producer fills the
        // disk before writing its bytes, as another process could: the write meets ENOSPC.
        let folder = try makeTemporaryDirectory(self)
        let mountPoint = try mountSmallFileSystem(in: folder)
        var tensors = ForeignTensors()
        tensors.append(TensorDescriptor(name: "w", dtype: .u8, shape: [64 << 10]), .produced { sink in
            // Fills the file system (the last pages may not fit: either way nothing is left).
            _ = FileManager.default.createFile(atPath: mountPoint + "/filler", contents: Data(count: 1 << 20))
            let bytes = [UInt8](repeating: 1, count: 64 << 10)
            try bytes.withUnsafeBytes { raw in try sink.write(raw) }
        })
        let model = ForeignModel(format: .safetensors, name: "m", architecture: Architecture(family: .other, type: "unknown"),
                                 metadata: [:], tensors: tensors)
        XCTAssertThrowsError(try model.write(to: mountPoint + "/out")) { error in
            guard let error = error as? FormatError, case let .io(io) = error.reason else {
                return XCTFail("expected an I/O error, got \(error)")
            }
            XCTAssertEqual(io.errno, ENOSPC, "\(io)")
            XCTAssertTrue(error.description.contains("No space left on device"), error.description)
        }
        XCTAssertEqual(folderContents(mountPoint), ["filler"], "the partial checkpoint is removed")
    }

    func testOpen_NpyShapeFarBeyondItsBytes_IsRefused() throws {
        // 2^40 float32 elements declared over 4 bytes of data.
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }"
        while (10 + dict.utf8.count + 1) % 64 != 0 { dict += " " }
        dict += "\n"
        let bytes = NumPy.magic + [1, 0] + le(UInt16(dict.utf8.count)) + Array(dict.utf8) + [0, 0, 128, 63]
        let folder = try makeTemporaryDirectory(self)
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/big.npy"))
        XCTAssertThrowsError(try NumPyImporter().importFile(folder + "/big.npy", to: folder + "/out")) { error in
            XCTAssertEqual((error as? NumPyError)?.reason, .dataLength(expected: 4 << 40, actual: 4))
        }
        XCTAssertEqual(folderContents(folder), ["big.npy"])
    }

    /// A 1 MiB tmpfs at `folder/small`, unmounted when the test ends. Mounting needs root (CI
    /// runs as root); elsewhere the test is skipped, saying why.
    private func mountSmallFileSystem(in folder: String) throws -> String {
        let mountPoint = folder + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        guard succeeds("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]) else {
            throw XCTSkip("cannot mount a tmpfs here (not root)")
        }
        addTeardownBlock { [self] in _ = succeeds("/bin/umount", [mountPoint]) }
        return mountPoint
    }

    private func succeeds(_ command: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
