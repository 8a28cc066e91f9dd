import ZooFormat

/// Turns `.npy` array data into zoo's layout (little-endian, row-major) while it is written into
/// a checkpoint: byte-swapping big-endian elements and transposing Fortran-order arrays.
enum NumPyLayout {
    /// Output is produced in pieces of about this size.
    static let chunkBytes = 4 << 20

    /// Writes `data` (exactly `header.dataByteCount` bytes, as stored) to `sink` in zoo's layout.
    static func write(_ data: UnsafeRawBufferPointer, header: NumPyHeader, to sink: inout TensorSink) throws(FormatError) {
        let width = header.dtype.bitWidth / 8
        if header.fortranOrder && header.shape.count > 1 {
            try writeTransposed(data, shape: header.shape, width: width, swap: header.isBigEndian, to: &sink)
        } else if header.isBigEndian {
            var start = 0
            while start < data.count {
                let end = min(data.count, start + chunkBytes)
                try writeSwapped(UnsafeRawBufferPointer(rebasing: data[start..<end]), width: width, to: &sink)
                start = end
            }
        } else {
            try sink.write(data)
        }
    }

    /// Writes `chunk` (whole elements) with every element's bytes reversed.
    static func writeSwapped(_ chunk: UnsafeRawBufferPointer, width: Int, to sink: inout TensorSink) throws(FormatError) {
        let swapped = [UInt8](unsafeUninitializedCapacity: chunk.count) { buffer, initialized in
            let out = UnsafeMutableRawBufferPointer(buffer)
            swapElements(chunk, into: out, width: width)
            initialized = chunk.count
        }
        try sink.write(swapped)
    }

    /// Copies `source` into `output` (same size), reversing the bytes of each `width`-byte element.
    static func swapElements(_ source: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, width: Int) {
        guard let input = source.baseAddress, let out = output.baseAddress else { return }
        let count = source.count / width
        switch width {
        case 2:
            for i in 0..<count {
                out.storeBytes(of: input.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).byteSwapped, toByteOffset: i * 2, as: UInt16.self)
            }
        case 4:
            for i in 0..<count {
                out.storeBytes(of: input.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).byteSwapped, toByteOffset: i * 4, as: UInt32.self)
            }
        case 8:
            for i in 0..<count {
                out.storeBytes(of: input.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).byteSwapped, toByteOffset: i * 8, as: UInt64.self)
            }
        default:
            out.copyMemory(from: input, byteCount: source.count)
        }
    }

    /// Writes a Fortran-order array in C order: for every row of the last axis (in C order of
    /// the other axes), gathers its elements, which are `product(shape[..<last])` apart.
    static func writeTransposed(
        _ data: UnsafeRawBufferPointer, shape: [Int], width: Int, swap: Bool, to sink: inout TensorSink
    ) throws(FormatError) {
        guard let count = Shape.elementCount(shape), count > 0, let input = data.baseAddress else { return }
        // Fortran strides, in elements: 1, d0, d0*d1, ...
        var strides = [Int](repeating: 1, count: shape.count)
        for k in 1..<shape.count { strides[k] = strides[k - 1] * shape[k - 1] }
        let rowLength = shape[shape.count - 1], rowStride = strides[shape.count - 1] * width
        let rowsPerChunk = max(1, chunkBytes / max(1, rowLength * width))
        var index = [Int](repeating: 0, count: shape.count - 1)  // odometer over the outer axes
        var buffer = [UInt8](repeating: 0, count: min(count, rowsPerChunk * rowLength) * width)
        var rowsLeft = count / rowLength
        while rowsLeft > 0 {
            let rows = min(rowsPerChunk, rowsLeft)
            buffer.withUnsafeMutableBytes { out in
                guard let base = out.baseAddress else { return }
                var position = 0
                for _ in 0..<rows {
                    var source = 0
                    for k in 0..<index.count { source += index[k] * strides[k] }
                    var at = source * width
                    for _ in 0..<rowLength {
                        (base + position).copyMemory(from: input + at, byteCount: width)
                        position += width
                        at += rowStride
                    }
                    // Next row: increment the odometer, last outer axis fastest.
                    var k = index.count - 1
                    while k >= 0 {
                        index[k] += 1
                        if index[k] < shape[k] { break }
                        index[k] = 0
                        k -= 1
                    }
                }
            }
            let produced = rows * rowLength * width
            if swap {
                let swapped = [UInt8](unsafeUninitializedCapacity: produced) { out, initialized in
                    buffer.withUnsafeBytes { swapElements(UnsafeRawBufferPointer(rebasing: $0[0..<produced]), into: UnsafeMutableRawBufferPointer(out), width: width) }
                    initialized = produced
                }
                try sink.write(swapped)
            } else {
                try sink.write(produced == buffer.count ? buffer : Array(buffer.prefix(produced)))
            }
            rowsLeft -= rows
        }
    }
}
