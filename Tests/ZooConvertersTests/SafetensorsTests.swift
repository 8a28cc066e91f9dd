import XCTest
@testable import ZooConverters
import ZooFormat

/// The reader: every rule of the format, each rejection with its exact reason and offset.
final class SafetensorsTests: XCTestCase {
    /// Two tensors, F32 [2] then U8 [3], 11 data bytes.
    static let tinyHeader =
        #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}"#
    static let tinyData: [UInt8] = [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 7, 8, 9]
    let tiny = safetensorsBytes(header: SafetensorsTests.tinyHeader, data: SafetensorsTests.tinyData)
    let fileName = "m.safetensors"

    /// Absolute file offset of the first occurrence of `needle` in `header`.
    func offset(of needle: String, in header: String) -> Int {
        let h = Array(header.utf8), n = Array(needle.utf8)
        for i in 0...(h.count - n.count) where Array(h[i..<(i + n.count)]) == n { return 8 + i }
        XCTFail("\(needle) not in header")
        return -1
    }

    func assertRejects(
        _ header: String, data: [UInt8] = [], reason: SafetensorsError.Reason, offset: Int,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let bytes = safetensorsBytes(header: header, data: data)
        let error = safetensorsError(file: file, line: line) { _ = try SafetensorsFile(bytes: bytes, name: self.fileName) }
        XCTAssertEqual(error, SafetensorsError(file: fileName, offset: offset, reason: reason), file: file, line: line)
    }

    // MARK: Valid files

    func testRead_ValidFile_GivesTensorsInOffsetOrderWithBytes() throws {
        let file = try SafetensorsFile(bytes: tiny, name: name)
        XCTAssertEqual(file.tensors.map(\.name), ["a", "b"])
        XCTAssertEqual(file.tensors.map(\.dtype), [.f32, .u8])
        XCTAssertEqual(file.tensors.map(\.shape), [[2], [3]])
        XCTAssertEqual(file.tensors.map(\.dataOffsets), [0..<8, 8..<11])
        XCTAssertEqual(Array(file.tensors[0].bytes), Array(Self.tinyData[0..<8]))
        XCTAssertEqual(Array(file.tensors[1].bytes), [7, 8, 9])
        XCTAssertNil(file.metadata)
        XCTAssertEqual(file.headerByteCount, Self.tinyHeader.utf8.count)
        XCTAssertEqual(file.dataStart, 8 + Self.tinyHeader.utf8.count)
        XCTAssertEqual(file.dataByteCount, 11)
        XCTAssertEqual(file.tensor(named: "b")?.dataOffsets, 8..<11)
        XCTAssertNil(file.tensor(named: "c"))
    }

    func testRead_HeaderOrderDiffersFromOffsets_SortsByOffset() throws {
        let header = #"{"z":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"__metadata__":{"format":"pt","k":""},"#
            + #""a":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}   "#
        let file = try SafetensorsFile(bytes: safetensorsBytes(header: header, data: [1, 2, 3]), name: name)
        XCTAssertEqual(file.tensors.map(\.name), ["z", "a"])
        XCTAssertEqual(file.metadata, ["format": "pt", "k": ""])
    }

    func testRead_EmptyTensorsAtOneOffset_OrderedLikeTheOfficialWriter() throws {
        // The writer orders by descending dtype rank (U64 > I64 > F32 > BOOL), then by name.
        let header = #"{"f":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"#
            + #""b":{"dtype":"BOOL","shape":[0],"data_offsets":[0,0]},"#
            + #""i":{"dtype":"I64","shape":[0,3],"data_offsets":[0,0]},"#
            + #""u2":{"dtype":"U64","shape":[0],"data_offsets":[0,0]},"#
            + #""u1":{"dtype":"U64","shape":[0],"data_offsets":[0,0]},"#
            + #""x":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}"#
        let file = try SafetensorsFile(bytes: safetensorsBytes(header: header, data: [5]), name: name)
        XCTAssertEqual(file.tensors.map(\.name), ["u1", "u2", "i", "f", "b", "x"])
        XCTAssertEqual(file.tensors.last?.shape, [])
        XCTAssertEqual(file.tensors.last?.elementCount, 1)
    }

    func testRead_NoTensors_IsValidAndEmpty() throws {
        let file = try SafetensorsFile(bytes: safetensorsBytes(header: "{}      "), name: name)
        XCTAssertTrue(file.tensors.isEmpty)
        XCTAssertNil(file.metadata)
    }

    func testRead_AllZooDTypes_MapToDType() throws {
        var header = "{"
        var offset = 0
        for (i, dtype) in DType.scalarCases.enumerated() {
            let width = try XCTUnwrap(dtype.byteCount(elementCount: 4), "4 elements fill whole bytes in every dtype")
            if i > 0 { header += "," }
            header += #""t\#(i)":{"dtype":"\#(dtype.rawValue)","shape":[4],"data_offsets":[\#(offset),\#(offset + width)]}"#
            offset += width
        }
        header += "}"
        let file = try SafetensorsFile(
            bytes: safetensorsBytes(header: header, data: [UInt8](repeating: 1, count: offset)), name: name)
        XCTAssertEqual(file.tensors.map(\.dtype), DType.scalarCases)
    }

    // MARK: Length field

    func testRead_EveryTruncation_ThrowsNeverCrashes() {
        let dataStart = 8 + Self.tinyHeader.utf8.count
        for n in 0..<tiny.count {
            let prefix = Array(tiny.prefix(n))
            guard let error = safetensorsError({ _ = try SafetensorsFile(bytes: prefix, name: self.fileName) }) else { continue }
            switch n {
            case 0..<8:
                XCTAssertEqual(error, SafetensorsError(file: fileName, offset: 0, reason: .truncatedHeader(fileSize: n)), "prefix \(n)")
            case 8..<dataStart:
                XCTAssertEqual(error, SafetensorsError(file: fileName, offset: 0, reason: .headerPastEndOfFile(
                    declared: UInt64(Self.tinyHeader.utf8.count), fileSize: n)), "prefix \(n)")
            default:
                let data = n - dataStart
                let tensor = data < 8 ? "a" : "b", end = data < 8 ? 8 : 11
                XCTAssertEqual(error, SafetensorsError(file: fileName, offset: n, reason: .tensorPastEndOfFile(
                    tensor: tensor, end: end, dataSize: data)), "prefix \(n)")
            }
        }
    }

    func testRead_HeaderLengthPastEndOfFile_ThrowsAtByte0() {
        let bytes = littleEndian(1000) + Array("{}".utf8)
        XCTAssertEqual(safetensorsError { _ = try SafetensorsFile(bytes: bytes, name: self.fileName) },
                       SafetensorsError(file: fileName, offset: 0, reason: .headerPastEndOfFile(declared: 1000, fileSize: 10)))
    }

    func testRead_HeaderLengthNear2To64_ThrowsHeaderTooLargeWithoutAllocating() {
        for declared: UInt64 in [.max, .max - 7, 1 << 63, (1 << 63) - 1, UInt64(Safetensors.maxHeaderBytes) + 1] {
            let bytes = littleEndian(declared) + Array("{}".utf8)
            XCTAssertEqual(safetensorsError { _ = try SafetensorsFile(bytes: bytes, name: self.fileName) },
                           SafetensorsError(file: fileName, offset: 0, reason: .headerTooLarge(declared: declared)), "\(declared)")
        }
    }

    func testRead_HeaderLengthAtLimitButFileShort_ThrowsHeaderPastEndOfFile() {
        let declared = UInt64(Safetensors.maxHeaderBytes)
        let bytes = littleEndian(declared) + Array("{}".utf8)
        XCTAssertEqual(safetensorsError { _ = try SafetensorsFile(bytes: bytes, name: self.fileName) },
                       SafetensorsError(file: fileName, offset: 0, reason: .headerPastEndOfFile(declared: declared, fileSize: 10)))
    }

    // MARK: JSON

    func testRead_NonUTF8InHeader_ThrowsInvalidJSONAtTheString() throws {
        var bytes = safetensorsBytes(header: #"{"__metadata__":{"k":"vX"}}"#)
        let x = try XCTUnwrap(bytes.lastIndex(of: UInt8(ascii: "X")))
        bytes[x] = 0xff
        let error = safetensorsError { _ = try SafetensorsFile(bytes: bytes, name: self.fileName) }
        guard case let .invalidJSON(json)? = error?.reason else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(json.reason, .invalidUTF8)
        XCTAssertEqual(json.offset, x - 1)  // the string's first byte, counted from the start of the file
        XCTAssertEqual(error?.offset, x - 1)
    }

    func testRead_NonUTF8OutsideStrings_ThrowsInvalidJSON() {
        let bytes = littleEndian(3) + [UInt8(ascii: "{"), 0xc3, UInt8(ascii: "}")]
        let error = safetensorsError { _ = try SafetensorsFile(bytes: bytes, name: self.fileName) }
        guard case let .invalidJSON(json)? = error?.reason else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(json.reason, .unexpectedByte(0xc3))
        XCTAssertEqual(json.offset, 9)
        XCTAssertEqual(error?.offset, 9)
    }

    func testRead_DeeplyNestedJSON_ThrowsNestingTooDeep() {
        let bytes = safetensorsBytes(header: String(repeating: "[", count: 100_000))
        let error = safetensorsError { _ = try SafetensorsFile(bytes: bytes, name: self.fileName) }
        guard case let .invalidJSON(json)? = error?.reason else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(json.reason, .nestingTooDeep(limit: JSONValue.defaultMaxDepth))
        XCTAssertEqual(json.offset, 8 + JSONValue.defaultMaxDepth)  // the first '[' over the limit
        XCTAssertEqual(error?.offset, json.offset)
    }

    func testRead_DuplicateTensorName_ThrowsDuplicateKeyAtTheSecondKey() {
        let header = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#
        let bytes = safetensorsBytes(header: header, data: [1, 2])
        let error = safetensorsError { _ = try SafetensorsFile(bytes: bytes, name: self.fileName) }
        guard case let .invalidJSON(json)? = error?.reason else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(json.reason, .duplicateKey("a"))
        XCTAssertEqual(json.offset, offset(of: #","a""#, in: header) + 1)
    }

    func testRead_InvalidJSONSyntax_ThrowsInvalidJSONWithShiftedOffset() {
        let error = safetensorsError { _ = try SafetensorsFile(bytes: safetensorsBytes(header: #"{"a" 1}"#), name: self.fileName) }
        guard case let .invalidJSON(json)? = error?.reason else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(json.reason, .unexpectedByte(UInt8(ascii: "1")))
        XCTAssertEqual(json.offset, 8 + 5)
    }

    func testRead_PaddingOnlyHeader_ThrowsInvalidJSON() {
        let error = safetensorsError { _ = try SafetensorsFile(bytes: safetensorsBytes(header: "        "), name: self.fileName) }
        guard case let .invalidJSON(json)? = error?.reason else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(json.reason, .unexpectedEnd)
        XCTAssertEqual(json.offset, 16)
    }

    func testRead_HeaderNotAnObject_ThrowsHeaderNotObject() {
        assertRejects("[]", reason: .headerNotObject, offset: 8)
    }

    // MARK: Metadata

    func testRead_MetadataWithNumber_ThrowsMetadataNotStringMapNamingTheKey() {
        let header = #"{"__metadata__":{"format":"pt","n":1}}"#
        assertRejects(header, reason: .metadataNotStringMap(key: "n"), offset: 9)
    }

    func testRead_MetadataNotObject_ThrowsMetadataNotStringMap() {
        assertRejects(#"{"__metadata__":["pt"]}"#, reason: .metadataNotStringMap(key: nil), offset: 9)
        assertRejects(#"{"__metadata__":null}"#, reason: .metadataNotStringMap(key: nil), offset: 9)
        assertRejects(#"{"__metadata__":{"nested":{"a":"b"}}}"#, reason: .metadataNotStringMap(key: "nested"), offset: 9)
    }

    // MARK: Tensor entries

    func testRead_UnknownDType_ThrowsNamingTheTensorAtItsKey() {
        // Q8_0 is a zoo dtype but not a safetensors one; the rest are spellings no format defines.
        for code in ["Q8_0", "Q4_K", "F8", "float32", "f32", "f4"] {
            let header = #"{"ok":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"\#(code)","shape":[2],"data_offsets":[1,2]}}"#
            assertRejects(header, data: [0, 0], reason: .unknownDType(tensor: "w", dtype: code), offset: offset(of: #""w""#, in: header))
        }
    }

    func testRead_DTypeNotString_ThrowsInvalidDTypeValue() {
        let header = #"{"w":{"dtype":7,"shape":[1],"data_offsets":[0,1]}}"#
        assertRejects(header, data: [0], reason: .invalidDTypeValue(tensor: "w"), offset: 9)
    }

    func testRead_InvalidShapes_ThrowInvalidShape() {
        let rank33 = "[" + Array(repeating: "1", count: 33).joined(separator: ",") + "]"
        for shape in ["[-1]", "[1.5]", "[\"2\"]", "2", "null", "[18446744073709551616]", rank33] {
            let header = #"{"w":{"dtype":"U8","shape":\#(shape),"data_offsets":[0,1]}}"#
            assertRejects(header, data: [0], reason: .invalidShape(tensor: "w"), offset: 9)
        }
    }

    func testRead_InvalidDataOffsets_ThrowInvalidDataOffsets() {
        for offsets in ["[1,0]", "[0]", "[0,1,2]", "[-1,0]", "[0,1.0]", "{}", "[0,\"1\"]"] {
            let header = #"{"w":{"dtype":"U8","shape":[1],"data_offsets":\#(offsets)}}"#
            assertRejects(header, data: [0], reason: .invalidDataOffsets(tensor: "w"), offset: 9)
        }
    }

    func testRead_ShapeTimesWidthOverflows_ThrowsSizeOverflow() {
        // 2^62 * 4 elements overflows the count; 2^61 F64 elements overflow the byte size.
        for (dtype, shape) in [("U8", "[4611686018427387904,4]"), ("F64", "[2305843009213693952]")] {
            let header = #"{"w":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[0,8]}}"#
            assertRejects(header, data: [UInt8](repeating: 0, count: 8), reason: .sizeOverflow(tensor: "w"), offset: 9)
        }
    }

    func testRead_LengthMismatch_ThrowsWithExpectedAndActual() {
        let header = #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        assertRejects(header, data: [UInt8](repeating: 0, count: 8),
                      reason: .lengthMismatch(tensor: "w", expected: 12, actual: 8), offset: 9)
    }

    func testRead_MissingAndUnexpectedFields_Throw() {
        assertRejects(#"{"w":{"shape":[1],"data_offsets":[0,1]}}"#, data: [0],
                      reason: .missingField(tensor: "w", field: "dtype"), offset: 9)
        assertRejects(#"{"w":{"dtype":"U8","data_offsets":[0,1]}}"#, data: [0],
                      reason: .missingField(tensor: "w", field: "shape"), offset: 9)
        assertRejects(#"{"w":{"dtype":"U8","shape":[1]}}"#, data: [0],
                      reason: .missingField(tensor: "w", field: "data_offsets"), offset: 9)
        assertRejects(#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"zz":1,"extra":2}}"#, data: [0],
                      reason: .unexpectedField(tensor: "w", field: "extra"), offset: 9)
        assertRejects(#"{"w":[1]}"#, reason: .tensorNotObject(tensor: "w"), offset: 9)
    }

    func testRead_SeveralBadTensors_ReportsTheFirstByName() {
        let header = #"{"z":{"dtype":"Q4_K","shape":[1],"data_offsets":[0,1]},"m":{"dtype":"X","shape":[1],"data_offsets":[1,2]}}"#
        assertRejects(header, data: [0, 0], reason: .unknownDType(tensor: "m", dtype: "X"), offset: offset(of: #""m""#, in: header))
    }

    func testRead_EscapedTensorKey_ErrorPointsAtTheKey() {
        let header = #"{"ok":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"\u00e9\"x":{"dtype":"Q4_K","shape":[1],"data_offsets":[1,2]}}"#
        assertRejects(header, data: [0, 0], reason: .unknownDType(tensor: "é\"x", dtype: "Q4_K"),
                      offset: offset(of: #""\u00e9"#, in: header))
    }

    // MARK: Layout

    func testRead_OverlappingTensors_ThrowsOverlapNamingBoth() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[4,7]}}"#
        let n = header.utf8.count
        assertRejects(header, data: [UInt8](repeating: 0, count: 8), reason: .overlap(tensor: "b", previous: "a"), offset: 8 + n + 4)
    }

    func testRead_SameRangeTwice_ThrowsOverlap() {
        let header = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#
        assertRejects(header, data: [1, 2], reason: .overlap(tensor: "b", previous: "a"), offset: 8 + header.utf8.count)
    }

    func testRead_OffsetsPastEndOfFile_ThrowsTensorPastEndOfFile() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}"#
        let size = 8 + header.utf8.count + 10
        assertRejects(header, data: [UInt8](repeating: 0, count: 10),
                      reason: .tensorPastEndOfFile(tensor: "b", end: 11, dataSize: 10), offset: size)
        let huge = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[9223372036854775806,9223372036854775807]}}"#
        assertRejects(huge, data: [0], reason: .tensorPastEndOfFile(tensor: "a", end: Int.max, dataSize: 1),
                      offset: 8 + huge.utf8.count + 1)
    }

    func testRead_GapBeforeFirstTensor_ThrowsGap() {
        let header = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}"#
        assertRejects(header, data: [UInt8](repeating: 0, count: 6),
                      reason: .gap(tensor: "a", previous: nil, count: 4), offset: 8 + header.utf8.count)
    }

    func testRead_GapBetweenTensors_ThrowsGapNamingBoth() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[9,12]}}"#
        assertRejects(header, data: [UInt8](repeating: 0, count: 12),
                      reason: .gap(tensor: "b", previous: "a", count: 1), offset: 8 + header.utf8.count + 8)
    }

    func testRead_TrailingBytes_ThrowsWithCountAndOffset() {
        let bytes = tiny + Array("junk".utf8)
        XCTAssertEqual(safetensorsError { _ = try SafetensorsFile(bytes: bytes, name: self.fileName) },
                       SafetensorsError(file: fileName, offset: tiny.count, reason: .trailingBytes(count: 4)))
    }

    func testRead_DataWithoutTensors_ThrowsTrailingBytes() {
        assertRejects("{}", data: [1, 2, 3], reason: .trailingBytes(count: 3), offset: 10)
    }

    // MARK: Files

    func testOpen_MissingFile_ThrowsIOError() {
        let error = safetensorsError { _ = try SafetensorsFile(path: "/nonexistent/zoo/m.safetensors") }
        guard case let .io(io)? = error?.reason else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(io.errno, ENOENT)
    }

    func testOpen_MappedFile_ViewsPointIntoTheMapping() throws {
        let dir = try makeTemporaryDirectory(self)
        try writeBytes(tiny, to: dir + "/m.safetensors")
        let path = dir + "/m.safetensors"
        let views = try { () throws -> [SafetensorsTensor] in
            let file = try SafetensorsFile(path: path)
            XCTAssertEqual(file.path, path)
            XCTAssertEqual(file.fileSize, self.tiny.count)
            return file.tensors
        }()
        // The file object is gone; its views keep the mapping alive.
        XCTAssertEqual(Array(views[1].bytes), [7, 8, 9])
    }

    func testDescription_NamesFileOffsetAndTensor() {
        let error = SafetensorsError(file: "m.safetensors", offset: 9, reason: .unknownDType(tensor: "w", dtype: "Q4_K"))
        XCTAssertTrue(error.description.hasPrefix("m.safetensors: byte 9: tensor 'w': dtype \"Q4_K\" is not supported"),
                      error.description)
        XCTAssertEqual(SafetensorsError(file: "m", offset: 20, reason: .trailingBytes(count: 4)).description,
                       "m: byte 20: 4 bytes after the last tensor")
        XCTAssertEqual(SafetensorsError(file: "m", offset: 30, reason: .overlap(tensor: "b", previous: "a")).description,
                       "m: byte 30: tensor 'b' overlaps tensor 'a'")
    }

    // MARK: ByteReader

    func testByteReader_ReadsLittleEndianAndRefusesOverruns() throws {
        let bytes: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0x80, 0xfe, 0xff]
        try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            XCTAssertEqual(try reader.read(UInt64.self), 0x8000_0000_0000_0001)
            XCTAssertEqual(try reader.read(Int16.self), -2)
            XCTAssertEqual(reader.remaining, 0)
            XCTAssertThrowsError(try reader.read(UInt8.self)) { error in
                XCTAssertEqual(error as? ByteReader.OutOfBounds, ByteReader.OutOfBounds(offset: 10, needed: 1, available: 0))
            }
            var second = ByteReader(raw, offset: 8)
            XCTAssertThrowsError(try second.bytes(count: 3))
            XCTAssertThrowsError(try second.bytes(count: -1))
            XCTAssertEqual(Array(try second.bytes(count: 2)), [0xfe, 0xff])
            var third = ByteReader(raw)
            try third.skip(9)
            XCTAssertThrowsError(try third.read(UInt16.self)) { error in
                XCTAssertEqual(error as? ByteReader.OutOfBounds, ByteReader.OutOfBounds(offset: 9, needed: 2, available: 1))
            }
        }
    }
}
