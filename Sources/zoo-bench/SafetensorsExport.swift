#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// A minimal `.safetensors` writer, for the benchmark only: it hands the generated tensors to the
/// Python peer without timing the transfer. (zoo's real exporter lives in ZooConverters; this one
/// exists so the benchmark does not depend on it.)
///
/// Layout, per the safetensors spec: an 8-byte little-endian header length N, N bytes of JSON
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...}`, padded with spaces to a
/// multiple of 8), then the tensors' bytes back to back in the order of their offsets.
enum SafetensorsExport {
    static func write(_ tensors: [GeneratedTensor], to path: String) throws(BenchError) {
        var header: [String: JSONValue] = [:]
        var offset = 0
        for tensor in tensors {
            let end = offset + tensor.bytes.count
            header[tensor.spec.name] = .object([
                "dtype": .string(tensor.spec.dtype.rawValue),
                "shape": .array(tensor.spec.shape.map { .integer(Int64($0)) }),
                "data_offsets": .array([.integer(Int64(offset)), .integer(Int64(end))]),
            ])
            offset = end
        }
        var json = JSONValue.object(header).canonicalBytes
        json += [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8)
        let length = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
        do throws(IOError) {
            let fd = try FileSystem.createExclusive(path)
            do {
                try FileSystem.writeAll(fd, length + json, path: path)
                for tensor in tensors { try FileSystem.writeAll(fd, tensor.bytes, path: path) }
                // Flushed now, so its writeback does not run under the timed saves that follow.
                try FileSystem.sync(fd, path: path)
            } catch {
                close(fd)
                throw error
            }
            try FileSystem.close(fd, path: path)
        } catch {
            throw .io(error)
        }
    }
}
