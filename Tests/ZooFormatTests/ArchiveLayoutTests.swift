import Foundation
import XCTest
import ZooFormat

/// Every byte of a `.zoo` is accounted for (spec §12.1, §12.4): hostile archives are made byte by
/// byte from a real one (a padding byte, a header field, the end marker, a type flag, what follows
/// the end), and opening, extracting and layout verification all refuse them, naming the offset.
final class ArchiveLayoutTests: XCTestCase {
    private var temp: TemporaryDirectory!  // set in setUp, removed in tearDown

    override func setUpWithError() throws { temp = try TemporaryDirectory("zoo-archive-layout-tests") }
    override func tearDown() { temp.remove() }

    /// A real archive (manifest, two shards, an asset) and its bytes.
    private func makeArchive() throws -> [UInt8] {
        try makeCheckpoint(at: temp("ckpt"), tensors: [TensorSpec("a", .f32, [100]), TensorSpec("b", .u8, [700])],
                           assets: [("config.json", Array(#"{"x": 1}"#.utf8))], maxShardByteCount: 512)
        try CheckpointArchive.write(try Checkpoint(directory: temp("ckpt")), to: temp("good.zoo"))
        return try readBytes(temp("good.zoo"))
    }

    /// The members' header offsets, read from the ustar size fields (the archive has no pax headers).
    private func headerOffsets(_ bytes: [UInt8]) -> [(name: String, header: Int, size: Int)] {
        var result: [(String, Int, Int)] = []
        var offset = 0
        while offset + 512 <= bytes.count, bytes[offset..<(offset + 512)].contains(where: { $0 != 0 }) {
            let name = String(decoding: bytes[offset..<(offset + 100)].prefix { $0 != 0 }, as: UTF8.self)
            let sizeText = String(decoding: bytes[(offset + 124)..<(offset + 136)].filter { (0x30...0x37).contains($0) }, as: UTF8.self)
            let size = Int(sizeText, radix: 8) ?? 0
            result.append((name, offset, size))
            offset += 512 + (size + 511) / 512 * 512
        }
        return result
    }

    /// Rewrites a header's checksum field after an edit, as a careful forger would.
    private func fixChecksum(_ bytes: inout [UInt8], header: Int) {
        for i in 148..<156 { bytes[header + i] = 0x20 }
        let sum = bytes[header..<(header + 512)].reduce(0) { $0 + Int($1) }
        let text = Array(String(sum, radix: 8).utf8)
        let field = [UInt8](repeating: 0x30, count: 6 - text.count) + text + [0, 0x20]
        for (i, byte) in field.enumerated() { bytes[header + 148 + i] = byte }
    }

    /// Writes `bytes` as an archive and asserts open, extract and verifyLayout all refuse it with `expected`.
    private func assertRefused(
        _ bytes: [UInt8], _ expected: ArchiveError.Reason, at offset: Int, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let path = temp("bad-\(UUID().uuidString).zoo")
        try writeBytes(bytes, to: path)
        let want = ArchiveError(file: path, offset: offset, reason: expected)
        XCTAssertThrowsError(try CheckpointArchive.verifyLayout(path), file: file, line: line) {
            XCTAssertEqual($0 as? ArchiveError, want, "verifyLayout: \($0)", file: file, line: line)
        }
        XCTAssertThrowsError(try CheckpointArchive.open(path), file: file, line: line) {
            XCTAssertEqual($0 as? ArchiveError, want, "open: \($0)", file: file, line: line)
        }
        let target = temp("x-\(UUID().uuidString)")
        XCTAssertThrowsError(try CheckpointArchive.extract(path, to: target), file: file, line: line) {
            XCTAssertEqual($0 as? ArchiveError, want, "extract: \($0)", file: file, line: line)
        }
        XCTAssertEqual(FileSystem.kind(of: target), .missing, "nothing extracted", file: file, line: line)
    }

    func testWrittenArchive_PassesTheLayoutWalk_PlainAndZstd() throws {
        _ = try makeArchive()
        try CheckpointArchive.verifyLayout(temp("good.zoo"))
        try CheckpointArchive.write(try Checkpoint(directory: temp("ckpt")), to: temp("good.zoo.zst"), compression: .zstd)
        try CheckpointArchive.verifyLayout(temp("good.zoo.zst"))
        XCTAssertEqual(headerOffsets(try readBytes(temp("good.zoo"))).map(\.name),
                       ["manifest.json", "shards/00000.bin", "shards/00001.bin", "assets/config.json"])
    }

    func testLongNonASCIIPaths_PaxHeadersPassTheWalk() throws {
        let long = String(repeating: "ü", count: 90) + "/" + String(repeating: "x", count: 120) + ".txt"
        try makeCheckpoint(at: temp("long"), tensors: [TensorSpec("a", .f32, [3])], assets: [(long, Array("hi".utf8))])
        try CheckpointArchive.write(try Checkpoint(directory: temp("long")), to: temp("long.zoo"))
        try CheckpointArchive.verifyLayout(temp("long.zoo"))
        XCTAssertEqual(try CheckpointArchive.open(temp("long.zoo")).manifest.assets.map(\.path), ["assets/" + long])
        // The pax record is covered too: a byte of its value changed is a member the manifest lacks.
        var bytes = try readBytes(temp("long.zoo"))
        let at = try XCTUnwrap(bytes.indices.first { bytes[$0...].starts(with: Array(("path=assets/").utf8)) })
        let xs = try XCTUnwrap(bytes.indices.first { $0 > at && bytes[$0...].starts(with: Array("xxxx".utf8)) })
        bytes[xs] = UInt8(ascii: "y")
        try writeBytes(bytes, to: temp("long-bad.zoo"))
        XCTAssertThrowsError(try CheckpointArchive.open(temp("long-bad.zoo"))) { error in
            guard case .undeclaredMember? = (error as? ArchiveError)?.reason else { return XCTFail("\(error)") }
        }
        var key = try readBytes(temp("long.zoo"))
        key[at] = UInt8(ascii: "q")  // "qath=": a key zoo never writes
        try writeBytes(key, to: temp("long-key.zoo"))
        XCTAssertThrowsError(try CheckpointArchive.verifyLayout(temp("long-key.zoo"))) { error in
            guard case .paxRecord(let why)? = (error as? ArchiveError)?.reason else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("qath"), why)
        }
    }

    func testFlippedPaddingByteBetweenMembers_RefusedAtItsOffset() throws {
        var bytes = try makeArchive()
        let members = headerOffsets(bytes)
        for member in members where member.size % 512 != 0 {
            var copy = bytes
            let padding = member.header + 512 + member.size  // the first padding byte after its data
            copy[padding] = 0x01
            try assertRefused(copy, .nonZeroPadding(after: member.name), at: padding)
            copy[padding] = 0
            copy[padding + (511 - member.size % 512)] = 0x80  // the last one before the next header
            try assertRefused(copy, .nonZeroPadding(after: member.name), at: padding + (511 - member.size % 512))
        }
        XCTAssertTrue(members.contains { $0.size % 512 != 0 }, "fixture has padding")
        bytes = try readBytes(temp("good.zoo"))
        _ = try CheckpointArchive.open(temp("good.zoo"))
    }

    func testFlippedEndMarkerByte_Refused() throws {
        var bytes = try makeArchive()
        let end = bytes.count - 1024
        bytes[end + 700] = 0x20
        try assertRefused(bytes, .layout("the end-of-archive marker is not two zero blocks"), at: end + 700)
    }

    func testBytesAfterTheEnd_ZerosToTheRecordAllowed_AnythingElseRefused() throws {
        let bytes = try makeArchive()
        let record = (bytes.count + 10239) / 10240 * 10240
        try writeBytes(bytes + [UInt8](repeating: 0, count: record - bytes.count), to: temp("padded.zoo"))
        _ = try CheckpointArchive.open(temp("padded.zoo"))
        try assertRefused(bytes + [0, 0, 7], .trailingData, at: bytes.count + 2)
        try assertRefused(bytes + [UInt8](repeating: 0, count: record - bytes.count + 512), .trailingData, at: record)
        try assertRefused(Array(bytes.dropLast(512)), .layout("the archive ends inside the end-of-archive marker"),
                          at: bytes.count - 512)
    }

    func testHeaderChecksumOrUnusedFieldBytes_Refused() throws {
        let bytes = try makeArchive()
        let shard = headerOffsets(bytes)[1]
        var flipped = bytes
        flipped[shard.header + 99] = UInt8(ascii: "A")  // after the name's NUL: the checksum no longer matches
        let sum = flipped[shard.header..<(shard.header + 512)].enumerated().reduce(0) { $0 + ((148..<156).contains($1.offset) ? 0x20 : Int($1.element)) }
        var stored = 0
        for byte in bytes[(shard.header + 148)..<(shard.header + 154)] { stored = stored * 8 + Int(byte - 0x30) }
        try assertRefused(flipped, .checksumMismatch(member: shard.name, stored: stored, computed: sum), at: shard.header + 148)
        fixChecksum(&flipped, header: shard.header)  // a forged checksum: the field itself is still wrong
        try assertRefused(flipped, .headerField(member: shard.name, field: "name"), at: shard.header + 99)

        var mtime = bytes
        mtime[shard.header + 136] = UInt8(ascii: "9")  // not an octal digit
        fixChecksum(&mtime, header: shard.header)
        try assertRefused(mtime, .headerField(member: shard.name, field: "mtime"), at: shard.header + 136)

        var magic = bytes
        magic[shard.header + 262] = 0x20  // "ustar " (old GNU magic)
        fixChecksum(&magic, header: shard.header)
        try assertRefused(magic, .headerField(member: shard.name, field: "magic"), at: shard.header + 257)
    }

    func testSparseAndOtherTypeFlags_Refused() throws {
        let bytes = try makeArchive()
        let shard = headerOffsets(bytes)[1]
        var sparse = bytes
        sparse[shard.header + 156] = UInt8(ascii: "S")
        fixChecksum(&sparse, header: shard.header)
        try assertRefused(sparse, .sparseMember(shard.name), at: shard.header)
        for flag in [UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "7"), UInt8(ascii: "K")] {
            var other = bytes
            other[shard.header + 156] = flag
            fixChecksum(&other, header: shard.header)
            try assertRefused(other, .unsupportedMemberType(member: shard.name, typeflag: flag), at: shard.header)
        }
        var fifo = bytes
        fifo[shard.header + 156] = UInt8(ascii: "6")
        fixChecksum(&fifo, header: shard.header)
        try assertRefused(fifo, .notARegularFile(shard.name), at: shard.header)
    }

    func testDotSlashMemberName_Refused() throws {
        var bytes = try makeArchive()
        let shard = headerOffsets(bytes)[1]
        let name = Array(("./" + shard.name).utf8)
        for (i, byte) in name.enumerated() { bytes[shard.header + i] = byte }
        fixChecksum(&bytes, header: shard.header)
        // The layout is fine; the name is not the manifest's path.
        try writeBytes(bytes, to: temp("dot.zoo"))
        try CheckpointArchive.verifyLayout(temp("dot.zoo"))
        let path = temp("dot.zoo")
        XCTAssertThrowsError(try CheckpointArchive.open(path)) {
            XCTAssertEqual($0 as? ArchiveError, ArchiveError(file: path, offset: shard.header, reason: .unsafePath("./" + shard.name)))
            XCTAssertTrue("\($0)".contains("\"./\""), "\($0)")
        }
    }

    func testZstdArchive_FlippedPaddingByte_VerifyLayoutRefusesIt() throws {
        var bytes = try makeArchive()
        let manifest = headerOffsets(bytes)[0]
        let padding = manifest.header + 512 + manifest.size
        bytes[padding] = 0x55
        try writeBytes(bytes, to: temp("bad.zoo"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        process.arguments = ["-q", "-3", temp("bad.zoo"), "-o", temp("bad.zoo.zst")]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "the system zstd compresses it")
        XCTAssertThrowsError(try CheckpointArchive.verifyLayout(temp("bad.zoo.zst"))) {
            XCTAssertEqual($0 as? ArchiveError, ArchiveError(file: temp("bad.zoo.zst"), offset: padding,
                                                             reason: .nonZeroPadding(after: "manifest.json")))
        }
    }

    func testEveryByteOfTheArchive_FlippedIsNoticed() throws {
        // A small archive: every single-byte change must be refused on open, fail deep
        // verification, or (inside the manifest) make a different model digest.
        try makeCheckpoint(at: temp("small"), tensors: [TensorSpec("a", .u8, [5]), TensorSpec("b", .f32, [3])],
                           assets: [("c.txt", Array("hi".utf8))])
        let original = try Checkpoint(directory: temp("small"))
        try CheckpointArchive.write(original, to: temp("small.zoo"))
        let bytes = try readBytes(temp("small.zoo"))
        var unnoticed: [Int] = []
        let path = temp("flip.zoo")
        try writeBytes(bytes, to: path)
        for offset in bytes.indices {
            try flipByte(at: offset, of: path)
            defer { try? flipByte(at: offset, of: path) }  // back to the original for the next offset
            guard let opened = try? CheckpointArchive.open(path) else { continue }
            // The fast check first: a flipped content byte fails it without the deep pass.
            guard opened.verify(.files).isClean else { continue }
            if opened.verify(.deep).isClean, opened.digest == original.digest { unnoticed.append(offset) }
        }
        XCTAssertEqual(try readBytes(path), bytes, "every flip was undone")
        XCTAssertEqual(unnoticed, [], "flipped bytes nobody noticed, of \(bytes.count)")
    }
}
