/// The element type of a tensor, spelled as in the manifest (the safetensors spellings).
///
/// Sizes derive from ``bitWidth`` so that a future sub-byte or block type fails loudly
/// instead of rounding: use ``byteCount(elementCount:)`` for every size computation.
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

    /// Bits per element of a scalar type; for a block type, the bits of its quantised values
    /// (use ``byteCount(elementCount:)`` for sizes, never `bitWidth / 8`).
    public var bitWidth: Int {
        switch self {
        case .f64, .i64, .u64: 64
        case .f32, .i32, .u32: 32
        case .f16, .bf16, .i16, .u16: 16
        case .f8E4M3, .f8E5M2, .i8, .u8, .bool, .q8_0: 8
        }
    }

    /// Elements per block: 1 for scalar types, 32 for ``q8_0``.
    public var blockSize: Int { self == .q8_0 ? 32 : 1 }

    /// Bytes per block: the scalar width, or 34 for ``q8_0`` (a 2-byte scale and 32 bytes).
    public var blockByteCount: Int { self == .q8_0 ? 34 : bitWidth / 8 }

    /// Whether the type stores blocks of quantised values rather than one value per element.
    public var isQuantized: Bool { blockSize > 1 }

    /// The plain (non-block) types, one element per `bitWidth / 8` bytes.
    public static var scalarCases: [DType] { allCases.filter { !$0.isQuantized } }

    /// Whether the type is a floating-point type.
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8E4M3, .f8E5M2: true
        default: false
        }
    }

    /// The number of bytes `elementCount` elements occupy, or `nil` when it passes 2^53 - 1
    /// (the largest integer a manifest holds exactly).
    /// For a block type the count must be a whole number of blocks.
    public func byteCount(elementCount: Int) -> Int? {
        guard elementCount >= 0, elementCount % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elementCount / blockSize).multipliedReportingOverflow(by: blockByteCount)
        return overflow || bytes > Shape.maxElementCount ? nil : bytes
    }

    /// Whether `shape` fits the type: block types quantise along the last dimension, which
    /// must then be a multiple of ``blockSize`` (a 0-dim scalar never fits a block type).
    public func fits(shape: [Int]) -> Bool {
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
