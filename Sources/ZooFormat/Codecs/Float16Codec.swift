/// IEEE 754 binary16 (`F16`) to and from `Float`, bit-exact and branch-free.
///
/// Encoding rounds to nearest, ties to even; finite values of 65520 and above become
/// infinities; NaN stays NaN (made quiet, sign and top payload bits kept). Decoding is exact
/// (every binary16 value is a `Float`), and a NaN comes back quiet.
///
/// ```swift
/// let half = Float16Codec.bits(from: 1.0)        // 0x3C00
/// let back = Float16Codec.float(fromBits: half)  // 1.0
/// ```
public enum Float16Codec {
    /// The binary16 bits nearest to `value` (ties to even); overflow gives +-Inf, NaN a quiet NaN.
    public static func bits(from value: Float) -> UInt16 { encode(value.bitPattern) }

    /// The binary16 value `bits`, exactly, as a `Float` (a NaN comes back quiet).
    public static func float(fromBits bits: UInt16) -> Float { Float(bitPattern: decode(bits)) }

    /// `Float` bits to binary16 bits, in branch-free bit arithmetic so the buffer loops vectorise.
    @inline(__always)
    static func encode(_ x: UInt32) -> UInt16 {
        let sign = UInt16(truncatingIfNeeded: (x >> 16) & 0x8000)
        let a = x & 0x7FFF_FFFF
        // Normal results: rebias the exponent (-112 << 23) and round to nearest even at bit 13.
        let odd = (a >> 13) & 1
        let normal = (a &+ 0xC800_0FFF &+ odd) >> 13
        // Subnormal results: adding 0.5 lines the 10 result bits up at the bottom of the float,
        // and the FPU's own round-to-nearest-even does the rounding.
        let magic: UInt32 = 0x3F00_0000
        let subnormal = (Float(bitPattern: a) + Float(bitPattern: magic)).bitPattern &- magic
        var result = a < 0x3880_0000 ? subnormal : normal
        // 2^16 and above (Inf included) is Inf; NaN keeps its top payload bits and becomes quiet.
        let special = a > 0x7F80_0000 ? 0x7E00 | ((a >> 13) & 0x3FF) : 0x7C00
        result = a >= 0x4780_0000 ? special : result
        return sign | UInt16(truncatingIfNeeded: result)
    }

    /// Binary16 bits to `Float` bits, exactly.
    @inline(__always)
    static func decode(_ h: UInt16) -> UInt32 {
        let bits = UInt32(h)
        let shifted = (bits & 0x7FFF) << 13
        let exponent = shifted & 0x0F80_0000
        let normal = shifted &+ 0x3800_0000
        // Inf and NaN: all exponent bits set; NaN made quiet.
        let quiet: UInt32 = (bits & 0x03FF) != 0 ? 0x0040_0000 : 0
        let special = (shifted &+ 0x7000_0000) | quiet
        // Zero and subnormals: renormalise with one float subtraction (exact).
        let subnormal = (Float(bitPattern: shifted &+ 0x3880_0000) - Float(bitPattern: 0x3880_0000)).bitPattern
        let magnitude = exponent == 0x0F80_0000 ? special : (exponent == 0 ? subnormal : normal)
        return magnitude | ((bits & 0x8000) << 16)
    }

    /// Whether encoding the `Float` bits `x` gave `h` = +-Inf from a finite value.
    @inline(__always)
    static func overflowed(_ x: UInt32, to h: UInt16) -> Bool {
        (x & 0x7FFF_FFFF) < 0x7F80_0000 && (h & 0x7FFF) == 0x7C00
    }
}
