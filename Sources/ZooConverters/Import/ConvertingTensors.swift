import Foundation
import ZooFormat

/// What a conversion while writing did, filled in as tensors are written (read it after the
/// writer's `finish()`).
public final class ConversionReport: @unchecked Sendable {
    private let lock = NSLock()
    private var _converted: [String] = []
    private var _unchanged: [String] = []
    private var _overflows: [DTypeConverter.Overflow] = []

    public init() {}

    /// Tensors converted to the target dtype, in the order they were written.
    public var converted: [String] { lock.withLock { _converted } }
    /// Tensors copied unchanged (already the target, or not floating point).
    public var unchanged: [String] { lock.withLock { _unchanged } }
    /// Tensors with values that overflowed the target.
    public var overflows: [DTypeConverter.Overflow] { lock.withLock { _overflows } }

    func recordConverted(_ name: String, _ statistics: DTypeConversion.Statistics, target: DType) {
        lock.withLock {
            _converted.append(name)
            if statistics.overflowCount > 0 {
                _overflows.append(DTypeConverter.Overflow(tensor: name, target: target, count: statistics.overflowCount,
                                                          maxMagnitude: statistics.maxOverflowMagnitude))
            }
        }
    }

    func recordUnchanged(_ name: String) { lock.withLock { _unchanged.append(name) } }
}

/// A ``ZooFormat/TensorSource`` that converts the floating-point tensors of another source to
/// one dtype while they are written (round-to-nearest-even, NaN and infinities kept, overflow
/// counted): `--dtype` on import, and `zoo convert`, write the model once.
struct ConvertingTensors: TensorSource {
    let base: any TensorSource
    let target: DType
    let report: ConversionReport
    let tensorDescriptors: [TensorDescriptor]

    init(base: any TensorSource, target: DType, report: ConversionReport) {
        self.base = base
        self.target = target
        self.report = report
        self.tensorDescriptors = base.tensorDescriptors.map { descriptor in
            var converted = descriptor
            if Self.converts(descriptor.dtype, to: target) { converted.dtype = target }
            return converted
        }
    }

    static func converts(_ dtype: DType, to target: DType) -> Bool {
        dtype != target && DTypeConversion.canConvert(from: dtype, to: target)
    }

    func willWriteTensor(at index: Int) { base.willWriteTensor(at: index) }

    func writeTensor(at index: Int, into sink: inout TensorSink) throws {
        let source = base.tensorDescriptors[index]
        guard Self.converts(source.dtype, to: target) else {
            try base.writeTensor(at: index, into: &sink)
            report.recordUnchanged(source.name)
            return
        }
        guard let count = Shape.elementCount(source.shape), let length = source.dtype.byteCount(elementCount: count) else {
            throw FormatError(file: source.name, reason: .sizeOverflow(tensor: source.name))
        }
        // The base writes its bytes into a forwarding sink; whole blocks are converted and
        // written on, and a block split between two pieces waits for the rest in `carry`.
        let block = source.dtype.blockByteCount
        let target = self.target
        var statistics = DTypeConversion.Statistics()
        var carry: [UInt8] = []
        var output = sink
        var forwarding = TensorSink(expected: length, tensor: source.name) { (piece) throws(FormatError) in
            if carry.isEmpty, piece.count % block == 0 {
                statistics.merge(try DTypeConverter.stream(piece, from: source.dtype, to: target, into: &output))
                return
            }
            carry.append(contentsOf: piece)
            let whole = carry.count / block * block
            guard whole > 0 else { return }
            try carry.withUnsafeBytes { raw in
                Result { () throws(FormatError) in
                    statistics.merge(try DTypeConverter.stream(
                        UnsafeRawBufferPointer(rebasing: raw[0..<whole]), from: source.dtype, to: target, into: &output))
                }
            }.get()
            carry.removeFirst(whole)
        }
        try base.writeTensor(at: index, into: &forwarding)
        _ = try forwarding.finish()
        sink = output
        report.recordConverted(source.name, statistics, target: target)
    }
}
