import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// Q8_0 dequantisation for loaders on hand-made blocks (the official package's own values are
/// checked in GGUFInteropTests).
final class GGUFQuantizationTests: XCTestCase {
    func testDequantizeQ8_0_TwoBlocks_ScaleTimesQuants() throws {
        let scratch = try makeTemporaryDirectory(self)
        // Block 0: d = 0.5, q = -16...15; block 1: d = -2, q = 0, 1, ..., 31.
        var bytes = leBytes(DTypeConversion.float16Bits(from: 0.5)) + (-16..<16).map { UInt8(bitPattern: Int8($0)) }
        bytes += leBytes(DTypeConversion.float16Bits(from: -2)) + (0..<32).map { UInt8($0) }
        try makeCheckpoint(at: scratch + "/m", tensors: [("q", .q8_0, [2, 32], bytes), ("f", .f32, [1], f32Bytes([1]))])
        let checkpoint = try Checkpoint(directory: scratch + "/m")
        let values = try Quantization.dequantizeQ8_0(checkpoint.tensor(named: "q"))
        XCTAssertEqual(values, (-16..<16).map { Float($0) * 0.5 } + (0..<32).map { Float($0) * -2 })
        XCTAssertThrowsError(try Quantization.dequantizeQ8_0(checkpoint.tensor(named: "f"))) { error in
            XCTAssertEqual(error as? QuantizationError, QuantizationError(tensor: "f", reason: .notQ8_0(.f32)))
            XCTAssertEqual("\(error)", "tensor 'f' is F32, not Q8_0")
        }
    }

    func testDequantizeQ8_0_Blocks_IntoBuffer() {
        let block = leBytes(DTypeConversion.float16Bits(from: 0.25)) + [UInt8](repeating: UInt8(bitPattern: -128), count: 32)
        var output = [Float](repeating: 0, count: 32)
        block.withUnsafeBytes { raw in output.withUnsafeMutableBufferPointer { Quantization.dequantizeQ8_0(blocks: raw, into: $0) } }
        XCTAssertEqual(output, [Float](repeating: -32, count: 32))
    }
}
