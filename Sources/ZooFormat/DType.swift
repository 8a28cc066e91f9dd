/// The element type of a tensor, spelled as in the manifest (the safetensors spellings).
///
/// Sizes derive from ``bitWidth``: use ``byteCount(elementCount:)`` for every size computation,
/// never `bitWidth / 8`, since ``f4`` and the F6 types pack several elements into a byte.
///
/// Format 1.1 adds types zoo carries bit-exact without computing with them (``isCarriedOnly``):
/// ``c64``, ``f8E8M0``, ``f8E4M3FNUZ``, ``f8E5M2FNUZ`` and the packed ``f4``, ``f6E2M3``, ``f6E3M2``.
public enum DType: String, Sendable, CaseIterable, Hashable, Codable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case f8E4M3 = "F8_E4M3"
    case f8E5M2 = "F8_E5M2"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u64 = "U64"
    case u32 = "U32"
    case u16 = "U16"
    case u8 = "U8"
    case bool = "BOOL"
    /// GGML's 8-bit block quantisation: each block of 32 consecutive elements along the last
    /// dimension is an F16 scale `d` followed by 32 `int8` values `q`; element = d x q.
    case q8_0 = "Q8_0"
    /// Complex: two F32 (real, then imaginary) per element. Since format 1.1.
    case c64 = "C64"
    /// OCP MX E8M0 scale: 8 exponent bits, no sign or mantissa; 0xFF is NaN. Since format 1.1.
    case f8E8M0 = "F8_E8M0"
    /// float8 e4m3fnuz (bias 8; no infinities, no negative zero; 0x80 is NaN). Since format 1.1.
    case f8E4M3FNUZ = "F8_E4M3FNUZ"
    /// float8 e5m2fnuz (bias 16; no infinities, no negative zero; 0x80 is NaN). Since format 1.1.
    case f8E5M2FNUZ = "F8_E5M2FNUZ"
    /// OCP MX FP4 E2M1: 4 bits, two elements per byte, carried as the bytes the source packed. Since format 1.1.
    case f4 = "F4"
    /// OCP MX FP6 E2M3: 6 bits, four elements per 3 bytes, carried as packed bytes. Since format 1.1.
    case f6E2M3 = "F6_E2M3"
    /// OCP MX FP6 E3M2: 6 bits, four elements per 3 bytes, carried as packed bytes. Since format 1.1.
    case f6E3M2 = "F6_E3M2"

    /// Bits per element of a scalar type; for a block type, the bits of its quantised values
    /// (use ``byteCount(elementCount:)`` for sizes, never `bitWidth / 8`).
    public var bitWidth: Int {
        switch self {
        case .f64, .i64, .u64, .c64: 64
        case .f32, .i32, .u32: 32
        case .f16, .bf16, .i16, .u16: 16
        case .f8E4M3, .f8E5M2, .i8, .u8, .bool, .q8_0, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: 8
        case .f6E2M3, .f6E3M2: 6
        case .f4: 4
        }
    }

    /// Whether elements are narrower than a byte (``f4``, ``f6E2M3``, ``f6E3M2``): a tensor of
    /// such a type holds a whole number of bytes only when its element count times ``bitWidth``
    /// is a multiple of 8 (``fits(shape:)``), as in safetensors.
    public var isSubByte: Bool { bitWidth < 8 }

    /// Whether zoo only carries the type: it stores, verifies, archives and exports it to
    /// safetensors bit-exact, but never decodes, converts or computes with it.
    public var isCarriedOnly: Bool { minimumFormatVersion > FormatVersion(major: 1, minor: 0) }

    /// The first format version that defines the type: a manifest holding it must declare at
    /// least this version (spec §6, §10).
    public var minimumFormatVersion: FormatVersion {
        switch self {
        case .c64, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ, .f4, .f6E2M3, .f6E3M2: FormatVersion(major: 1, minor: 1)
        default: FormatVersion(major: 1, minor: 0)
        }
    }

    /// Elements per block: 1 for scalar types, 32 for ``q8_0``.
    public var blockSize: Int { self == .q8_0 ? 32 : 1 }

    /// Bytes per block: 34 for ``q8_0`` (a 2-byte scale and 32 bytes), else the scalar width
    /// (0 for a sub-byte type, which has no whole-byte element: size it with ``byteCount(elementCount:)``).
    public var blockByteCount: Int { self == .q8_0 ? 34 : bitWidth / 8 }

    /// Whether the type stores blocks of quantised values rather than one value per element.
    public var isQuantized: Bool { blockSize > 1 }

    /// The plain (non-block) types: one element per `bitWidth` bits.
    public static var scalarCases: [DType] { allCases.filter { !$0.isQuantized } }

    /// Whether the type is a real floating-point type zoo decodes (F64 to F8_E5M2); the 1.1
    /// carry-only floats (``isCarriedOnly``) are not, since nothing here computes with them.
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8E4M3, .f8E5M2: true
        default: false
        }
    }

    /// The number of bytes `elementCount` elements occupy, or `nil` when it passes 2^53 - 1
    /// (the largest integer a manifest holds exactly).
    /// For a block type the count must be a whole number of blocks; for a sub-byte type the
    /// elements' bits must fill whole bytes (`elementCount x bitWidth` a multiple of 8).
    public func byteCount(elementCount: Int) -> Int? {
        guard elementCount >= 0, elementCount % blockSize == 0 else { return nil }
        if isSubByte {
            let (bits, overflow) = elementCount.multipliedReportingOverflow(by: bitWidth)
            guard !overflow, bits % 8 == 0, bits / 8 <= Shape.maxElementCount else { return nil }
            return bits / 8
        }
        let (bytes, overflow) = (elementCount / blockSize).multipliedReportingOverflow(by: blockByteCount)
        return overflow || bytes > Shape.maxElementCount ? nil : bytes
    }

    /// Whether `shape` fits the type: block types quantise along the last dimension, which
    /// must then be a multiple of ``blockSize`` (a 0-dim scalar never fits a block type); a
    /// sub-byte type needs a whole number of bytes for the whole tensor, as safetensors
    /// requires (`MisalignedSlice`): e.g. 3 F4 elements (12 bits) never fit.
    /// A shape whose element count overflows fits; ``byteCount(elementCount:)`` refuses it.
    public func fits(shape: [Int]) -> Bool {
        if isSubByte {
            guard let count = Shape.elementCount(shape) else { return true }
            return count.multipliedReportingOverflow(by: bitWidth).overflow || count * bitWidth % 8 == 0
        }
        guard isQuantized else { return true }
        guard let last = shape.last else { return false }
        return last % blockSize == 0
    }
}

/// Shape arithmetic shared by every parser of outside bytes.
public enum Shape {
    /// The largest rank a reader accepts (PyTorch allows more, no real checkpoint needs it).
    public static let maxRank = 32

    /// The largest element count accepted: manifest integers are exact up to 2^53 - 1.
    public static let maxElementCount = (1 << 53) - 1

    /// The element count of `shape`, or `nil` when a dimension is negative or the product
    /// exceeds ``maxElementCount``. A zero dimension gives 0 whatever the others are.
    public static func elementCount(_ shape: [Int]) -> Int? {
        guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
        if shape.contains(0) { return 0 }
        var count = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= maxElementCount else { return nil }
            count = product
        }
        return count
    }
}
