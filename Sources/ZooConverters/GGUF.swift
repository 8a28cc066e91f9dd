import ZooFormat

/// The GGUF format (ggml, llama.cpp), version 3: a header (magic `GGUF`, version, tensor count,
/// key-value count), typed metadata key-value pairs, tensor infos (name, dimensions with the
/// fastest-varying first, GGML type, offset), padding to `general.alignment`, then the tensor
/// data, each tensor at an aligned offset. Everything is little-endian.
///
/// zoo reads versions 2 and 3 (identical layouts; v3 added big-endian files, which zoo refuses)
/// and writes version 3. See `spec/gguf.md` for how names, dimension order and metadata map to
/// a zoo checkpoint.
///
/// ## Topics
/// - ``GGUFFile``: validating reader with zero-copy tensor views
/// - ``GGUFImporter``: a `.gguf` file to a zoo checkpoint
/// - ``GGUFExporter``: a zoo checkpoint to a `.gguf` file
/// - ``GGUFValue``, ``GGUFKeyValue``, ``GGMLType``, ``GGUFError``
public enum GGUF {
    /// The first four bytes of every file.
    public static let magic: [UInt8] = Array("GGUF".utf8)
    /// The version zoo writes.
    public static let version: UInt32 = 3
    /// The versions zoo reads.
    public static let readableVersions: ClosedRange<UInt32> = 2...3
    /// The data alignment when `general.alignment` is absent.
    public static let defaultAlignment = 32
    /// The most dimensions a tensor may have (ggml's `GGML_MAX_DIMS`).
    public static let maxDimensions = 4
    /// The longest key the spec allows.
    public static let maxKeyBytes = 65_535
    /// The longest tensor name llama.cpp loads (`GGML_MAX_NAME` is 64, including the NUL).
    /// Written files respect it; read files may have longer names (up to zoo's limit).
    public static let maxWrittenTensorNameBytes = 63
    /// How deep arrays of arrays may nest (llama.cpp reads none; the Python package any).
    public static let maxArrayNesting = 8
    /// `general.quantization_version` written when a file has quantised tensors and no such key
    /// (ggml's `GGML_QNT_VERSION`).
    public static let quantizationVersion: UInt32 = 2

    /// The smallest possible key-value pair: an 8-byte key length, a 1-byte key, a 4-byte type
    /// and a 1-byte value. Bounds the declared count against the file size before anything is
    /// allocated.
    static let minKeyValueBytes = 8 + 1 + 4 + 1
    /// The smallest possible tensor info: name length, 1 name byte, n_dims, type, offset.
    static let minTensorInfoBytes = 8 + 1 + 4 + 4 + 8
    /// Size of magic, version, tensor count and key-value count.
    static let headerBytes = 4 + 4 + 8 + 8

    /// Metadata keys zoo reads or writes.
    public enum Key {
        public static let architecture = "general.architecture"
        public static let name = "general.name"
        public static let alignment = "general.alignment"
        public static let fileType = "general.file_type"
        public static let quantizationVersion = "general.quantization_version"
        public static let baseModelCount = "general.base_model.count"
        /// `general.base_model.<i>.` + a field (`name`, `organization`, `repo_url`, ...).
        public static func baseModel(_ index: Int, _ field: String) -> String { "general.base_model.\(index).\(field)" }
        /// `gguf-split`: how many files the model is split into (u16).
        public static let splitCount = "split.count"
        /// `gguf-split`: this file's part, counted from 0 (u16).
        public static let splitNumber = "split.no"
        /// zoo's own: the model digest of the checkpoint this one derives from (lineage.parent).
        public static let zooParent = "zoo.lineage.parent"
        /// zoo's own: the lineage recipe, as canonical JSON text.
        public static let zooRecipe = "zoo.lineage.recipe"
        /// zoo's own: `{"family", "type", "config"}` of a checkpoint not imported from GGUF, as
        /// canonical JSON text, so that importing the file back restores the architecture.
        public static let zooArchitecture = "zoo.architecture"
    }

    /// Whether the file at `path` starts with the GGUF magic (content, not name, decides).
    public static func isGGUF(fileAt path: String) -> Bool {
        leadingBytes(ofFileAt: path, count: magic.count) == magic
    }

    /// Up to `count` bytes from the start of the file at `path` (fewer for a short file; empty
    /// when it cannot be read).
    static func leadingBytes(ofFileAt path: String, count: Int) -> [UInt8] {
        guard let fd = try? FileSystem.openForReading(path) else { return [] }
        defer { try? FileSystem.close(fd, path: path) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { raw in
                (try? FileSystem.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]), path: path)) ?? 0
            }
            if got <= 0 { break }
            filled += got
        }
        return Array(bytes.prefix(filled))
    }

    /// `alignUp(value, alignment)` for a power-of-two alignment, or nil on overflow.
    static func alignUp(_ value: Int, _ alignment: Int) -> Int? {
        let (sum, overflow) = value.addingReportingOverflow(alignment - 1)
        return overflow ? nil : sum & ~(alignment - 1)
    }
}

/// A GGML tensor type, as stored in a tensor info (a `uint32`).
///
/// zoo keeps `F32`, `F16`, `BF16`, `F64`, `I8`, `I16`, `I32`, `I64` and the block type `Q8_0`
/// (as zoo's `Q8_0`); every other type (`Q4_K`, `IQ2_XS`, ...) is refused on import, by name.
public struct GGMLType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let f32 = GGMLType(rawValue: 0)
    public static let f16 = GGMLType(rawValue: 1)
    public static let q8_0 = GGMLType(rawValue: 8)
    public static let i8 = GGMLType(rawValue: 24)
    public static let i16 = GGMLType(rawValue: 25)
    public static let i32 = GGMLType(rawValue: 26)
    public static let i64 = GGMLType(rawValue: 27)
    public static let f64 = GGMLType(rawValue: 28)
    public static let bf16 = GGMLType(rawValue: 30)

    /// ggml's names (`ggml_type_name`), including types no longer written.
    private static let names: [UInt32: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 4: "Q4_2", 5: "Q4_3", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
        10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS",
        18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16",
        26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16", 31: "Q4_0_4_4", 32: "Q4_0_4_8", 33: "Q4_0_8_8",
        34: "TQ1_0", 35: "TQ2_0", 36: "IQ4_NL_4_4", 37: "IQ4_NL_4_8", 38: "IQ4_NL_8_8", 39: "MXFP4",
    ]

    /// ggml's name, or `type <n>` for a number it does not define.
    public var name: String { Self.names[rawValue] ?? "type \(rawValue)" }

    /// `Q4_K (12)`.
    public var description: String { "\(name) (\(rawValue))" }

    /// The zoo dtype holding this type's bytes unchanged, or nil when zoo has none.
    public var dtype: DType? {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q8_0: .q8_0
        case .f64: .f64
        case .i8: .i8
        case .i16: .i16
        case .i32: .i32
        case .i64: .i64
        default: nil
        }
    }

    /// The GGML type storing a zoo dtype unchanged, or nil (`U8`, `BOOL`, `F8_*`... have none).
    public init?(dtype: DType) {
        switch dtype {
        case .f32: self = .f32
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .q8_0: self = .q8_0
        case .f64: self = .f64
        case .i8: self = .i8
        case .i16: self = .i16
        case .i32: self = .i32
        case .i64: self = .i64
        default: return nil
        }
    }

    /// The types zoo reads, for messages: "F32, F16, BF16, Q8_0, F64, I8, I16, I32, I64".
    public static let supported: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .f64, .i8, .i16, .i32, .i64]
}
