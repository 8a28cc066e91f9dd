import XCTest
import ZooFormat

/// BF16 against exact widening and a reference rounding computed in Double.
final class BFloat16CodecTests: XCTestCase {
    func testDecode_EveryBitPattern_ExactAndQuietNaN() {
        for bits in 0...UInt16.max {
            let ours = BFloat16Codec.float(fromBits: bits)
            let exact = Float(bitPattern: UInt32(bits) << 16)
            if exact.isNaN {
                XCTAssertTrue(ours.isNaN)
                XCTAssertNotEqual(ours.bitPattern & 0x0040_0000, 0)
            } else {
                XCTAssertEqual(ours.bitPattern, exact.bitPattern)
            }
        }
    }

    func testEncode_RandomAndTies_MatchReference() {
        var generator = SplitMix64(seed: 7)
        var values: [Float] = (0..<1_000_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: generator.next())) }
        for high in stride(from: UInt32(0), to: 0x7F80_0000, by: 0x0001_3579) {
            values.append(Float(bitPattern: high | 0x8000))  // exact ties
        }
        for x in values where !x.isNaN {
            XCTAssertEqual(BFloat16Codec.bits(from: x), referenceBF16(x), "\(x) \(x.bitPattern)")
        }
        XCTAssertEqual(BFloat16Codec.bits(from: .greatestFiniteMagnitude), 0x7F80, "rounds up to Inf")
        XCTAssertEqual(BFloat16Codec.bits(from: Float(bitPattern: 0x7F80_0001)), 0x7FC0, "quiet NaN")
    }

    /// BF16 nearest to `x` by comparing the two candidates in Double, ties to even.
    private func referenceBF16(_ x: Float) -> UInt16 {
        let down = x.bitPattern & 0xFFFF_0000
        let up = down &+ 0x0001_0000
        let a = Double(Float(bitPattern: down))
        // Past the largest finite value, the next candidate is Inf, which rounding treats as 2^128.
        let b = Float(bitPattern: up).isInfinite ? (x < 0 ? -0x1p128 : 0x1p128) : Double(Float(bitPattern: up))
        let da = abs(Double(x) - a), db = abs(Double(x) - b)
        if x.isInfinite { return UInt16(down >> 16) }
        if da < db || (da == db && (down >> 16) & 1 == 0) { return UInt16(down >> 16) }
        return UInt16(up >> 16)
    }
}
