import XCTest
import ZooFormat

/// F16 against Swift's own IEEE conversions, exhaustively where the space allows.
final class Float16CodecTests: XCTestCase {
    func testDecode_EveryBitPattern_ExactAndQuietNaN() {
        for bits in 0...UInt16.max {
            let ours = Float16Codec.float(fromBits: bits)
            let swift = Float(Float16(bitPattern: bits))
            if swift.isNaN {
                XCTAssertTrue(ours.isNaN, "\(bits)")
                XCTAssertNotEqual(ours.bitPattern & 0x0040_0000, 0, "quiet: \(bits)")
                XCTAssertEqual(ours.sign, swift.sign, "\(bits)")
            } else {
                XCTAssertEqual(ours.bitPattern, swift.bitPattern, "\(bits)")
            }
        }
    }

    func testEncode_EveryF16ValueAndEveryTie_RoundsToNearestEven() {
        for bits in UInt16(0)..<0x7C00 {
            for sign: UInt16 in [0, 0x8000] {
                let h = bits | sign
                let value = Float16Codec.float(fromBits: h)
                XCTAssertEqual(Float16Codec.bits(from: value), h, "exact \(h)")
                // The midpoint to the next value up (in magnitude) is exactly representable in F32.
                let next = Float16Codec.float(fromBits: h + 1)
                guard next.isFinite else { continue }
                let tie = Float((Double(value) + Double(next)) / 2)
                let even = (h & 1 == 0) ? h : h + 1
                XCTAssertEqual(Float16Codec.bits(from: tie), even, "tie above \(h)")
                let above = tie.magnitude.nextUp, below = tie.magnitude.nextDown
                XCTAssertEqual(Float16Codec.bits(from: sign == 0 ? above : -above), h + 1, "just above the tie \(h)")
                XCTAssertEqual(Float16Codec.bits(from: sign == 0 ? below : -below), h, "just below the tie \(h)")
            }
        }
    }

    func testEncode_RandomBitPatterns_MatchSwiftFloat16() {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<2_000_000 {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            let ours = Float16Codec.bits(from: x)
            let swift = Float16(x)
            if x.isNaN {
                XCTAssertTrue(Float16(bitPattern: ours).isNaN)
                XCTAssertNotEqual(ours & 0x0200, 0, "quiet")
            } else {
                XCTAssertEqual(ours, swift.bitPattern, "\(x)")
            }
        }
    }

    func testEncode_Specials() {
        XCTAssertEqual(Float16Codec.bits(from: .infinity), 0x7C00)
        XCTAssertEqual(Float16Codec.bits(from: -.infinity), 0xFC00)
        XCTAssertEqual(Float16Codec.bits(from: -0.0), 0x8000)
        XCTAssertEqual(Float16Codec.bits(from: 65504), 0x7BFF, "largest finite")
        XCTAssertEqual(Float16Codec.bits(from: 65519.99), 0x7BFF)
        XCTAssertEqual(Float16Codec.bits(from: 65520), 0x7C00, "the tie above the largest finite goes to Inf")
        XCTAssertEqual(Float16Codec.bits(from: 5.9604645e-8), 0x0001, "smallest subnormal")
        XCTAssertEqual(Float16Codec.bits(from: 2.9802322e-8), 0x0000, "half of it ties to even zero")
        let signaling = Float(bitPattern: 0xFF80_0001)
        XCTAssertEqual(Float16Codec.bits(from: signaling) & 0xFE00, 0xFE00, "NaN keeps its sign and becomes quiet")
    }
}
