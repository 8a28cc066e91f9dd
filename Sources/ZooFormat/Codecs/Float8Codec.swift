/// The two 8-bit float types decoded to `Float` bits, by table (256 entries each).
///
/// - `F8_E4M3` is the "fn" variant (as in PyTorch's `float8_e4m3fn` and safetensors): bias 7,
///   no infinities, `S.1111.111` is NaN, so the largest finite value is 448.
/// - `F8_E5M2` is the top byte of a binary16, infinities and NaN included.
///
/// Both widen exactly to every target of ``DTypeConversion``. zoo reads F8 but never writes it.
enum Float8Codec {
    /// `F8_E4M3` byte to `Float` bits.
    static let e4m3Table: [UInt32] = (0..<256).map { byte in
        let sign: Float = byte & 0x80 != 0 ? -1 : 1
        let exponent = (byte >> 3) & 0xF, mantissa = byte & 0x7
        if exponent == 0xF && mantissa == 0x7 { return 0x7FC0_0000 | (byte & 0x80 != 0 ? 0x8000_0000 : 0) }
        let value: Float = exponent == 0
            ? Float(mantissa) / 8 * Float(sign: .plus, exponent: -6, significand: 1)
            : (1 + Float(mantissa) / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
        return (sign * value).bitPattern
    }

    /// `F8_E5M2` byte to `Float` bits.
    static let e5m2Table: [UInt32] = (0..<256).map { byte in Float16Codec.decode(UInt16(byte) << 8) }

    /// The decoding table of `dtype` (`F8_E4M3` or `F8_E5M2`).
    static func table(for dtype: DType) -> [UInt32] {
        dtype == .f8E4M3 ? e4m3Table : e5m2Table
    }
}
