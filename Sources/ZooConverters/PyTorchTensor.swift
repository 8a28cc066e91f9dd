import ZooFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One tensor of a ``PyTorchCheckpoint``: a strided view (offset, shape, strides, in elements)
/// of a storage member of the zip, already checked to lie inside it.
///
/// A contiguous view is available in place (``contiguousBytes``, zero-copy); any view can be
/// read as contiguous row-major bytes with ``forEachChunk(maxChunkBytes:_:)``, which gathers a
/// non-contiguous one (a transposed `w.t()`, a column slice, an expanded view with stride 0).
public struct PyTorchTensor: @unchecked Sendable {
    /// The dotted name (`encoder.layers.0.weight`).
    public let name: String
    public let dtype: DType
    /// Dimensions, outermost first (empty for a 0-d scalar).
    public let shape: [Int]
    /// Element strides, as torch records them.
    public let strides: [Int]
    /// The first element's index in the storage.
    public let storageOffset: Int
    /// The storage's key: member `<archive>/data/<key>`. Tensors with the same key share memory.
    public let storageKey: String
    /// The element count (1 for a 0-d scalar).
    public let elementCount: Int
    /// `elementCount` x element size.
    public let byteCount: Int
    /// Whether the view is row-major contiguous, so its bytes are one range of the storage.
    public let isContiguous: Bool
    /// The whole storage member, in place in the file.
    let storageBytes: UnsafeRawBufferPointer
    /// Keeps the file's mapping (or copy) alive while the tensor is.
    let owner: AnyObject

    /// The tensor's bytes in place in the file when ``isContiguous``, else nil.
    public var contiguousBytes: UnsafeRawBufferPointer? {
        guard isContiguous else { return nil }
        guard byteCount > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let start = storageOffset * elementWidth  // in bounds: checked when the checkpoint was read
        return UnsafeRawBufferPointer(rebasing: storageBytes[start..<(start + byteCount)])
    }

    var elementWidth: Int { dtype.bitWidth / 8 }

    /// Calls `body` with the tensor's row-major bytes, in order: once with the view itself when
    /// contiguous, else with pieces of at most `maxChunkBytes` (at least one element) gathered
    /// into a reusable buffer. An empty tensor makes no call.
    public func forEachChunk<E: Error>(
        maxChunkBytes: Int = 4 << 20, _ body: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        guard byteCount > 0 else { return }
        if let bytes = contiguousBytes {
            try body(bytes)
            return
        }
        try StridedGather(tensor: self).run(maxChunkBytes: maxChunkBytes, body)
    }

    /// The tensor's row-major bytes, copied.
    public func contiguousCopy() -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(byteCount)
        forEachChunk { (chunk: UnsafeRawBufferPointer) in result.append(contentsOf: chunk) }
        return result
    }

    /// Whether shape and strides describe a row-major contiguous layout (dimensions of size 1
    /// may have any stride; an empty tensor is contiguous).
    static func isContiguous(shape: [Int], strides: [Int]) -> Bool {
        if shape.contains(0) { return true }
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            guard stride == expected else { return false }
            expected *= size  // <= element count, which was checked not to overflow
        }
        return true
    }

    /// The storage index of the last element the view addresses (offset + sum of
    /// (size - 1) x stride), or nil on overflow. Only meaningful for a non-empty view.
    static func lastElement(offset: Int, shape: [Int], strides: [Int]) -> Int? {
        var last = offset
        for (size, stride) in zip(shape, strides) {
            let (step, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
            guard !overflow else { return nil }
            let (sum, sumOverflow) = last.addingReportingOverflow(step)
            guard !sumOverflow else { return nil }
            last = sum
        }
        return last
    }
}

/// Copies a non-contiguous view into contiguous row-major order, one output buffer at a time.
///
/// Dimensions of size 1 are dropped and dimensions that are contiguous with each other merged,
/// so a view is walked as rows of its last (merged) dimension: memcpy'd when that dimension
/// has stride 1, else copied element by element with typed loads.
private struct StridedGather {
    let source: UnsafeRawPointer?
    let width: Int
    let offset: Int
    let byteCount: Int
    /// (size, stride) outermost first, after merging; the last entry is the row.
    let dimensions: [(size: Int, stride: Int)]

    init(tensor: PyTorchTensor) {
        source = tensor.storageBytes.baseAddress
        width = tensor.elementWidth
        offset = tensor.storageOffset
        byteCount = tensor.byteCount
        var merged: [(size: Int, stride: Int)] = []
        for (size, stride) in zip(tensor.shape, tensor.strides) where size != 1 {
            if let last = merged.last, last.stride == stride * size {
                merged[merged.count - 1] = (last.size * size, stride)
            } else {
                merged.append((size, stride))
            }
        }
        dimensions = merged.isEmpty ? [(1, 1)] : merged
    }

    func run<E: Error>(maxChunkBytes: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        let capacity = max(width, min(maxChunkBytes, byteCount) / width * width)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        guard let output = buffer.baseAddress, let source else { return }  // a non-empty view has both
        let row = dimensions[dimensions.count - 1]
        let outer = dimensions.dropLast()
        var index = [Int](repeating: 0, count: outer.count)
        var rowStart = offset  // element index of the current row's first element
        var filled = 0
        while true {
            var done = 0
            while done < row.size {
                if filled == capacity {
                    try body(UnsafeRawBufferPointer(start: output, count: filled))
                    filled = 0
                }
                let count = min((capacity - filled) / width, row.size - done)
                copy(source + (rowStart + done * row.stride) * width, stride: row.stride, count: count, to: output + filled)
                filled += count * width
                done += count
            }
            // Next row: advance the odometer over the outer dimensions.
            var dimension = outer.count - 1
            while dimension >= 0 {
                let (size, stride) = outer[outer.startIndex + dimension]
                index[dimension] += 1
                rowStart += stride
                if index[dimension] < size { break }
                rowStart -= stride * size
                index[dimension] = 0
                dimension -= 1
            }
            if dimension < 0 { break }
        }
        if filled > 0 { try body(UnsafeRawBufferPointer(start: output, count: filled)) }
    }

    /// Copies `count` elements from `start` on, `stride` elements apart.
    private func copy(_ start: UnsafeRawPointer, stride: Int, count: Int, to destination: UnsafeMutableRawPointer) {
        if stride == 1 {
            destination.copyMemory(from: start, byteCount: count * width)
            return
        }
        switch width {
        case 1: copyElements(UInt8.self, start, stride, count, destination)
        case 2: copyElements(UInt16.self, start, stride, count, destination)
        case 4: copyElements(UInt32.self, start, stride, count, destination)
        default: copyElements(UInt64.self, start, stride, count, destination)
        }
    }

    @inline(__always)
    private func copyElements<T: FixedWidthInteger>(
        _: T.Type, _ start: UnsafeRawPointer, _ stride: Int, _ count: Int, _ destination: UnsafeMutableRawPointer
    ) {
        let step = stride * MemoryLayout<T>.size
        for i in 0..<count {
            let value = start.loadUnaligned(fromByteOffset: i * step, as: T.self)
            destination.storeBytes(of: value, toByteOffset: i * MemoryLayout<T>.size, as: T.self)
        }
    }
}
