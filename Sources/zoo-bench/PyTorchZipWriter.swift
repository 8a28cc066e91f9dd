#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// Writes generated tensors as a PyTorch checkpoint laid out exactly as `torch.save` does (torch
/// 2.x), for the benchmark only: zoo has no PyTorch exporter, and the benchmark must not need
/// Python to make its input.
///
/// The archive: `<archive>/data.pkl` (``StateDictPickle``), `.format_version`, `.storage_alignment`,
/// `byteorder`, one `data/<i>` per tensor, `version`, `.data/serialization_id`; every member stored,
/// its data 64-byte aligned by padding the local header's extra field (id `FB`), sizes and CRC-32
/// in a data descriptor after the data; zip64 end records always, zip64 extra fields where sizes
/// or offsets pass 4 GiB. `torch.load` reads it (checked with `--write-pytorch-zip`, see Options).
struct PyTorchZipWriter {
    /// The folder of the members.
    var archive = "archive"

    static let alignment = 64

    func write(_ tensors: [GeneratedTensor], to path: String) throws(BenchError) {
        do throws(IOError) {
            let fd = try FileSystem.createExclusive(path)
            var file = Output(fd: fd, path: path)
            do {
                let pickle = StateDictPickle.bytes(tensors.enumerated().map { index, tensor in
                    (tensor.spec.name, tensor.spec.dtype, tensor.spec.shape, String(index))
                })
                var members: [CentralEntry] = []
                func add(_ name: String, _ pieces: [[UInt8]]) throws(IOError) {
                    members.append(try file.member(name: archive + "/" + name, pieces))
                }
                try add("data.pkl", [pickle])
                try add(".format_version", [Array("1".utf8)])
                try add(".storage_alignment", [Array("64".utf8)])
                try add("byteorder", [Array("little".utf8)])
                for (index, tensor) in tensors.enumerated() { try add("data/\(index)", [tensor.bytes]) }
                try add("version", [Array("3\n".utf8)])
                try add(".data/serialization_id", [Array("1234567890123456789012345678901234567890".utf8)])
                try file.finish(members)
                // Flushed now, so its writeback does not run under the timed imports that follow.
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

    /// What the central directory needs to know of a member.
    fileprivate struct CentralEntry {
        var name: [UInt8]
        var crc: UInt32
        var size: Int
        var offset: Int
    }

    /// Appends to the file, tracking the offset.
    fileprivate struct Output {
        let fd: Int32
        let path: String
        var offset = 0

        mutating func append(_ bytes: [UInt8]) throws(IOError) {
            try FileSystem.writeAll(fd, bytes, path: path)
            offset += bytes.count
        }

        /// A stored member: local header (with zip64 extra when the data reaches 4 GiB, and the
        /// padding that aligns the data), the data, a data descriptor.
        mutating func member(name: String, _ pieces: [[UInt8]]) throws(IOError) -> CentralEntry {
            let nameBytes = Array(name.utf8)
            let size = pieces.reduce(0) { $0 + $1.count }
            let zip64 = size >= 0xFFFF_FFFF
            let headerStart = offset
            var extra: [UInt8] = zip64 ? le(UInt16(1)) + le(UInt16(16)) + le(UInt64(0)) + le(UInt64(0)) : []
            let unpadded = headerStart + 30 + nameBytes.count + extra.count + 4
            let padding = (PyTorchZipWriter.alignment - unpadded % PyTorchZipWriter.alignment) % PyTorchZipWriter.alignment
            extra += le(UInt16(0x4246)) + le(UInt16(padding)) + [UInt8](repeating: 0x5a, count: padding)
            var header = le(UInt32(0x0403_4b50)) + le(UInt16(zip64 ? 45 : 20)) + le(UInt16(0x0808)) + le(UInt16(0))
            header += le(UInt32(0)) + le(UInt32(0)) + le(zip64 ? UInt32.max : 0) + le(zip64 ? UInt32.max : 0)
            header += le(UInt16(nameBytes.count)) + le(UInt16(extra.count)) + nameBytes + extra
            try append(header)
            var crc = CRC32()
            for piece in pieces {
                crc.update(piece)
                try append(piece)
            }
            var descriptor = le(UInt32(0x0807_4b50)) + le(crc.value)
            descriptor += zip64 ? le(UInt64(size)) + le(UInt64(size)) : le(UInt32(size)) + le(UInt32(size))
            try append(descriptor)
            return CentralEntry(name: nameBytes, crc: crc.value, size: size, offset: headerStart)
        }

        /// The central directory, the zip64 end record and locator, the end record.
        mutating func finish(_ members: [CentralEntry]) throws(IOError) {
            let directoryStart = offset
            var directory: [UInt8] = []
            for member in members {
                let bigSize = member.size >= 0xFFFF_FFFF
                let bigOffset = member.offset >= 0xFFFF_FFFF
                var extra: [UInt8] = []
                if bigSize { extra += le(UInt64(member.size)) + le(UInt64(member.size)) }
                if bigOffset { extra += le(UInt64(member.offset)) }
                if !extra.isEmpty { extra = le(UInt16(1)) + le(UInt16(extra.count)) + extra }
                let size32 = bigSize ? UInt32.max : UInt32(member.size)
                directory += le(UInt32(0x0201_4b50)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt16(0x0808)) + le(UInt16(0))
                directory += le(UInt32(0)) + le(member.crc) + le(size32) + le(size32)
                directory += le(UInt16(member.name.count)) + le(UInt16(extra.count)) + le(UInt16(0)) + le(UInt16(0))
                directory += le(UInt16(0)) + le(UInt32(0)) + le(bigOffset ? UInt32.max : UInt32(member.offset))
                directory += member.name + extra
            }
            try append(directory)
            let recordStart = offset
            var end = le(UInt32(0x0606_4b50)) + le(UInt64(44)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt32(0)) + le(UInt32(0))
            end += le(UInt64(members.count)) + le(UInt64(members.count)) + le(UInt64(directory.count)) + le(UInt64(directoryStart))
            end += le(UInt32(0x0706_4b50)) + le(UInt32(0)) + le(UInt64(recordStart)) + le(UInt32(1))
            let count16 = UInt16(min(members.count, 0xFFFF))
            end += le(UInt32(0x0605_4b50)) + le(UInt16(0)) + le(UInt16(0)) + le(count16) + le(count16)
            end += le(UInt32(min(directory.count, 0xFFFF_FFFF))) + le(UInt32(min(directoryStart, 0xFFFF_FFFF))) + le(UInt16(0))
            try append(end)
        }
    }
}

/// A protocol-2 pickle of an `OrderedDict` of `torch._utils._rebuild_tensor_v2` calls, as
/// `torch.save(state_dict)` writes it (memoising the two globals and the `'storage'` string).
enum StateDictPickle {
    static func bytes(_ tensors: [(name: String, dtype: DType, shape: [Int], key: String)]) -> [UInt8] {
        var out: [UInt8] = [0x80, 0x02]
        func global(_ module: String, _ name: String) { out += [0x63] + Array("\(module)\n\(name)\n".utf8) }
        func string(_ text: String) { out += [0x58] + le(UInt32(text.utf8.count)) + Array(text.utf8) }
        func put(_ index: UInt32) { out += [0x72] + le(index) }        // LONG_BINPUT
        func get(_ index: UInt32) { out += [0x6a] + le(index) }        // LONG_BINGET
        func int(_ value: Int) {
            switch value {
            case 0..<0x100: out += [0x4b, UInt8(value)]
            case 0x100..<0x1_0000: out += [0x4d] + le(UInt16(value))
            case 0x1_0000...Int(Int32.max): out += [0x4a] + le(Int32(value))
            default: out += [0x8a, 8] + le(Int64(value))                  // LONG1, 8 bytes
            }
        }
        func ints(_ values: [Int]) {
            out.append(0x28)
            values.forEach(int)
            out.append(0x74)
        }
        // 0: OrderedDict, 1: _rebuild_tensor_v2, 2: 'storage', 3: 'cpu'
        global("collections", "OrderedDict")
        put(0)
        out += [0x29, 0x52, 0x28]                  // () REDUCE MARK
        for (index, tensor) in tensors.enumerated() {
            string(tensor.name)
            if index == 0 {
                global("torch._utils", "_rebuild_tensor_v2")
                put(1)
            } else {
                get(1)
            }
            out += [0x28, 0x28]                    // MARK MARK
            if index == 0 { string("storage"); put(2) } else { get(2) }
            global("torch", tensor.dtype == .f16 ? "HalfStorage" : "FloatStorage")
            string(tensor.key)
            if index == 0 { string("cpu"); put(3) } else { get(3) }
            let count = tensor.shape.reduce(1, *)
            int(count)
            out += [0x74, 0x51]                    // TUPLE BINPERSID
            int(0)                                 // storage_offset
            ints(tensor.shape)
            var strides = [Int](repeating: 1, count: tensor.shape.count)
            for i in tensor.shape.indices.dropLast().reversed() { strides[i] = strides[i + 1] * tensor.shape[i + 1] }
            ints(strides)
            out.append(0x89)                       // requires_grad = False
            get(0)
            out += [0x29, 0x52]                    // OrderedDict() for backward_hooks
            out += [0x74, 0x52]                    // TUPLE REDUCE
        }
        out += [0x75, 0x2e]                        // SETITEMS STOP
        return out
    }
}

/// CRC-32 (IEEE 802.3, the zip checksum), slicing by 8.
struct CRC32 {
    private(set) var value: UInt32 = 0
    private static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var crc = UInt32(i)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            tables[0][i] = crc
        }
        for i in 0..<256 {
            for t in 1..<8 { tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][Int(tables[t - 1][i] & 0xff)] }
        }
        return tables
    }()

    mutating func update(_ bytes: [UInt8]) {
        let tables = Self.tables
        var crc = ~value
        bytes.withUnsafeBytes { raw in
            var i = 0
            let count = raw.count
            while count - i >= 8 {
                let low = crc ^ raw.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian
                let high = raw.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                crc = tables[7][Int(low & 0xff)] ^ tables[6][Int((low >> 8) & 0xff)]
                    ^ tables[5][Int((low >> 16) & 0xff)] ^ tables[4][Int(low >> 24)]
                    ^ tables[3][Int(high & 0xff)] ^ tables[2][Int((high >> 8) & 0xff)]
                    ^ tables[1][Int((high >> 16) & 0xff)] ^ tables[0][Int(high >> 24)]
                i += 8
            }
            while i < count {
                crc = tables[0][Int((crc ^ UInt32(raw[i])) & 0xff)] ^ (crc >> 8)
                i += 1
            }
        }
        value = ~crc
    }
}

/// The little-endian bytes of `value`.
private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian, Array.init)
}
