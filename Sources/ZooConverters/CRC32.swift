/// CRC-32 as zip uses it (IEEE 802.3, reflected polynomial 0xEDB88320, initial and final
/// complement), to check members the way `zipfile` does. Slicing-by-4 tables: a few hundred MB/s.
struct CRC32 {
    private(set) var value: UInt32 = 0

    /// The CRC of everything passed to ``update(_:)`` so far.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = ~value
        var index = 0
        let count = bytes.count
        Self.tables.withUnsafeBufferPointer { table in
            while count - index >= 4 {
                crc ^= UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
                    | UInt32(bytes[index + 3]) << 24
                crc = table[768 + Int(crc & 0xFF)] ^ table[512 + Int((crc >> 8) & 0xFF)]
                    ^ table[256 + Int((crc >> 16) & 0xFF)] ^ table[Int(crc >> 24)]
                index += 4
            }
            while index < count {
                crc = table[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        value = ~crc
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32()
        bytes.withUnsafeBytes { crc.update($0) }
        return crc.value
    }

    /// Four 256-entry tables: table k advances a byte that is k bytes from the end of a word.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 1024)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            tables[n] = c
        }
        for n in 0..<256 {
            for k in 1..<4 { tables[k * 256 + n] = tables[(k - 1) * 256 + n] >> 8 ^ tables[Int(tables[(k - 1) * 256 + n] & 0xFF)] }
        }
        return tables
    }()
}
