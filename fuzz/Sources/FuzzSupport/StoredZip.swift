/// Builds a zip of stored (uncompressed) members, as `torch.save` writes them: enough to put
/// fuzzed bytes behind a valid container so a harness reaches the parser inside (the unpickler).
public struct StoredZip {
    private var body: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    public init() {}

    /// Appends a member named `name` holding `data`, its data 64-byte aligned (torch's own layout).
    public mutating func add(_ name: String, _ data: [UInt8]) {
        let nameBytes = Array(name.utf8)
        let offset = body.count
        let crc = CRC32.checksum(data)
        // Local header, then an extra field padding the data start to a multiple of 64.
        let headerEnd = offset + 30 + nameBytes.count + 4
        let padding = (64 - headerEnd % 64) % 64
        body += le32(0x0403_4b50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0)
        body += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count))
        body += le16(UInt16(nameBytes.count)) + le16(UInt16(4 + padding)) + nameBytes
        body += le16(0xfe00) + le16(UInt16(padding)) + [UInt8](repeating: 0, count: padding)
        body += data
        central += le32(0x0201_4b50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0)
        central += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count))
        central += le16(UInt16(nameBytes.count)) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0)
        central += le32(UInt32(offset)) + nameBytes
        count += 1
    }

    /// The whole archive: members, central directory, end record.
    public var bytes: [UInt8] {
        body + central + le32(0x0605_4b50) + le16(0) + le16(0) + le16(UInt16(count)) + le16(UInt16(count))
            + le32(UInt32(central.count)) + le32(UInt32(body.count)) + le16(0)
    }

    private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xff) } }
}

/// CRC-32 (IEEE 802.3, as zip uses it).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xedb8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for byte in data { c = table[Int((c ^ UInt32(byte)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xffff_ffff
    }
}
