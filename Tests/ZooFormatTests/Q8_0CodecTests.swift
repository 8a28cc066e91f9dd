import XCTest
import ZooFormat

/// Q8_0 dequantisation on hand-made blocks (the official gguf package's own values are checked
/// in ZooConvertersTests' GGUFInteropTests).
final class Q8_0CodecTests: XCTestCase {
    func testDecodeTensor_TwoBlocks_ScaleTimesQuants() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        // Block 0: d = 0.5, q = -16...15; block 1: d = -2, q = 0, 1, ..., 31.
        var bytes = littleEndian(Float16Codec.bits(from: 0.5)) + (-16..<16).map { UInt8(bitPattern: Int8($0)) }
        bytes += littleEndian(Float16Codec.bits(from: -2)) + (0..<32).map { UInt8($0) }
        try makeCheckpoint(at: scratch("m"), tensors: [
            TensorSpec("q", .q8_0, [2, 32], bytes: bytes), TensorSpec("f", .f32, [1], bytes: littleEndian(Float(1).bitPattern)),
        ])
        let checkpoint = try Checkpoint(directory: scratch("m"))
        let values = try Q8_0Codec.decode(checkpoint.tensor(named: "q"))
        XCTAssertEqual(values, (-16..<16).map { Float($0) * 0.5 } + (0..<32).map { Float($0) * -2 })
        XCTAssertThrowsError(try Q8_0Codec.decode(checkpoint.tensor(named: "f"))) { error in
            XCTAssertEqual(error as? QuantizationError, QuantizationError(tensor: "f", reason: .notQ8_0(.f32)))
            XCTAssertEqual("\(error)", "tensor 'f' is F32, not Q8_0")
        }
    }

    func testDecodeBlocks_IntoBuffer_MostNegativeQuant() {
        let block = littleEndian(Float16Codec.bits(from: 0.25)) + [UInt8](repeating: UInt8(bitPattern: -128), count: 32)
        var output = [Float](repeating: 0, count: 32)
        block.withUnsafeBytes { raw in output.withUnsafeMutableBufferPointer { Q8_0Codec.decode(blocks: raw, into: $0) } }
        XCTAssertEqual(output, [Float](repeating: -32, count: 32))
    }

    func testQuantizationError_LengthDescription() {
        XCTAssertEqual(QuantizationError(tensor: "w", reason: .length(expected: 68, actual: 60)).description,
                       "tensor 'w': 60 bytes, Q8_0 blocks for its shape need 68")
    }

    private func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian, Array.init)
    }
}
