/// bfloat16 (`BF16`: the top half of a `Float`) to and from `Float`, bit-exact.
///
/// Encoding rounds to nearest, ties to even (so values just below `Float.greatestFiniteMagnitude`
/// may round up to infinity); NaN stays NaN, made quiet. Decoding is exact, and a NaN comes
/// back quiet.
///
/// ```swift
/// let brain = BFloat16Codec.bits(from: 3.14159)     // 0x4049
/// let back = BFloat16Codec.float(fromBits: brain)   // 3.140625
/// ```
public enum BFloat16Codec {
    /// The bfloat16 bits nearest to `value` (ties to even); NaN gives a quiet NaN.
    public static func bits(from value: Float) -> UInt16 { encode(value.bitPattern) }

    /// The bfloat16 value `bits`, exactly, as a `Float` (a NaN comes back quiet).
    public static func float(fromBits bits: UInt16) -> Float { Float(bitPattern: decode(bits)) }

    /// `Float` bits to bfloat16 bits: add just under half a unit of the kept bits (plus one
    /// when the kept part is odd, for ties to even) and truncate.
    @inline(__always)
    static func encode(_ x: UInt32) -> UInt16 {
        let rounded = (x &+ 0x7FFF &+ ((x >> 16) & 1)) >> 16
        let nan = (x >> 16) | 0x0040
        return UInt16(truncatingIfNeeded: (x & 0x7FFF_FFFF) > 0x7F80_0000 ? nan : rounded)
    }

    /// Bfloat16 bits to `Float` bits, exactly (a NaN made quiet).
    @inline(__always)
    static func decode(_ b: UInt16) -> UInt32 {
        let bits = UInt32(b) << 16
        return (b & 0x7FFF) > 0x7F80 ? bits | 0x0040_0000 : bits
    }

    /// Whether encoding the `Float` bits `x` gave `b` = +-Inf from a finite value.
    @inline(__always)
    static func overflowed(_ x: UInt32, to b: UInt16) -> Bool {
        (x & 0x7FFF_FFFF) < 0x7F80_0000 && (b & 0x7FFF) == 0x7F80
    }
}
