import XCTest
@testable import ZooConverters
import ZooFormat

/// The zip container and the torch.save layout on hand-made archives: zip64 end records and
/// extra fields, and every way a hostile zip can lie about offsets, sizes and names.
final class PyTorchZipTests: XCTestCase {
    private let fileName = "m.pt"

    private func open(_ bytes: [UInt8], selection: PyTorchSelection = .automatic) throws -> PyTorchCheckpoint {
        try PyTorchCheckpoint(bytes: bytes, name: fileName, selection: selection)
    }

    private func openError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> PyTorchError? {
        pytorchError(file: file, line: line) { _ = try open(bytes) }
    }

    /// A valid two-tensor archive: w (2x3) and b (3).
    private var twoTensors: ZipBuilder {
        ZipBuilder.torch(pickle: PickleBuilder.stateDict([("w", [2, 3]), ("b", [3])]).bytes,
                         storages: ZipBuilder.floatStorages([6, 3]))
    }

    private func offset(of pattern: [UInt8], in bytes: [UInt8], from start: Int = 0) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        return (start...(bytes.count - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    private let endSignature: [UInt8] = [0x50, 0x4b, 0x05, 0x06]
    private let centralSignature: [UInt8] = [0x50, 0x4b, 0x01, 0x02]

    // MARK: Valid archives

    func testOpen_TorchLayout_ReadsTensorsInPlace() throws {
        let checkpoint = try open(twoTensors.bytes)
        XCTAssertEqual(checkpoint.archiveName, "archive")
        XCTAssertEqual(checkpoint.tensors.map(\.name), ["w", "b"])
        XCTAssertEqual(checkpoint.tensor(named: "w")?.contiguousCopy(), ZipBuilder.floatStorages([6])[0])
        XCTAssertEqual(checkpoint.tensor(named: "b")?.contiguousCopy(), ZipBuilder.floatStorages([3])[0])
    }

    func testOpen_Zip64ExtraFieldsAndNoZip64End_AreRead() throws {
        var zip = twoTensors
        for i in zip.members.indices { zip.members[i].zip64Extra = true }
        XCTAssertEqual(try open(zip.bytes).tensors.count, 2)
        var plain = twoTensors
        plain.zip64End = false
        for i in plain.members.indices {
            plain.members[i].flags = 0  // sizes in the local header, no descriptor
            plain.members[i].align = false
        }
        XCTAssertEqual(try open(plain.bytes).tensors.count, 2)
    }

    func testOpen_NoByteOrderMember_IsLittleEndian() throws {
        let zip = ZipBuilder.torch(pickle: PickleBuilder.stateDict([("w", [1])]).bytes, storages: ZipBuilder.floatStorages([1]), byteorder: nil)
        XCTAssertEqual(try open(zip.bytes).tensors.count, 1)
    }

    // MARK: The end records

    func testOpen_NotAZip_Throws() {
        XCTAssertEqual(openError(Array("hello".utf8)), PyTorchError(file: fileName, offset: 0, reason: .notPyTorchFile))
        XCTAssertEqual(openError([]), PyTorchError(file: fileName, offset: 0, reason: .notPyTorchFile))
        XCTAssertEqual(openError([0x50, 0x4b, 0x03, 0x04]), PyTorchError(file: fileName, reason: .missingEndOfCentralDirectory))
    }

    func testOpen_TrailingBytes_AreRefused() {
        let bytes = twoTensors.bytes
        XCTAssertEqual(openError(bytes + [0, 0, 0]), PyTorchError(file: fileName, offset: bytes.count, reason: .trailingBytes(count: 3)))
    }

    func testOpen_EveryTruncation_ThrowsNeverCrashes() {
        let bytes = twoTensors.bytes
        for count in 0..<bytes.count {
            XCTAssertNotNil(openError(Array(bytes.prefix(count))), "prefix \(count)")
        }
    }

    func testOpen_EveryByteFlipped_ThrowsOrReadsNeverCrashes() {
        // Poor man's fuzzing: each byte replaced by 0xff; many still open (data bytes), none may crash.
        let bytes = twoTensors.bytes
        var refused = 0
        for i in bytes.indices {
            var copy = bytes
            copy[i] = copy[i] == 0xff ? 0x00 : 0xff
            do { _ = try open(copy) } catch is PyTorchError { refused += 1 } catch { XCTFail("\(i): \(error)") }
        }
        XCTAssertGreaterThan(refused, bytes.count / 4)
    }

    func testOpen_CentralDirectoryOffsetPastTheEnd_IsOutOfBounds() throws {
        var zip = twoTensors
        zip.zip64End = false
        var bytes = zip.bytes
        let end = try XCTUnwrap(offset(of: endSignature, in: bytes))
        bytes.replaceSubrange((end + 16)..<(end + 20), with: le(UInt32(0x7fff_0000)))
        XCTAssertEqual(openError(bytes), PyTorchError(file: fileName, offset: end, reason: .centralDirectoryOutOfBounds(
            offset: 0x7fff_0000, size: UInt64(u32(bytes, at: end + 12)))))
    }

    private func u32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }

    func testOpen_HugeMemberCount_IsRefusedBeforeAllocating() throws {
        var bytes = twoTensors.bytes
        // The zip64 record's entry counts (at +24 and +32) claim 2^40 entries.
        let record = try XCTUnwrap(offset(of: [0x50, 0x4b, 0x06, 0x06], in: bytes))
        bytes.replaceSubrange((record + 24)..<(record + 40), with: le(UInt64(1) << 40) + le(UInt64(1) << 40))
        let end = try XCTUnwrap(offset(of: endSignature, in: bytes, from: record))
        bytes.replaceSubrange((end + 8)..<(end + 12), with: le(UInt16.max) + le(UInt16.max))
        XCTAssertEqual(openError(bytes), PyTorchError(file: fileName, offset: end, reason: .tooManyMembers(declared: 1 << 40)))
    }

    func testOpen_Zip64RecordDisagreeingWithTheEndRecord_IsRefused() throws {
        var bytes = twoTensors.bytes
        let record = try XCTUnwrap(offset(of: [0x50, 0x4b, 0x06, 0x06], in: bytes))
        bytes.replaceSubrange((record + 24)..<(record + 40), with: le(UInt64(3)) + le(UInt64(3)))
        XCTAssertEqual(openError(bytes), PyTorchError(file: fileName, offset: record, reason: .invalidZip64(why: "it disagrees with the end record")))
    }

    func testOpen_SaturatedEndRecordWithoutLocator_IsRefused() throws {
        var zip = twoTensors
        zip.zip64End = false
        var bytes = zip.bytes
        let end = try XCTUnwrap(offset(of: endSignature, in: bytes))
        bytes.replaceSubrange((end + 16)..<(end + 20), with: le(UInt32.max))
        XCTAssertEqual(openError(bytes), PyTorchError(file: fileName, offset: end, reason: .invalidZip64(
            why: "the end record's fields are saturated but there is no zip64 locator")))
    }

    func testOpen_MultiDisk_IsRefused() throws {
        var zip = twoTensors
        zip.zip64End = false
        var bytes = zip.bytes
        let end = try XCTUnwrap(offset(of: endSignature, in: bytes))
        bytes.replaceSubrange((end + 4)..<(end + 6), with: le(UInt16(1)))
        XCTAssertEqual(openError(bytes), PyTorchError(file: fileName, offset: end, reason: .multiDiskArchive))
    }

    // MARK: Members

    func testOpen_UnsafeMemberNames_AreRefused() {
        for unsafe in ["../evil", "archive/../../evil", "/etc/passwd", "archive\\..\\evil", "C:/evil", "a/\u{0}b", ""] {
            var zip = twoTensors
            zip.add(unsafe, [1, 2, 3])
            XCTAssertEqual(openError(zip.bytes)?.reason, .unsafeMemberName(unsafe), unsafe)
        }
    }

    func testOpen_DuplicateMembers_AreRefused() {
        var zip = twoTensors
        zip.add("archive/data/0", [0, 0, 0, 0])
        XCTAssertEqual(openError(zip.bytes)?.reason, .duplicateMember("archive/data/0"))
    }

    func testOpen_EncryptedMember_IsRefused() {
        var zip = twoTensors
        zip.members[2].flags |= 1
        XCTAssertEqual(openError(zip.bytes)?.reason, .encryptedMember("archive/data/0"))
    }

    func testOpen_CompressedStorage_IsRefusedWithItsMethod() {
        var zip = twoTensors
        zip.members[2].method = 8
        XCTAssertEqual(openError(zip.bytes)?.reason, .compressedMember("archive/data/0", method: 8))
    }

    func testOpen_LocalHeaderNameMismatch_IsRefused() throws {
        var bytes = twoTensors.bytes
        // The first local header's name starts at 30: "archive/data.pkl" -> "Archive/data.pkl".
        bytes[30] = UInt8(ascii: "A")
        XCTAssertEqual(openError(bytes), PyTorchError(file: fileName, offset: 0, reason: .localNameMismatch(
            central: "archive/data.pkl", local: "Archive/data.pkl")))
    }

    func testOpen_OverlappingMembers_AreRefused() throws {
        var zip = twoTensors
        zip.zip64End = false
        var bytes = zip.bytes
        // Point the second central entry (byteorder) at the first member's local header.
        let first = try XCTUnwrap(offset(of: centralSignature, in: bytes))
        let second = try XCTUnwrap(offset(of: centralSignature, in: bytes, from: first + 4))
        var aliased = bytes
        aliased.replaceSubrange((second + 42)..<(second + 46), with: le(UInt32(0)))
        XCTAssertEqual(openError(aliased)?.reason, .localNameMismatch(central: "archive/byteorder", local: "archive/data.pkl"))
        // Make data.pkl 30 bytes longer (both sizes, it is stored): past its data descriptor, into byteorder's header.
        let size = u32(bytes, at: first + 20) + 30
        bytes.replaceSubrange((first + 20)..<(first + 28), with: le(size) + le(size))
        XCTAssertEqual(openError(bytes), PyTorchError(file: fileName, offset: Int(u32(bytes, at: second + 42)), reason: .overlappingMembers(
            "archive/data.pkl", "archive/byteorder")))
    }

    func testOpen_MemberDataPastTheDirectory_IsOutOfBounds() throws {
        var zip = twoTensors
        zip.zip64End = false
        var bytes = zip.bytes
        // Make storage 0 claim 1 MiB.
        let entries = (0..<3).reduce(into: [Int]()) { found, _ in
            found.append(offset(of: centralSignature, in: bytes, from: (found.last ?? -4) + 4) ?? 0)
        }
        let entry = entries[2]
        bytes.replaceSubrange((entry + 20)..<(entry + 28), with: le(UInt32(1 << 20)) + le(UInt32(1 << 20)))
        let local = Int(u32(bytes, at: entry + 42))
        XCTAssertEqual(openError(bytes), PyTorchError(file: fileName, offset: local, reason: .memberOutOfBounds("archive/data/0")))
    }

    // MARK: The torch.save layout

    func testOpen_NoDataPickle_IsNotATorchArchive() {
        var zip = ZipBuilder()
        zip.add("x.npy", [1, 2, 3])
        XCTAssertEqual(openError(zip.bytes), PyTorchError(file: fileName, reason: .noDataPickle))
        XCTAssertNil(zip.bytes.withUnsafeBytes { PyTorchZip.kind(of: $0) })
    }

    func testOpen_TwoArchives_IsAmbiguous() {
        var zip = twoTensors
        zip.add("other/data.pkl", PickleBuilder.stateDict([]).bytes)
        XCTAssertEqual(openError(zip.bytes), PyTorchError(file: fileName, reason: .severalArchives(["archive", "other"])))
    }

    func testOpen_ByteOrder_BigOrGarbage_IsRefused() {
        let pickle = PickleBuilder.stateDict([("w", [1])]).bytes
        XCTAssertEqual(openError(ZipBuilder.torch(pickle: pickle, storages: ZipBuilder.floatStorages([1]), byteorder: "big").bytes),
                       PyTorchError(file: fileName, member: "archive/byteorder", reason: .bigEndian))
        XCTAssertEqual(openError(ZipBuilder.torch(pickle: pickle, storages: ZipBuilder.floatStorages([1]), byteorder: "middle").bytes),
                       PyTorchError(file: fileName, member: "archive/byteorder", reason: .invalidByteOrder("middle")))
    }

    func testOpen_MissingOrWrongSizedStorage_IsRefused() {
        let pickle = PickleBuilder.stateDict([("w", [2, 3])]).bytes
        XCTAssertEqual(openError(ZipBuilder.torch(pickle: pickle, storages: []).bytes),
                       PyTorchError(file: fileName, reason: .missingMember("archive/data/0")))
        XCTAssertEqual(openError(ZipBuilder.torch(pickle: pickle, storages: ZipBuilder.floatStorages([5])).bytes),
                       PyTorchError(file: fileName, member: "archive/data/0", reason: .storageSizeMismatch(key: "0", expected: 24, actual: 20)))
    }

    func testOpen_ViewPastItsStorage_IsRefusedNamingTheTensor() {
        var pickle = PickleBuilder()
        pickle.emptyDict()
        pickle.string("w")
        let reduceAt = pickle.offset + 1
        pickle.tensor(key: "0", numel: 6, offset: 2, size: [2, 3], stride: [3, 1])
        pickle.op(0x73)
        pickle.stop()
        let zip = ZipBuilder.torch(pickle: pickle.bytes, storages: ZipBuilder.floatStorages([6]))
        let error = openError(zip.bytes)
        XCTAssertEqual(error?.reason, .viewOutOfBounds(tensor: "w", lastElement: 7, storageElements: 6))
        XCTAssertEqual(error?.member, "archive/data.pkl")
        XCTAssertGreaterThan(error?.offset ?? 0, reduceAt)

        // Strides that overflow are refused, not wrapped.
        var huge = PickleBuilder()
        huge.emptyDict()
        huge.string("w")
        huge.global("torch._utils", "_rebuild_tensor_v2")
        huge.mark(); huge.mark()
        huge.string("storage"); huge.global("torch", "FloatStorage"); huge.string("0"); huge.string("cpu"); huge.int(6)
        huge.tuple(); huge.op(0x51)
        huge.int(0)
        huge.ints([3, 3])
        huge.mark(); huge.op(0x8a, [8] + le(Int64.max / 2)); huge.int(1); huge.tuple()
        huge.bool(false); huge.global("collections", "OrderedDict"); huge.emptyTuple(); huge.reduce()
        huge.tuple(); huge.reduce()
        huge.op(0x73)
        huge.stop()
        XCTAssertEqual(openError(ZipBuilder.torch(pickle: huge.bytes, storages: ZipBuilder.floatStorages([6])).bytes)?.reason,
                       .sizeOverflow(tensor: "w"))
    }
}
