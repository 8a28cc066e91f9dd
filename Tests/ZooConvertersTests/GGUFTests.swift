import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// The GGUF reader on hand-made files: what it reads, and every rejection with its exact reason.
final class GGUFTests: XCTestCase {
    // MARK: Reading

    func testOpen_SmallFile_ReadsMetadataTensorsAndReversedShapes() throws {
        let file = try GGUFFile(bytes: tinyGGUF(), name: "tiny.gguf")
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.alignment, 32)
        XCTAssertEqual(file.metadata.map(\.key), ["general.architecture", "llama.block_count"])
        XCTAssertEqual(file.value(forKey: "general.architecture")?.stringValue, "llama")
        XCTAssertEqual(file.value(forKey: "llama.block_count"), .u32(2))
        XCTAssertEqual(file.tensors.map(\.name), ["w", "b"])
        let w = try XCTUnwrap(file.tensor(named: "w"))
        XCTAssertEqual(w.dimensions, [3, 2])
        XCTAssertEqual(w.shape, [2, 3], "zoo shape = GGUF ne reversed")
        XCTAssertEqual(w.dtype, .f32)
        XCTAssertEqual(Array(w.bytes), f32Bytes([1, 2, 3, 4, 5, 6]))
        let b = try XCTUnwrap(file.tensor(named: "b"))
        XCTAssertEqual(b.offset, 32, "24 bytes of w, padded to 32")
        XCTAssertEqual(b.dtype, .f16)
        XCTAssertEqual(file.dataStart % 32, 0)
    }

    func testModel_OnePartOfASplitModel_IsRefusedNamingThePart() throws {
        // What gguf-split writes into every part: split.no (from 0), split.count, split.tensors.count.
        func part(_ number: UInt16, of count: UInt16) -> [UInt8] {
            ggufFile(
                pairs: [ggufPair("general.architecture", .text("llama")), ggufPair("split.no", .u16(number)),
                        ggufPair("split.count", .u16(count)), ggufPair("split.tensors.count", .i32(4))],
                tensors: [ggufInfo("w", [3, 2], type: 0, offset: 0)], data: f32Bytes([1, 2, 3, 4, 5, 6]))
        }
        let second = try GGUFFile(bytes: part(1, of: 3), name: "m-00002-of-00003.gguf")
        let error = ggufError { _ = try GGUFImporter().model(of: second) }
        XCTAssertEqual(error, GGUFError(file: "m-00002-of-00003.gguf", reason: .splitPart(number: 2, count: 3)))
        XCTAssertEqual(error?.description, "m-00002-of-00003.gguf: part 2 of a model split in 3 (split.count = 3) holds only "
            + "some of its tensors: merge the parts first (llama-gguf-split --merge FIRST-PART OUT.gguf) and import the result")
        // The first part too: it has the metadata but not all the tensors.
        XCTAssertEqual(ggufError { _ = try GGUFImporter().model(of: try GGUFFile(bytes: part(0, of: 2), name: "a.gguf")) }?.reason,
                       .splitPart(number: 1, count: 2))
        // A "split" of one file is the whole model.
        let whole = try GGUFImporter().model(of: try GGUFFile(bytes: part(0, of: 1), name: "w.gguf"))
        XCTAssertEqual(whole.tensors.tensorDescriptors.map(\.name), ["w"])
    }

    func testModel_NoTensorsButData_IsRefusedVocabOnlyIsNot() throws {
        // tinyGGUF with its tensor count zeroed: the tensor infos and data become unread bytes.
        var bytes = tinyGGUF()
        bytes.replaceSubrange(8..<16, with: le(UInt64(0)))
        let file = try GGUFFile(bytes: bytes, name: "zeroed.gguf")
        XCTAssertEqual(ggufError { _ = try GGUFImporter().model(of: file) },
                       GGUFError(file: "zeroed.gguf", offset: file.dataStart, reason: .noTensors(dataBytes: bytes.count - file.dataStart)))
        let vocabOnly = try GGUFFile(bytes: ggufFile(pairs: [ggufPair("general.architecture", .text("llama"))], tensors: [], data: []),
                                     name: "vocab.gguf")
        XCTAssertEqual(try GGUFImporter().model(of: vocabOnly).tensors.tensorDescriptors.count, 0)
    }

    func testOpen_Version2_Reads() throws {
        var bytes = tinyGGUF()
        bytes[4] = 2
        XCTAssertEqual(try GGUFFile(bytes: bytes, name: "v2.gguf").version, 2)
    }

    func testOpen_Alignment64_UsesIt() throws {
        let bytes = ggufFile(
            pairs: [ggufPair("general.alignment", .u32(64))],
            tensors: [ggufInfo("a", [3], type: 0, offset: 0), ggufInfo("b", [2], type: 0, offset: 64)],
            data: f32Bytes([1, 2, 3]) + [UInt8](repeating: 0, count: 52) + f32Bytes([4, 5]),
            alignment: 64)
        let file = try GGUFFile(bytes: bytes, name: "a.gguf")
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.dataStart % 64, 0)
        XCTAssertEqual(Array(try XCTUnwrap(file.tensor(named: "b")).bytes), f32Bytes([4, 5]))
    }

    func testOpen_EmptyAndScalarTensors_Read() throws {
        let bytes = ggufFile(
            pairs: [], tensors: [ggufInfo("empty", [4, 0], type: 0, offset: 0), ggufInfo("scalar", [], type: 0, offset: 0)],
            data: f32Bytes([7]))
        let file = try GGUFFile(bytes: bytes, name: "e.gguf")
        XCTAssertEqual(file.tensors[0].shape, [0, 4])
        XCTAssertEqual(file.tensors[0].bytes.count, 0)
        XCTAssertEqual(file.tensors[1].shape, [])
        XCTAssertEqual(Array(file.tensors[1].bytes), f32Bytes([7]))
    }

    func testOpen_EveryTruncation_ThrowsNeverCrashes() throws {
        let bytes = tinyGGUF()
        for n in 0..<bytes.count {
            XCTAssertThrowsError(try GGUFFile(bytes: Array(bytes.prefix(n)), name: "t.gguf"), "prefix \(n)") { error in
                XCTAssertTrue(error is GGUFError, "prefix \(n): \(error)")
            }
        }
    }

    func testOpen_EveryTruncationOfRichMetadata_ThrowsNeverCrashes() throws {
        let bytes = ggufFile(pairs: [
            ggufPair("s", .text("hello")), ggufPair("a", .array(.string, [.text("x"), .text("yz")])),
            ggufPair("n", .array(.array, [.array(.i32, [.i32(1)]), .array(.u8, [])])), ggufPair("f", .f64(1.5)), ggufPair("b", .bool(true)),
        ], tensors: [ggufInfo("q", [32, 1], type: 8, offset: 0)], data: [UInt8](repeating: 0, count: 34))
        XCTAssertNoThrow(try GGUFFile(bytes: bytes, name: "m.gguf"))
        for n in 0..<bytes.count {
            XCTAssertThrowsError(try GGUFFile(bytes: Array(bytes.prefix(n)), name: "m.gguf"), "prefix \(n)")
        }
    }

    // MARK: Header rejections

    func testOpen_NotGGUF_Throws() {
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: Array("GGML\u{3}\0\0\0".utf8), name: "x") },
                       GGUFError(file: "x", offset: 0, reason: .notGGUF))
    }

    func testOpen_Version1_RefusedWithHint() {
        var bytes = tinyGGUF()
        bytes[4] = 1
        let error = ggufError { _ = try GGUFFile(bytes: bytes, name: "v1.gguf") }
        XCTAssertEqual(error, GGUFError(file: "v1.gguf", offset: 4, reason: .unsupportedVersion(1)))
        XCTAssertEqual(error?.description,
                       "v1.gguf: byte 4: GGUF version 1 is not supported (zoo reads versions 2 and 3; re-convert the model with a current llama.cpp)")
    }

    func testOpen_Version4_Refused() {
        var bytes = tinyGGUF()
        bytes[4] = 4
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "v") }?.reason, .unsupportedVersion(4))
    }

    func testOpen_BigEndian_Refused() {
        var bytes = tinyGGUF()
        bytes.replaceSubrange(4..<8, with: [0, 0, 0, 3])
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "be") }, GGUFError(file: "be", offset: 4, reason: .bigEndian))
    }

    func testOpen_AbsurdTensorCount_RefusedBeforeAllocating() {
        var bytes = tinyGGUF()
        bytes.replaceSubrange(8..<16, with: leBytes(UInt64.max))
        let error = ggufError { _ = try GGUFFile(bytes: bytes, name: "t") }
        XCTAssertEqual(error, GGUFError(file: "t", offset: 8, reason: .tooManyTensors(declared: .max, fileSize: bytes.count)))
        XCTAssertEqual(error?.reason.description,
                       "header declares 18446744073709551615 tensors; a \(bytes.count)-byte file has room for at most \((bytes.count - 24) / 25)")
    }

    func testOpen_AbsurdKeyValueCount_RefusedBeforeAllocating() {
        var bytes = tinyGGUF()
        bytes.replaceSubrange(16..<24, with: leBytes(UInt64(1) << 60))
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "t") },
                       GGUFError(file: "t", offset: 16, reason: .tooManyKeyValues(declared: 1 << 60, fileSize: bytes.count)))
    }

    func testOpen_KeyValueCountPastData_ThrowsTruncated() {
        var bytes = tinyGGUF()
        bytes.replaceSubrange(16..<24, with: leBytes(UInt64(3)))  // 3 pairs declared, 2 present
        XCTAssertThrowsError(try GGUFFile(bytes: bytes, name: "t")) { error in
            guard case .truncated? = (error as? GGUFError)?.reason else {
                // The third "key" is read from the tensor infos: any typed error will do, never a crash.
                XCTAssertTrue(error is GGUFError, "\(error)")
                return
            }
        }
    }

    // MARK: Metadata rejections

    func testOpen_StringLengthPastEnd_Throws() {
        var pairBytes = ggufString("general.name") + leBytes(UInt32(8))
        pairBytes += leBytes(UInt64(1) << 40) + Array("abc".utf8)
        let bytes = rawGGUF(tensorCount: 0, pairCount: 1, body: pairBytes)
        let at = 24 + 8 + "general.name".utf8.count + 4
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "s") },
                       GGUFError(file: "s", offset: at, reason: .stringPastEnd(key: "general.name", length: 1 << 40, remaining: 3)))
    }

    func testOpen_KeyLengthPastEnd_ThrowsTruncated() {
        let bytes = rawGGUF(tensorCount: 0, pairCount: 1, body: leBytes(UInt64.max) + Array("abcdefghijklmnop".utf8))
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "k") }?.reason,
                       .truncated(what: "key 0", needed: Int.max, available: 16))
    }

    func testOpen_ArrayCountPastEnd_Throws() {
        let body = ggufString("a") + leBytes(UInt32(9)) + leBytes(UInt32(4)) + leBytes(UInt64(1_000_000)) + [UInt8](repeating: 0, count: 16)
        let bytes = rawGGUF(tensorCount: 0, pairCount: 1, body: body)
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "a") }?.reason,
                       .arrayTooLong(key: "a", count: 1_000_000, remaining: 16))
    }

    func testOpen_UnknownValueType_ThrowsNamingKey() {
        let body = ggufString("x.y") + leBytes(UInt32(13)) + [UInt8](repeating: 0, count: 16)
        let bytes = rawGGUF(tensorCount: 0, pairCount: 1, body: body)
        let error = ggufError { _ = try GGUFFile(bytes: bytes, name: "u") }
        XCTAssertEqual(error, GGUFError(file: "u", offset: 24 + 8 + 3, reason: .unknownValueType(key: "x.y", type: 13)))
        XCTAssertEqual(error?.reason.description, "key 'x.y' has unknown value type 13 (GGUF defines 0 to 12)")
    }

    func testOpen_UnknownArrayElementType_Throws() {
        let body = ggufString("a") + leBytes(UInt32(9)) + leBytes(UInt32(99)) + leBytes(UInt64(0)) + [UInt8](repeating: 0, count: 16)
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: rawGGUF(tensorCount: 0, pairCount: 1, body: body), name: "u") }?.reason,
                       .unknownValueType(key: "a", type: 99))
    }

    func testOpen_BoolOtherThanZeroOrOne_Throws() {
        let body = ggufString("flag") + leBytes(UInt32(7)) + [2] + [UInt8](repeating: 0, count: 16)
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: rawGGUF(tensorCount: 0, pairCount: 1, body: body), name: "b") }?.reason,
                       .invalidBool(key: "flag", byte: 2))
    }

    func testOpen_DuplicateKey_Throws() {
        let bytes = ggufFile(pairs: [ggufPair("k", .u8(1)), ggufPair("k", .u8(2))], tensors: [], data: [])
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "d") }?.reason, .duplicateKey("k"))
    }

    func testOpen_EmptyAndNonUTF8Keys_Throw() {
        let empty = rawGGUF(tensorCount: 0, pairCount: 1, body: leBytes(UInt64(0)) + leBytes(UInt32(0)) + [1] + [UInt8](repeating: 0, count: 16))
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: empty, name: "e") }?.reason, .invalidKey(index: 0, why: "empty key"))
        let invalid = rawGGUF(tensorCount: 0, pairCount: 1, body: leBytes(UInt64(2)) + [0xC3, 0x28] + leBytes(UInt32(0)) + [1] + [UInt8](repeating: 0, count: 16))
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: invalid, name: "e") }?.reason, .invalidKey(index: 0, why: "key is not UTF-8"))
    }

    func testOpen_ArraysNestedTooDeep_Throws() {
        var value = GGUFValue.array(.u8, [])
        for _ in 0..<GGUF.maxArrayNesting { value = .array(.array, [value]) }
        let bytes = ggufFile(pairs: [ggufPair("deep", value)], tensors: [], data: [])
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "n") }?.reason, .arrayNestingTooDeep(key: "deep"))
    }

    func testOpen_AlignmentNotU32_Throws() {
        let bytes = ggufFile(pairs: [ggufPair("general.alignment", .u64(32))], tensors: [], data: [])
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "a") }?.reason, .alignmentType("u64"))
    }

    func testOpen_AlignmentNotPowerOfTwo_Throws() {
        for bad: UInt32 in [0, 48] {
            let bytes = ggufFile(pairs: [ggufPair("general.alignment", .u32(bad))], tensors: [], data: [])
            XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "a") }?.reason, .invalidAlignment(bad))
        }
    }

    // MARK: Tensor rejections

    func testOpen_MisalignedOffset_Throws() {
        let bytes = ggufFile(pairs: [], tensors: [ggufInfo("a", [2], type: 0, offset: 0), ggufInfo("b", [2], type: 0, offset: 8)],
                             data: [UInt8](repeating: 0, count: 64))
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "m") }?.reason,
                       .misalignedOffset(tensor: "b", offset: 8, alignment: 32))
    }

    func testOpen_OverlappingTensors_Throws() {
        let bytes = ggufFile(pairs: [], tensors: [ggufInfo("a", [16], type: 0, offset: 0), ggufInfo("b", [4], type: 0, offset: 32)],
                             data: [UInt8](repeating: 0, count: 64))
        let error = ggufError { _ = try GGUFFile(bytes: bytes, name: "o") }
        XCTAssertEqual(error?.reason, .overlap(tensor: "b", previous: "a"))
        XCTAssertEqual(error?.reason.description, "tensor 'b' overlaps tensor 'a'")
    }

    func testOpen_TensorPastEnd_Throws() {
        let bytes = ggufFile(pairs: [], tensors: [ggufInfo("a", [16], type: 0, offset: 0)], data: [UInt8](repeating: 0, count: 60))
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "p") }?.reason, .tensorPastEnd(tensor: "a", end: 64, dataSize: 60))
    }

    func testOpen_HugeOffset_ThrowsPastEnd() {
        let bytes = ggufFile(pairs: [], tensors: [ggufInfo("a", [1], type: 0, offset: UInt64.max - 31)], data: [0, 0, 0, 0])
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "p") }?.reason,
                       .tensorPastEnd(tensor: "a", end: UInt64.max - 27, dataSize: 4))
    }

    func testOpen_FiveDimensions_Throws() {
        let bytes = ggufFile(pairs: [], tensors: [ggufInfo("t", [1, 1, 1, 1, 1], type: 0, offset: 0)], data: [0, 0, 0, 0])
        let error = ggufError { _ = try GGUFFile(bytes: bytes, name: "d") }
        XCTAssertEqual(error?.reason, .tooManyDimensions(tensor: "t", count: 5))
        XCTAssertEqual(error?.reason.description, "tensor 't' has 5 dimensions (GGUF allows at most 4)")
    }

    func testOpen_Q4K_RefusedNamingTypeAndTensor() {
        let bytes = ggufFile(pairs: [], tensors: [ggufInfo("blk.0.attn_q.weight", [256], type: 12, offset: 0)],
                             data: [UInt8](repeating: 0, count: 144))
        let error = ggufError { _ = try GGUFFile(bytes: bytes, name: "q.gguf") }
        XCTAssertEqual(error?.reason, .unsupportedTensorType(tensor: "blk.0.attn_q.weight", type: GGMLType(rawValue: 12)))
        XCTAssertEqual(error?.reason.description,
                       "tensor 'blk.0.attn_q.weight' has GGML type Q4_K (12), zoo supports F32, F16, BF16, Q8_0, F64, I8, I16, I32, I64")
    }

    func testOpen_UnknownTypeNumber_NamedByNumber() {
        let bytes = ggufFile(pairs: [], tensors: [ggufInfo("t", [4], type: 200, offset: 0)], data: [UInt8](repeating: 0, count: 16))
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "q") }?.reason.description,
                       "tensor 't' has GGML type type 200 (200), zoo supports F32, F16, BF16, Q8_0, F64, I8, I16, I32, I64")
    }

    func testOpen_Q8_0RowNotWholeBlocks_Throws() {
        let bytes = ggufFile(pairs: [], tensors: [ggufInfo("q", [30, 2], type: 8, offset: 0)], data: [UInt8](repeating: 0, count: 68))
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "q") }?.reason,
                       .blockMisfit(tensor: "q", type: .q8_0, rowLength: 30))
    }

    func testOpen_Q8_0_KeptAsQ8_0() throws {
        let bytes = ggufFile(pairs: [], tensors: [ggufInfo("q", [64, 3], type: 8, offset: 0)], data: [UInt8](repeating: 1, count: 204))
        let tensor = try XCTUnwrap(try GGUFFile(bytes: bytes, name: "q").tensor(named: "q"))
        XCTAssertEqual(tensor.dtype, .q8_0)
        XCTAssertEqual(tensor.shape, [3, 64])
        XCTAssertEqual(tensor.bytes.count, 3 * 2 * 34)
    }

    func testOpen_DimensionsOverflow_Throws() {
        let bytes = ggufFile(pairs: [], tensors: [ggufInfo("big", [1 << 40, 1 << 40], type: 0, offset: 0)], data: [])
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: bytes, name: "o") }?.reason, .sizeOverflow(tensor: "big"))
        let huge = ggufFile(pairs: [], tensors: [ggufInfo("big", [UInt64.max], type: 0, offset: 0)], data: [])
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: huge, name: "o") }?.reason, .sizeOverflow(tensor: "big"))
    }

    func testOpen_DuplicateAndEmptyTensorNames_Throw() {
        let duplicate = ggufFile(pairs: [], tensors: [ggufInfo("a", [1], type: 0, offset: 0), ggufInfo("a", [1], type: 0, offset: 32)],
                                 data: [UInt8](repeating: 0, count: 36))
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: duplicate, name: "d") }?.reason, .duplicateTensor("a"))
        let empty = ggufFile(pairs: [], tensors: [ggufInfo("", [1], type: 0, offset: 0)], data: [0, 0, 0, 0])
        XCTAssertEqual(ggufError { _ = try GGUFFile(bytes: empty, name: "d") }?.reason, .invalidTensorName(index: 0, why: "empty name"))
    }

    // MARK: Typed JSON

    func testTypedJSON_EveryKindOfValue_RoundTripsThroughCanonicalJSON() throws {
        let values: [GGUFValue] = [
            .u8(255), .i8(-128), .u16(65535), .i16(-32768), .u32(.max), .i32(.min), .u64(.max), .u64(9_007_199_254_740_991),
            .i64(.min), .i64(-9_007_199_254_740_991), .f32(0.1), .f32(.nan), .f32(Float(bitPattern: 0x7FC0_0001)),
            .f32(-.infinity), .f32(-0.0), .f32(1e20), .f32(3), .f64(.pi), .f64(Double(bitPattern: 0xFFF8_0000_0000_0001)),
            .f64(1e300), .f64(-0.0), .f64(2e20), .bool(true), .text("é\u{0}\n\"x\""), .string([0xFF, 0xFE, 0x41]),
            .array(.u32, []), .array(.string, [.text("a"), .string([0x80])]), .array(.array, [.array(.f32, [.f32(.infinity)])]),
        ]
        for (i, value) in values.enumerated() {
            let pair = GGUFKeyValue(key: "k\(i)", value: value)
            let canonical = pair.typedJSON.canonicalBytes
            let parsed = try JSONValue(parsing: canonical)
            XCTAssertEqual(try GGUFKeyValue(typedJSON: parsed), pair, "\(value) as \(String(decoding: canonical, as: UTF8.self))")
        }
        XCTAssertEqual(GGUFKeyValue(key: "n", value: .f32(.nan)).typedJSON["value"], "nan")
        XCTAssertEqual(GGUFKeyValue(key: "n", value: .u64(.max)).typedJSON["value"], "18446744073709551615")
        XCTAssertEqual(GGUFKeyValue(key: "n", value: .string([0xFF])).typedJSON["value"], ["hex": "ff"])
        XCTAssertEqual(GGUFKeyValue(key: "n", value: .array(.i32, [.i32(1)])).typedJSON,
                       ["key": "n", "type": "array", "element_type": "i32", "value": [1]])
    }

    func testTypedJSON_WrongValues_Refused() {
        let bad: [JSONValue] = [
            ["key": "a", "type": "u8", "value": 256],
            ["key": "a", "type": "i64", "value": "12x"],
            ["key": "a", "type": "f32", "value": 1e300],
            ["key": "a", "type": "q8", "value": 1],
            ["key": "a", "type": "array", "value": [1]],
            ["key": "a", "type": "string", "value": ["hex": "abc"]],
            ["type": "u8", "value": 1],
        ]
        for json in bad {
            XCTAssertThrowsError(try GGUFKeyValue(typedJSON: json), "\(json)")
        }
    }

    func testPlainJSON_F32_ShortestDecimal() {
        XCTAssertEqual(GGUFValue.f32(1e-5).plainJSON, .number(1e-5))
        XCTAssertEqual(GGUFValue.array(.u32, [.u32(1), .u32(2)]).plainJSON, [1, 2])
        XCTAssertEqual(GGUFValue.u64(.max).plainJSON, "18446744073709551615")
    }
}

// MARK: - Hand-made GGUF files (shared by the GGUF test files)

func leBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

func f32Bytes(_ values: [Float]) -> [UInt8] { values.flatMap { leBytes($0.bitPattern) } }

/// A GGUF string: u64 length + bytes.
func ggufString(_ key: String) -> [UInt8] { leBytes(UInt64(key.utf8.count)) + Array(key.utf8) }

func ggufPair(_ key: String, _ value: GGUFValue) -> [UInt8] {
    var out: [UInt8] = []
    GGUFValue.encodeKey(key, into: &out)
    out += leBytes(value.type.rawValue)
    value.encode(into: &out)
    return out
}

func ggufInfo(_ name: String, _ dims: [UInt64], type: UInt32, offset: UInt64) -> [UInt8] {
    ggufString(name) + leBytes(UInt32(dims.count)) + dims.flatMap(leBytes) + leBytes(type) + leBytes(offset)
}

/// Header + `body` with the given counts, as is (for malformed files).
func rawGGUF(version: UInt32 = 3, tensorCount: UInt64, pairCount: UInt64, body: [UInt8]) -> [UInt8] {
    Array("GGUF".utf8) + leBytes(version) + leBytes(tensorCount) + leBytes(pairCount) + body
}

/// A complete file: header, pairs, tensor infos, padding to `alignment`, then `data`.
func ggufFile(pairs: [[UInt8]], tensors: [[UInt8]], data: [UInt8], alignment: Int = 32) -> [UInt8] {
    var bytes = rawGGUF(tensorCount: UInt64(tensors.count), pairCount: UInt64(pairs.count), body: pairs.flatMap { $0 } + tensors.flatMap { $0 })
    bytes += [UInt8](repeating: 0, count: (alignment - bytes.count % alignment) % alignment)
    return bytes + data
}

/// Two pairs and two tensors: `w` F32 [2, 3] at 0, `b` F16 [2] at 32, which ends the file (so
/// every shorter prefix is invalid).
func tinyGGUF() -> [UInt8] {
    let half: [UInt8] = leBytes(Float16Codec.bits(from: 1)) + leBytes(Float16Codec.bits(from: -2))
    return ggufFile(
        pairs: [ggufPair("general.architecture", .text("llama")), ggufPair("llama.block_count", .u32(2))],
        tensors: [ggufInfo("w", [3, 2], type: 0, offset: 0), ggufInfo("b", [2], type: 1, offset: 32)],
        data: f32Bytes([1, 2, 3, 4, 5, 6]) + [UInt8](repeating: 0, count: 8) + half)
}

/// Runs `body` and returns the `GGUFError` it throws (failing the test otherwise).
func ggufError(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) -> GGUFError? {
    do {
        try body()
        XCTFail("expected a GGUFError, nothing was thrown", file: file, line: line)
    } catch let error as GGUFError {
        return error
    } catch {
        XCTFail("expected a GGUFError, got \(error)", file: file, line: line)
    }
    return nil
}
