import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// Whole-checkpoint dtype conversion (the element codecs are tested in ZooFormatTests).
final class DTypeConverterTests: XCTestCase {
    func testConvertCheckpoint_ToF16_ConvertsFloatsKeepsTheRest() throws {
        let scratch = try makeTemporaryDirectory(self)
        let weights: [Float] = [1, -2.5, 1e5, 0.1, .nan, -.infinity]
        let brain: [UInt16] = [0x3F80, 0x4049, 0xC2F7]  // 1, 3.140625, -123.5
        let ids: [Int32] = [1, 2, 3]
        let q8 = [UInt8](repeating: 0, count: 34)
        try makeCheckpoint(at: scratch + "/src", name: "tiny", tensors: [
            ("w", .f32, [2, 3], weights.withUnsafeBytes(Array.init)),
            ("b", .bf16, [3], brain.withUnsafeBytes(Array.init)),
            ("ids", .i32, [3], ids.withUnsafeBytes(Array.init)),
            ("q", .q8_0, [32], q8),
        ], metadata: ["source.format": "test"], assets: [("config.json", Array("{}".utf8))],
           architecture: Architecture(family: .autoregressive, type: "gpt2", config: ["n_layer": 1]))
        let source = try Checkpoint(directory: scratch + "/src")
        let lineage = DTypeConverter.lineage(parent: source.digest, parentName: "tiny:latest", target: .f16)
        let result = try DTypeConverter(target: .f16).convert(source, to: scratch + "/dst", lineage: lineage)

        XCTAssertEqual(result.converted, ["w", "b", "q"])
        XCTAssertEqual(result.unchanged, ["ids"])
        XCTAssertEqual(result.overflows, [DTypeConverter.Overflow(tensor: "w", target: .f16, count: 1, maxMagnitude: 1e5)])
        XCTAssertEqual(result.overflows.first?.description, "tensor w: 1 value overflow F16 (max |x| 1.0e+05)")
        let converted = try Checkpoint(directory: scratch + "/dst")
        let manifest = converted.manifest
        XCTAssertEqual(manifest.tensorsInSourceOrder.map(\.dtype), [.f16, .f16, .i32, .f16])
        XCTAssertEqual(manifest.name, "tiny")
        XCTAssertEqual(manifest.architecture.config, ["n_layer": 1])
        XCTAssertEqual(manifest.metadata, ["source.format": "test"])
        XCTAssertEqual(try converted.asset(path: "assets/config.json"), Array("{}".utf8))
        XCTAssertEqual(manifest.lineage?.parent, source.digest)
        XCTAssertEqual(manifest.lineage?.recipe, ["kind": "convert", "dtype": "F16", "parentName": "tiny:latest"])
        let w = halves(try converted.tensor(named: "w"))
        XCTAssertEqual(Array(w[0..<4]), weights[0..<4].map { Float16Codec.bits(from: $0) })
        XCTAssertTrue(Float16(bitPattern: w[4]).isNaN)
        XCTAssertEqual(w[5], 0xFC00)
        XCTAssertEqual(halves(try converted.tensor(named: "b")), [0x3C00, 0x4248, 0xD7B8])
        XCTAssertEqual(try converted.tensor(named: "ids").scalars(as: Int32.self), ids)
        XCTAssertEqual(halves(try converted.tensor(named: "q")), [UInt16](repeating: 0, count: 32), "Q8_0 dequantised")
        XCTAssertTrue(try converted.verify(.deep).isClean)
    }

    func testConvertCheckpoint_LargeTensor_StreamsInPiecesExactly() throws {
        let scratch = try makeTemporaryDirectory(self)
        let count = DTypeConverter.chunkElements * 2 + 1000
        var generator = SplitMix64(seed: 11)
        let values = (0..<count).map { _ in Float(Int32(truncatingIfNeeded: generator.next()) % 100_000) / 7 }
        try makeCheckpoint(at: scratch + "/src", tensors: [("big", .f32, [count], values.withUnsafeBytes(Array.init))])
        let result = try DTypeConverter(target: .bf16).convert(try Checkpoint(directory: scratch + "/src"), to: scratch + "/dst", lineage: nil)
        XCTAssertEqual(result.overflows, [])
        let converted = halves(try Checkpoint(directory: scratch + "/dst").tensor(named: "big"))
        XCTAssertEqual(converted, values.map { BFloat16Codec.bits(from: $0) })
        XCTAssertNil(result.manifest.lineage)
    }

    func testConverter_UnsupportedTarget_Throws() {
        XCTAssertThrowsError(try DTypeConverter(target: .i8)) { error in
            XCTAssertEqual(error as? DTypeConversionError, DTypeConversionError(file: "", reason: .unsupportedTarget(.i8)))
            XCTAssertEqual("\(error)", "cannot convert to I8: the target must be one of F32, F16, BF16")
        }
    }

    func testOverflowDescription_Scientific() {
        XCTAssertEqual(DTypeConverter.Overflow(tensor: "x", target: .f16, count: 12, maxMagnitude: 123_456).description,
                       "tensor x: 12 values overflow F16 (max |x| 1.2e+05)")
        XCTAssertEqual(DTypeConverter.Overflow(tensor: "x", target: .bf16, count: 2, maxMagnitude: 3.4028e38).description,
                       "tensor x: 2 values overflow BF16 (max |x| 3.4e+38)")
    }

    // MARK: Helpers

    /// A 16-bit tensor's elements as bit patterns.
    private func halves(_ view: TensorView) -> [UInt16] {
        view.withUnsafeBytes { raw in (0..<(raw.count / 2)).map { raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self) } }
    }
}

