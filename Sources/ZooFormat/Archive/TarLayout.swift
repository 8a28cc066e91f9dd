#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CArchive

/// A byte-exact walk over an uncompressed tar stream (spec §12.1, §12.4): every header block
/// as written (checksum, magic, numeric fields, unused bytes), every pax record, the zero
/// padding after each member, the end-of-archive blocks and what follows them. libarchive
/// parses leniently (it skips bad padding and accepts GNU extensions); this walk is what makes
/// every byte of a `.zoo` accounted for, so a flipped byte anywhere is found.
enum TarLayout {
    /// One member as the headers describe it.
    struct Member: Equatable {
        var name: String
        var typeflag: UInt8
        /// The archive offset of the member's first header block (its pax header's, if any).
        var headerOffset: Int
        /// The archive offset of the member's data (just past its last header block).
        var dataOffset: Int
        var size: Int
    }

    static let blockSize = 512
    /// Trailing zero bytes after the end marker are allowed up to this record size (what
    /// libarchive and Python's tarfile pad to by default).
    static let recordSize = 10240
    /// A pax extended header larger than this is refused (zoo's only pax keys are a path and a size).
    static let maxPaxByteCount = 1 << 20

    /// Walks the whole stream; returns the members in order or throws at the first byte out of place.
    static func check<Source: TarByteSource>(_ source: inout Source, archive: String) throws(ArchiveError) -> [Member] {
        var members: [Member] = []
        var offset = 0
        var pax: (path: String?, size: Int?)?
        var paxOffset: Int?
        func fail(_ at: Int, _ reason: ArchiveError.Reason) -> ArchiveError { ArchiveError(file: archive, offset: at, reason: reason) }

        /// Reads `count` bytes that must all be there.
        func readExactly(_ count: Int, _ what: String) throws(ArchiveError) -> [UInt8] {
            let bytes = try source.read(count)
            guard bytes.count == count else { throw fail(offset + bytes.count, .layout("the archive ends inside \(what)")) }
            return bytes
        }
        /// Skips `size` data bytes, then checks the zero padding up to the next block.
        func skipData(_ size: Int, member: String) throws(ArchiveError) {
            let skipped = try source.skip(size)
            guard skipped == size else { throw fail(offset + skipped, .layout("the archive ends inside member \"\(member)\"")) }
            offset += size
            let pad = (blockSize - size % blockSize) % blockSize
            let padding = try readExactly(pad, "the padding of member \"\(member)\"")
            if let bad = padding.firstIndex(where: { $0 != 0 }) {
                throw fail(offset + bad, .nonZeroPadding(after: member))
            }
            offset += pad
        }

        while true {
            let block = try source.read(blockSize)
            if block.isEmpty { throw fail(offset, .layout("no end-of-archive marker (two zero blocks)")) }
            guard block.count == blockSize else { throw fail(offset, .layout("the archive ends inside a header block")) }
            if block.allSatisfy({ $0 == 0 }) {
                guard pax == nil else { throw fail(offset, .layout("a pax extended header is not followed by a member")) }
                offset += blockSize
                let second = try readExactly(blockSize, "the end-of-archive marker")
                if let bad = second.firstIndex(where: { $0 != 0 }) {
                    throw fail(offset + bad, .layout("the end-of-archive marker is not two zero blocks"))
                }
                offset += blockSize
                try checkTail(&source, end: offset, archive: archive)
                return members
            }
            let header = try Header(block, offset: offset, archive: archive)
            let name = pax?.path ?? header.name
            if [UInt8(ascii: "x"), UInt8(ascii: "0"), 0, UInt8(ascii: "5")].contains(header.typeflag), !header.linkIsEmpty {
                throw fail(offset + 157, .headerField(member: name, field: "linkname"))
            }
            switch header.typeflag {
            case UInt8(ascii: "x"):
                guard pax == nil else { throw fail(offset + 156, .layout("two pax extended headers in a row")) }
                paxOffset = offset
                guard header.size <= maxPaxByteCount else {
                    throw fail(offset + 124, .paxRecord("a \(header.size)-byte pax header, over \(maxPaxByteCount) bytes"))
                }
                offset += blockSize
                let records = try readExactly(header.size, "a pax extended header")
                pax = try parsePax(records, offset: offset, archive: archive)
                offset += header.size
                // The records were read, not skipped: only the padding remains.
                let pad = (blockSize - header.size % blockSize) % blockSize
                let padding = try readExactly(pad, "the padding of a pax extended header")
                if let bad = padding.firstIndex(where: { $0 != 0 }) {
                    throw fail(offset + bad, .nonZeroPadding(after: "a pax extended header"))
                }
                offset += pad
                continue
            case UInt8(ascii: "0"), 0:
                let size = pax?.size ?? header.size
                offset += blockSize
                members.append(Member(name: name, typeflag: UInt8(ascii: "0"), headerOffset: paxOffset ?? offset - blockSize,
                                      dataOffset: offset, size: size))
                try skipData(size, member: name)
            case UInt8(ascii: "5"):
                guard header.size == 0, pax?.size ?? 0 == 0 else { throw fail(offset + 124, .headerField(member: name, field: "size")) }
                offset += blockSize
                members.append(Member(name: name, typeflag: header.typeflag, headerOffset: paxOffset ?? offset - blockSize,
                                      dataOffset: offset, size: 0))
            case UInt8(ascii: "S"):
                throw fail(offset, .sparseMember(name))
            case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "6"):
                throw fail(offset, .notARegularFile(name))  // links, devices, FIFOs
            default:
                throw fail(offset, .unsupportedMemberType(member: name, typeflag: header.typeflag))
            }
            pax = nil
            paxOffset = nil
        }
    }

    /// After the end marker: zero bytes only, and no more than up to the next record boundary.
    private static func checkTail<Source: TarByteSource>(_ source: inout Source, end: Int, archive: String) throws(ArchiveError) {
        let limit = (end + recordSize - 1) / recordSize * recordSize
        var offset = end
        while true {
            let chunk = try source.read(1 << 16)
            if chunk.isEmpty { return }
            if let bad = chunk.firstIndex(where: { $0 != 0 }) {
                throw ArchiveError(file: archive, offset: offset + bad, reason: .trailingData)
            }
            offset += chunk.count
            guard offset <= limit else { throw ArchiveError(file: archive, offset: limit, reason: .trailingData) }
        }
    }

    /// Pax records `"<length> <key>=<value>\n"`; only `path`, `size` and `hdrcharset` (which
    /// libarchive adds to a non-ASCII path when the locale cannot name its charset) (spec §12.1).
    private static func parsePax(_ bytes: [UInt8], offset: Int, archive: String) throws(ArchiveError) -> (path: String?, size: Int?) {
        var path: String?, size: Int?
        var position = 0
        func fail(_ why: String) -> ArchiveError { ArchiveError(file: archive, offset: offset + position, reason: .paxRecord(why)) }
        while position < bytes.count {
            guard let space = bytes[position...].firstIndex(of: UInt8(ascii: " ")), space > position, space - position <= 8,
                bytes[position..<space].allSatisfy({ (0x30...0x39).contains($0) }), bytes[position] != 0x30,
                let length = Int(String(decoding: bytes[position..<space], as: UTF8.self)),
                length <= bytes.count - position, length > space - position + 1
            else { throw fail("a record without a valid length") }
            let record = bytes[(space + 1)..<(position + length)]
            guard record.last == UInt8(ascii: "\n"), let equals = record.firstIndex(of: UInt8(ascii: "=")) else {
                throw fail("a record that is not key=value followed by a newline")
            }
            let key = String(decoding: bytes[(space + 1)..<equals], as: UTF8.self)
            let value = Array(bytes[(equals + 1)..<(position + length - 1)])
            switch key {
            case "path" where path == nil:
                guard let text = String(validating: value, as: UTF8.self), !value.contains(0) else { throw fail("a path that is not UTF-8") }
                path = text
            case "size" where size == nil:
                guard !value.isEmpty, value.count <= 18, value.allSatisfy({ (0x30...0x39).contains($0) }),
                    let n = Int(String(decoding: value, as: UTF8.self))
                else { throw fail("a size that is not a decimal number") }
                size = n
            case "hdrcharset" where value.elementsEqual("BINARY".utf8) || value.elementsEqual("ISO-IR 10646 2000 UTF-8".utf8):
                break
            case "path", "size": throw fail("key \"\(key)\" twice")
            default: throw fail("key \"\(key)\" (only path, size and hdrcharset are written)")
            }
            position += length
        }
        return (path, size)
    }

    /// A ustar header block, checked field by field.
    struct Header {
        var name: String
        var typeflag: UInt8
        var size: Int
        /// Whether the linkname field is all NUL (it must be for every type zoo allows).
        var linkIsEmpty: Bool

        init(_ block: [UInt8], offset: Int, archive: String) throws(ArchiveError) {
            func fail(_ at: Int, _ field: String, _ member: String) -> ArchiveError {
                ArchiveError(file: archive, offset: offset + at, reason: .headerField(member: member, field: field))
            }
            // The checksum first (any flipped byte shows there), naming the member as far as it reads.
            func loose(_ start: Int, _ width: Int) -> String {
                String(decoding: block[start..<(start + width)].prefix { $0 != 0 }, as: UTF8.self)
            }
            let looseName = loose(345, 155).isEmpty ? loose(0, 100) : loose(345, 155) + "/" + loose(0, 100)
            var computed = 0
            for (i, byte) in block.enumerated() { computed += (148..<156).contains(i) ? 0x20 : Int(byte) }
            let stored = Self.octal(block, 148, 8)
            guard stored == computed else {
                throw ArchiveError(file: archive, offset: offset + 148,
                                   reason: .checksumMismatch(member: looseName, stored: stored, computed: computed))
            }
            let rawName = try Self.text(block, 0, 100, offset: offset, archive: archive, field: "name", member: looseName)
            let prefix = try Self.text(block, 345, 155, offset: offset, archive: archive, field: "prefix", member: looseName)
            let name = prefix.isEmpty ? rawName : prefix + "/" + rawName
            guard block[257..<263].elementsEqual(Array("ustar".utf8) + [0]) else { throw fail(257, "magic", name) }
            guard block[263..<265].elementsEqual(Array("00".utf8)) else { throw fail(263, "version", name) }
            for (start, width, field) in [(100, 8, "mode"), (108, 8, "uid"), (116, 8, "gid"), (136, 12, "mtime")]
            where Self.octal(block, start, width) == nil {
                throw fail(start, field, name)
            }
            for (start, field) in [(329, "devmajor"), (337, "devminor")] {
                let value = block[start..<(start + 8)]
                guard value.allSatisfy({ $0 == 0 }) || Self.octal(block, start, 8) == 0 else { throw fail(start, field, name) }
            }
            // Octal, or base-256 as writers put sizes of 8 GiB or more (a pax size record then governs).
            guard let size = Self.octal(block, 124, 12) ?? Self.base256(block, 124, 12) else { throw fail(124, "size", name) }
            _ = try Self.text(block, 265, 32, offset: offset, archive: archive, field: "uname", member: name)
            _ = try Self.text(block, 297, 32, offset: offset, archive: archive, field: "gname", member: name)
            if let bad = block[500..<512].firstIndex(where: { $0 != 0 }) { throw fail(bad, "padding", name) }
            self.name = name
            self.typeflag = block[156]
            self.size = size
            self.linkIsEmpty = block[157..<257].allSatisfy { $0 == 0 }
        }

        /// A NUL-terminated text field whose unused bytes are all NUL.
        static func text(_ block: [UInt8], _ start: Int, _ width: Int, offset: Int, archive: String, field: String, member: String)
            throws(ArchiveError) -> String
        {
            let bytes = block[start..<(start + width)]
            let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
            if let bad = bytes[end...].firstIndex(where: { $0 != 0 }) {
                throw ArchiveError(file: archive, offset: offset + bad, reason: .headerField(member: member, field: field))
            }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }

        /// A GNU base-256 number field (first byte 0x80, big-endian value), non-negative and below 2^62.
        static func base256(_ block: [UInt8], _ start: Int, _ width: Int) -> Int? {
            guard block[start] == 0x80, block[(start + 1)..<(start + width - 8)].allSatisfy({ $0 == 0 }),
                block[start + width - 8] < 0x40
            else { return nil }
            return block[(start + width - 8)..<(start + width)].reduce(0) { $0 << 8 | Int($1) }
        }

        /// An octal number field: optional leading spaces, octal digits, then spaces or NULs only.
        static func octal(_ block: [UInt8], _ start: Int, _ width: Int) -> Int? {
            var bytes = block[start..<(start + width)]
            while let last = bytes.last, last == 0 || last == 0x20 { bytes = bytes.dropLast() }
            while let first = bytes.first, first == 0x20 { bytes = bytes.dropFirst() }
            guard !bytes.isEmpty, bytes.count <= 20, bytes.allSatisfy({ (0x30...0x37).contains($0) }) else { return nil }
            return bytes.reduce(0) { $0 * 8 + Int($1 - 0x30) }
        }
    }
}

/// Where ``TarLayout`` reads the uncompressed tar stream from.
protocol TarByteSource {
    /// Up to `count` next bytes (fewer only at the end of the stream).
    mutating func read(_ count: Int) throws(ArchiveError) -> [UInt8]
    /// Skips up to `count` bytes; returns how many there were.
    mutating func skip(_ count: Int) throws(ArchiveError) -> Int
}

/// An uncompressed `.zoo` file read with `pread`: data is skipped without reading it.
struct TarFileSource: TarByteSource {
    let fd: Int32
    let path: String
    let size: Int
    var position = 0

    mutating func read(_ count: Int) throws(ArchiveError) -> [UInt8] {
        let want = max(0, min(count, size - position))
        var bytes = [UInt8](repeating: 0, count: want)
        var filled = 0
        while filled < want {
            let n: Int
            do {
                n = try bytes.withUnsafeMutableBytes { raw in
                    Result { () throws(IOError) in
                        try FileSystem.retrying("pread", path: path) {
                            pread(fd, raw.baseAddress! + filled, want - filled, off_t(position + filled))
                        }
                    }
                }.get()
            } catch { throw ArchiveError(file: path, reason: .io(error)) }
            guard n > 0 else { break }
            filled += n
        }
        position += filled
        return filled == want ? bytes : Array(bytes.prefix(filled))
    }

    mutating func skip(_ count: Int) throws(ArchiveError) -> Int {
        let n = max(0, min(count, size - position))
        position += n
        return n
    }
}

/// The decompressed stream of a `.zoo.zst`, through libarchive's raw format (no tar parsing).
final class TarDecompressedSource: TarByteSource {
    private let tar: TarHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false

    init(path: String) throws(ArchiveError) {
        tar = try TarHandle(mode: .read, path: path)
        try tar.check(archive_read_support_format_raw(tar.raw))
        try tar.check(archive_read_support_filter_zstd(tar.raw))
        try tar.check(archive_read_open_filename(tar.raw, path, 1 << 20))
        var entry: OpaquePointer?
        try tar.check(archive_read_next_header(tar.raw, &entry))
    }

    private func fill() throws(ArchiveError) {
        guard !ended, start == buffer.count else { return }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        let n = chunk.withUnsafeMutableBytes { archive_read_data(tar.raw, $0.baseAddress, $0.count) }
        guard n >= 0 else { throw ArchiveError(file: tar.path, reason: .libarchive(tar.message)) }
        if n == 0 { ended = true }
        buffer = Array(chunk.prefix(n))
        start = 0
    }

    func read(_ count: Int) throws(ArchiveError) -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            try fill()
            if start == buffer.count { break }
            let n = min(count - out.count, buffer.count - start)
            out += buffer[start..<(start + n)]
            start += n
        }
        return out
    }

    func skip(_ count: Int) throws(ArchiveError) -> Int {
        var skipped = 0
        while skipped < count {
            try fill()
            if start == buffer.count { break }
            let n = min(count - skipped, buffer.count - start)
            start += n
            skipped += n
        }
        return skipped
    }
}
