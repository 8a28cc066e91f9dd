import ZooFormat

/// Converts every floating-point tensor of a checkpoint to one dtype (`F32`, `F16` or `BF16`),
/// writing a new checkpoint folder; `Q8_0` tensors are dequantised to it too. Integer and
/// boolean tensors are copied unchanged, and so are tensors already of the target dtype. Conversion is element-wise
/// (``DTypeConversion``): round-to-nearest-even, NaN and infinities kept, overflow to infinity
/// counted per tensor and reported.
///
/// The new checkpoint keeps the name, architecture, metadata and assets, and takes the
/// `lineage` given (``lineage(parent:parentName:target:)`` makes the usual one).
///
/// ```swift
/// let result = try DTypeConverter(target: .f16).convert(checkpoint, to: "out/model-f16",
///     lineage: DTypeConverter.lineage(parent: checkpoint.digest, parentName: "model:latest", target: .f16))
/// for overflow in result.overflows { print(overflow) }   // "tensor w: 12 values overflow F16 (max |x| 1.2e+05)"
/// ```
public struct DTypeConverter: Sendable {
    /// The dtype floating-point tensors are converted to.
    public let target: DType
    /// How the checkpoint writer lays out shards.
    public var writerOptions: WriterOptions

    /// - Throws: ``DTypeConversionError`` when `target` is not `F32`, `F16` or `BF16`.
    public init(target: DType, writerOptions: WriterOptions = .init()) throws(DTypeConversionError) {
        guard DTypeConversion.targets.contains(target) else { throw DTypeConversionError(file: "", reason: .unsupportedTarget(target)) }
        self.target = target
        self.writerOptions = writerOptions
    }

    /// Finite values of one tensor that became infinities.
    public struct Overflow: Sendable, Equatable, CustomStringConvertible {
        public var tensor: String
        public var target: DType
        public var count: Int
        public var maxMagnitude: Double

        /// `tensor w: 12 values overflow F16 (max |x| 1.2e+05)`
        public var description: String {
            "tensor \(tensor): \(count) value\(count == 1 ? "" : "s") overflow \(target.rawValue) (max |x| \(Self.scientific(maxMagnitude)))"
        }

        /// Two significant digits in exponent form: 1.2e+05.
        static func scientific(_ value: Double) -> String {
            guard value.isFinite, value > 0 else { return "\(value)" }
            var exponent = Int((value.magnitude).log10Floor)
            var mantissa = value / pow10(exponent)
            if (mantissa * 10).rounded() >= 100 {
                exponent += 1
                mantissa = value / pow10(exponent)
            }
            let tenths = Int((mantissa * 10).rounded())
            let sign = exponent < 0 ? "-" : "+"
            let digits = String(abs(exponent))
            return "\(tenths / 10).\(tenths % 10)e\(sign)\(digits.count < 2 ? "0" + digits : digits)"
        }

        private static func pow10(_ n: Int) -> Double {
            var result = 1.0
            for _ in 0..<abs(n) { result *= 10 }
            return n < 0 ? 1 / result : result
        }
    }

    /// What a conversion did.
    public struct Result: Sendable {
        /// The new checkpoint's manifest.
        public var manifest: Manifest
        /// Tensors converted to the target dtype.
        public var converted: [String]
        /// Tensors copied unchanged (already the target, or not floating point).
        public var unchanged: [String]
        /// Tensors with values that overflowed the target, in manifest order.
        public var overflows: [Overflow]
    }

    /// The usual lineage of a converted model: `parent` (the source's model digest) and the
    /// recipe `{"kind": "convert", "dtype": "F16", "parentName": ...}`.
    public static func lineage(parent: SHA256Digest, parentName: String?, target: DType) -> Lineage {
        var recipe: [String: JSONValue] = ["kind": "convert", "dtype": .string(target.rawValue)]
        if let parentName { recipe["parentName"] = .string(parentName) }
        return Lineage(parent: parent, recipe: .object(recipe))
    }

    /// Writes the converted `checkpoint` as a new folder at `destination` (which must not exist).
    /// Each tensor is read from the mapped checkpoint and converted while it is written.
    public func convert(
        _ checkpoint: Checkpoint, to destination: String, name: String? = nil, lineage: Lineage?
    ) throws(DTypeConversionError) -> Result {
        let manifest = checkpoint.manifest
        let report = ConversionReport()
        let writer: CheckpointWriter
        do {
            writer = try CheckpointWriter(destination: destination, name: name ?? manifest.name,
                                          architecture: manifest.architecture, options: writerOptions)
        } catch {
            throw DTypeConversionError(file: destination, reason: .checkpoint(error))
        }
        let written: Manifest
        do throws(FormatError) {
            try writer.addTensors(from: ConvertingTensors(base: checkpoint, target: target, report: report))
            for (index, asset) in manifest.assets.enumerated() {
                let (bytes, owner) = try checkpoint.assetBytes(index)
                try withExtendedLifetime(owner) { () throws(FormatError) in
                    try writer.addAsset(path: String(asset.path.dropFirst("assets/".count)), bytes: Array(bytes))
                }
            }
            writer.metadata = manifest.metadata
            writer.lineage = lineage
            written = try writer.finish()
        } catch {
            writer.abort()
            throw DTypeConversionError(file: destination, reason: .checkpoint(error))
        }
        // In the source's order, as the conversion report is read.
        let order = manifest.tensorsInSourceOrder.map(\.name)
        let converted = Set(report.converted)
        let overflows = Dictionary(report.overflows.map { ($0.tensor, $0) }, uniquingKeysWith: { a, _ in a })
        return Result(manifest: written, converted: order.filter { converted.contains($0) },
                      unchanged: order.filter { !converted.contains($0) }, overflows: order.compactMap { overflows[$0] })
    }

    /// Output elements per piece handed to the sink (4 MiB of F32).
    static let chunkElements = 1 << 20

    /// Converts `source` piece by piece into `sink`.
    static func stream(
        _ source: UnsafeRawBufferPointer, from: DType, to: DType, into sink: inout TensorSink
    ) throws(FormatError) -> DTypeConversion.Statistics {
        let outWidth = to.bitWidth / 8
        let count = source.count / from.blockByteCount * from.blockSize
        var statistics = DTypeConversion.Statistics()
        var buffer = [UInt8](repeating: 0, count: min(count, chunkElements) * outWidth)
        var start = 0
        while start < count {
            let n = min(chunkElements, count - start)
            // chunkElements is a whole number of Q8_0 blocks, so pieces split no block.
            let first = start / from.blockSize * from.blockByteCount, end = (start + n) / from.blockSize * from.blockByteCount
            let piece = UnsafeRawBufferPointer(rebasing: source[first..<end])
            buffer.withUnsafeMutableBytes { out in
                statistics.merge(DTypeConversion.convert(piece, from: from, to: to,
                                                         into: UnsafeMutableRawBufferPointer(rebasing: out[0..<(n * outWidth)])))
            }
            try sink.write(n == count - start && n * outWidth < buffer.count ? Array(buffer.prefix(n * outWidth)) : buffer)
            start += n
        }
        return statistics
    }
}

/// Why a dtype conversion failed.
public struct DTypeConversionError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The target is not `F32`, `F16` or `BF16`.
        case unsupportedTarget(DType)
        /// Reading the source or writing the new checkpoint failed.
        case checkpoint(FormatError)
    }

    /// The checkpoint being written, when one applies.
    public var file: String
    public var reason: Reason

    public init(file: String, reason: Reason) {
        self.file = file
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .unsupportedTarget(dtype):
            "cannot convert to \(dtype.rawValue): the target must be one of " + DTypeConversion.targets.map(\.rawValue).joined(separator: ", ")
        case let .checkpoint(error): error.description
        }
    }
}

private extension Double {
    /// floor(log10(self)) for a positive finite value, without Foundation.
    var log10Floor: Int {
        var exponent = 0
        var value = self
        while value >= 10 { value /= 10; exponent += 1 }
        while value < 1 { value *= 10; exponent -= 1 }
        return exponent
    }
}
