import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// Tests/Fixtures/pytorch: files written by real `torch.save` (scripts/make_pytorch_fixtures.py,
/// run once with a python that has torch) and committed with their manifest.json.
let pytorchFixtures: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/pytorch").path

/// The fixtures' manifest.json.
func pytorchFixtureManifest() throws -> JSONValue {
    try JSONValue(parsing: readBytes(pytorchFixtures + "/manifest.json"))
}

/// Runs `body` and returns the `PyTorchError` it throws (failing the test when it throws
/// nothing or something else).
func pytorchError(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) -> PyTorchError? {
    do {
        try body()
        XCTFail("expected a PyTorchError, nothing was thrown", file: file, line: line)
    } catch let error as PyTorchError {
        return error
    } catch {
        XCTFail("expected a PyTorchError, got \(error)", file: file, line: line)
    }
    return nil
}

/// The names in a folder (empty when it does not exist).
func folderContents(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

// MARK: Pickles

/// Builds protocol-2 pickles opcode by opcode, the way torch writes them.
struct PickleBuilder {
    var bytes: [UInt8] = [0x80, 0x02]

    init(protocol version: UInt8 = 2) { bytes = [0x80, version] }
    init(raw: [UInt8]) { bytes = raw }

    /// The offset the next opcode will have.
    var offset: Int { bytes.count }

    mutating func op(_ code: UInt8, _ argument: [UInt8] = []) { bytes += [code] + argument }
    mutating func global(_ module: String, _ name: String) { op(0x63, Array("\(module)\n\(name)\n".utf8)) }
    mutating func string(_ text: String) { op(0x58, le(UInt32(text.utf8.count)) + Array(text.utf8)) }
    mutating func int(_ value: Int) {
        if (0..<256).contains(value) {
            op(0x4b, [UInt8(value)])
        } else if let narrow = Int32(exactly: value) {
            op(0x4a, le(narrow))
        } else {
            op(0x8a, [8] + le(Int64(value)))  // LONG1, 8 bytes
        }
    }
    mutating func mark() { op(0x28) }
    mutating func tuple() { op(0x74) }
    mutating func emptyTuple() { op(0x29) }
    mutating func emptyDict() { op(0x7d) }
    mutating func reduce() { op(0x52) }
    mutating func put(_ index: UInt8) { op(0x71, [index]) }
    mutating func get(_ index: UInt8) { op(0x68, [index]) }
    mutating func setItems() { op(0x75) }
    mutating func stop() { op(0x2e) }
    mutating func bool(_ value: Bool) { op(value ? 0x88 : 0x89) }
    mutating func ints(_ values: [Int]) {
        mark()
        for value in values { int(value) }
        tuple()
    }

    /// `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`.
    mutating func tensor(storageType: String = "FloatStorage", key: String, numel: Int, offset: Int = 0, size: [Int], stride: [Int]) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark()
        string("storage")
        global("torch", storageType)
        string(key)
        string("cpu")
        int(numel)
        tuple()
        op(0x51)  // BINPERSID
        int(offset)
        ints(size)
        ints(stride)
        bool(false)
        global("collections", "OrderedDict")
        emptyTuple()
        reduce()
        tuple()
        reduce()
    }

    /// `{name: tensor, ...}` of contiguous F32 tensors, storage i for tensor i.
    static func stateDict(_ tensors: [(String, [Int])]) -> PickleBuilder {
        var pickle = PickleBuilder()
        pickle.emptyDict()
        pickle.mark()
        for (i, (name, shape)) in tensors.enumerated() {
            pickle.string(name)
            pickle.tensor(key: String(i), numel: shape.reduce(1, *), size: shape, stride: contiguousStrides(shape))
        }
        pickle.setItems()
        pickle.stop()
        return pickle
    }
}

func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for i in shape.indices.reversed() {
        strides[i] = running
        running *= shape[i]
    }
    return strides
}

func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian, Array.init)
}

// MARK: Zips

/// Builds zip archives member by member, the torch way by default (stored, data descriptor,
/// zip64 end records), with knobs to make them wrong.
struct ZipBuilder {
    struct Member {
        var name: String
        var data: [UInt8]
        var method: UInt16 = 0
        var flags: UInt16 = 0x0808  // data descriptor + UTF-8, as torch writes
        /// Saturate sizes and offset in the central directory and put them in a zip64 extra field.
        var zip64Extra = false
        /// Pad the local header's extra field so the data starts 64-byte aligned.
        var align = true
    }

    var members: [Member] = []
    /// Write the zip64 end record and locator (torch always does).
    var zip64End = true

    mutating func add(_ name: String, _ data: [UInt8], configure: (inout Member) -> Void = { _ in }) {
        var member = Member(name: name, data: data)
        configure(&member)
        members.append(member)
    }

    /// A torch.save layout: `<archive>/data.pkl`, `data/<i>`, `byteorder`, `version`.
    static func torch(archive: String = "archive", pickle: [UInt8], storages: [[UInt8]], byteorder: String? = "little") -> ZipBuilder {
        var zip = ZipBuilder()
        zip.add("\(archive)/data.pkl", pickle)
        if let byteorder { zip.add("\(archive)/byteorder", Array(byteorder.utf8)) }
        for (i, storage) in storages.enumerated() { zip.add("\(archive)/data/\(i)", storage) }
        zip.add("\(archive)/version", Array("3\n".utf8))
        return zip
    }

    /// F32 storages holding 0, 1, 2, ... for the given element counts.
    static func floatStorages(_ counts: [Int]) -> [[UInt8]] {
        counts.map { count in (0..<count).flatMap { le(Float($0).bitPattern) } }
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for member in members {
            let offset = out.count
            let name = Array(member.name.utf8)
            var localExtra: [UInt8] = []
            if member.align {
                let unpadded = out.count + 30 + name.count + 4
                let padding = (64 - unpadded % 64) % 64
                localExtra = le(UInt16(0x4246)) + le(UInt16(padding)) + [UInt8](repeating: 0x5a, count: padding)
            }
            let crc = crc32(member.data)
            let descriptor = member.flags & 0x08 != 0
            out += le(UInt32(0x0403_4b50)) + le(UInt16(45)) + le(member.flags) + le(member.method) + le(UInt32(0))
            out += le(descriptor ? UInt32(0) : crc)
            out += le(descriptor ? UInt32(0) : UInt32(member.data.count)) + le(descriptor ? UInt32(0) : UInt32(member.data.count))
            out += le(UInt16(name.count)) + le(UInt16(localExtra.count)) + name + localExtra + member.data
            if descriptor { out += le(UInt32(0x0807_4b50)) + le(crc) + le(UInt32(member.data.count)) + le(UInt32(member.data.count)) }

            var extra: [UInt8] = []
            let size32 = member.zip64Extra ? UInt32.max : UInt32(member.data.count)
            let offset32 = member.zip64Extra ? UInt32.max : UInt32(offset)
            if member.zip64Extra {
                extra = le(UInt16(1)) + le(UInt16(24)) + le(UInt64(member.data.count)) + le(UInt64(member.data.count)) + le(UInt64(offset))
            }
            central += le(UInt32(0x0201_4b50)) + le(UInt16(45)) + le(UInt16(45)) + le(member.flags) + le(member.method)
            central += le(UInt32(0)) + le(crc) + le(size32) + le(size32) + le(UInt16(name.count)) + le(UInt16(extra.count))
            central += le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0)) + le(offset32) + name + extra
        }
        let directoryOffset = out.count
        out += central
        if zip64End {
            let recordOffset = out.count
            out += le(UInt32(0x0606_4b50)) + le(UInt64(44)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt32(0)) + le(UInt32(0))
            out += le(UInt64(members.count)) + le(UInt64(members.count)) + le(UInt64(central.count)) + le(UInt64(directoryOffset))
            out += le(UInt32(0x0706_4b50)) + le(UInt32(0)) + le(UInt64(recordOffset)) + le(UInt32(1))
        }
        out += le(UInt32(0x0605_4b50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(members.count)) + le(UInt16(members.count))
        out += le(UInt32(central.count)) + le(UInt32(directoryOffset)) + le(UInt16(0))
        return out
    }
}

/// CRC-32 (IEEE), bitwise: test data is small.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}
