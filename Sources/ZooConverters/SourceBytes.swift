import ZooFormat

/// The bytes of a foreign file that tensor views point into: a memory mapping, or a private,
/// 64-byte aligned copy for input that arrived in memory. Views keep it alive.
final class SourceBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    /// The mapping, when the bytes come from a file (lets importers tell file offsets apart).
    let mapping: MappedFile?
    private let allocation: UnsafeMutableRawBufferPointer?

    init(mapping: MappedFile) {
        self.mapping = mapping
        self.bytes = mapping.bytes
        self.allocation = nil
    }

    init(copying source: [UInt8]) {
        let allocation = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, source.count), alignment: 64)
        source.withUnsafeBytes { allocation.copyMemory(from: $0) }
        self.allocation = allocation
        self.bytes = UnsafeRawBufferPointer(rebasing: allocation[0..<source.count])
        self.mapping = nil
    }

    deinit { allocation?.deallocate() }
}
