import Foundation
import XCTest

@testable import ZooFormat

final class ArchiveTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "zoo-archive-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A checkpoint with three tensors over two shards (one deliberately odd-sized) and two assets.
    private func makeCheckpoint(_ name: String = "ckpt") throws -> Checkpoint {
        let writer = try CheckpointWriter(
            destination: root + "/" + name, name: "tiny",
            architecture: Architecture(family: .autoencoding, type: "bert", config: ["hidden_size": 4]),
            options: WriterOptions(maxShardByteCount: 4096))
        let a = (0..<1000).map { Float($0) * 0.5 }
        let b = (0..<7).map { Int16($0 - 3) }
        let c = [UInt8](repeating: 0xAB, count: 3000)
        try a.withUnsafeBytes { try writer.addTensor(name: "encoder.a", dtype: .f32, shape: [10, 100], bytes: $0) }
        try b.withUnsafeBytes { try writer.addTensor(name: "encoder.b", dtype: .i16, shape: [7], bytes: $0) }
        try c.withUnsafeBytes { try writer.addTensor(name: "head.c", dtype: .u8, shape: [3, 1000], bytes: $0) }
        try writer.addAsset(path: "config.json", bytes: Array(#"{"hidden_size": 4}"#.utf8))
        try writer.addAsset(path: "tokenizer/vocab.txt", bytes: Array("[PAD]\n[UNK]\nhello\n".utf8))
        writer.metadata = ["source": "test"]
        try writer.finish()
        return try Checkpoint(directory: root + "/" + name)
    }

    private func tensorBytes(_ checkpoint: Checkpoint) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for name in checkpoint.tensorNames { out[name] = Array(try checkpoint.tensor(named: name).bytes) }
        return out
    }

    func testWriteThenOpen_Uncompressed_MapsTensorsInPlaceAligned() throws {
        let checkpoint = try makeCheckpoint()
        XCTAssertEqual(checkpoint.manifest.shards.count, 2)
        let path = root + "/m.zoo"
        try CheckpointArchive.write(checkpoint, to: path)
        XCTAssertEqual(CheckpointArchive.compression(ofFileAt: path), ArchiveCompression.none)

        let opened = try CheckpointArchive.open(path)
        XCTAssertEqual(opened.digest, checkpoint.digest)
        XCTAssertEqual(try tensorBytes(opened), try tensorBytes(checkpoint))
        for region in opened.shardRegions + opened.assetRegions {
            XCTAssertEqual(region.path, path, "every region points into the archive file itself")
            XCTAssertEqual(region.offset % 512, 0, "tar member data is 512-byte aligned")
        }
        for name in opened.tensorNames {
            let view = try opened.tensor(named: name)
            XCTAssertEqual(Int(bitPattern: view.bytes.baseAddress) % 64, 0, "\(name) is 64-byte aligned in the map")
        }
        XCTAssertEqual(try opened.asset(path: "config.json"), Array(#"{"hidden_size": 4}"#.utf8))
        XCTAssertTrue(opened.verify(.deep).isClean)
    }

    func testWrite_SameCheckpointTwice_GivesIdenticalBytes() throws {
        let checkpoint = try makeCheckpoint()
        try CheckpointArchive.write(checkpoint, to: root + "/1.zoo")
        try CheckpointArchive.write(checkpoint, to: root + "/2.zoo")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: root + "/1.zoo")),
                       try Data(contentsOf: URL(fileURLWithPath: root + "/2.zoo")))
    }

    /// Writes `checkpoint` into a ByteSink over a pipe (not seekable, like `-o -`) and returns what came out.
    private func archiveThroughPipe(_ checkpoint: Checkpoint, compression: ArchiveCompression) throws -> Data {
        let pipe = Pipe()
        let reader = pipe.fileHandleForReading
        nonisolated(unsafe) var received = Data()
        let done = DispatchSemaphore(value: 0)
        Thread {
            received = reader.readDataToEndOfFile()
            done.signal()
        }.start()
        var sink = ByteSink(fd: pipe.fileHandleForWriting.fileDescriptor, name: "<pipe>")
        defer { try? pipe.fileHandleForWriting.close() }
        do {
            try CheckpointArchive.write(checkpoint, to: &sink, compression: compression)
        } catch {
            try? pipe.fileHandleForWriting.close()
            done.wait()
            throw error
        }
        try pipe.fileHandleForWriting.close()
        done.wait()
        XCTAssertEqual(received.count, sink.byteCount, "flushed: nothing held back in the sink")
        return received
    }

    func testWriteToSink_Pipe_SameBytesAsTheFile() throws {
        let checkpoint = try makeCheckpoint()
        for compression in ArchiveCompression.allCases {
            let path = root + "/file-\(compression.rawValue).zoo"
            try CheckpointArchive.write(checkpoint, to: path, compression: compression)
            let piped = try archiveThroughPipe(checkpoint, compression: compression)
            XCTAssertGreaterThan(piped.count, 1_000, "\(compression)")
            XCTAssertEqual(piped, try Data(contentsOf: URL(fileURLWithPath: path)), "\(compression): sink and file differ")
        }
    }

    /// A reader that has gone away: the sink's EPIPE, naming the sink, not libarchive's generic message.
    func testWriteToSink_ClosedPipe_ThrowsTheSinksIOError() throws {
        signal(SIGPIPE, SIG_IGN)  // as ByteSink.standardOutput() does in the CLI
        let checkpoint = try makeCheckpoint()
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        defer { try? pipe.fileHandleForWriting.close() }
        var sink = ByteSink(fd: pipe.fileHandleForWriting.fileDescriptor, name: "<stdout>")
        XCTAssertThrowsError(try CheckpointArchive.write(checkpoint, to: &sink)) { error in
            XCTAssertEqual(error as? ArchiveError,
                           ArchiveError(file: "<stdout>", reason: .io(IOError(call: "write", path: "<stdout>", errno: EPIPE))))
            XCTAssertEqual((error as? ArchiveError)?.description, "write(<stdout>) failed: Broken pipe")
        }
    }

    func testExtract_Zstd_RestoresIdenticalFolder() throws {
        let checkpoint = try makeCheckpoint()
        let path = root + "/m.zoo.zst"
        try CheckpointArchive.write(checkpoint, to: path, compression: .zstd)
        XCTAssertEqual(CheckpointArchive.compression(ofFileAt: path), .zstd)
        XCTAssertThrowsError(try CheckpointArchive.open(path)) { error in
            XCTAssertEqual((error as? ArchiveError)?.reason, .compressed)
        }
        let manifest = try CheckpointArchive.extract(path, to: root + "/out")
        XCTAssertEqual(manifest.digest, checkpoint.digest)
        let extracted = try Checkpoint(directory: root + "/out")
        XCTAssertEqual(try tensorBytes(extracted), try tensorBytes(checkpoint))
        XCTAssertTrue(extracted.verify(.deep).isClean)
        XCTAssertEqual(try FileSystem.listDirectory(root).filter { $0.contains("partial") }, [])
    }

    func testContentsOf_FolderOrArchive_OpensBoth() throws {
        let checkpoint = try makeCheckpoint()
        try CheckpointArchive.write(checkpoint, to: root + "/m.zoo")
        XCTAssertEqual(try Checkpoint(contentsOf: root + "/ckpt").digest, checkpoint.digest)
        XCTAssertEqual(try Checkpoint(contentsOf: root + "/m.zoo").digest, checkpoint.digest)
    }

    // MARK: Hostile archives, built with the system's Python tarfile so we control every header.

    /// Writes a tar with the given members (name, bytes, type) using Python's tarfile module.
    private func makeTar(_ path: String, members: [(name: String, data: [UInt8], type: String)]) throws {
        var script = "import tarfile, io, sys\nt = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)\n"
        for (i, member) in members.enumerated() {
            let file = root + "/member-\(i)"
            try Data(member.data).write(to: URL(fileURLWithPath: file))
            script += """
                info = tarfile.TarInfo(\(pythonString(member.name)))
                data = open(\(pythonString(file)), 'rb').read()
                info.type = {'file': tarfile.REGTYPE, 'symlink': tarfile.SYMTYPE, 'hardlink': tarfile.LNKTYPE, 'dir': tarfile.DIRTYPE}['\(member.type)']
                if info.type == tarfile.REGTYPE: info.size = len(data)
                else: info.linkname = 'manifest.json'
                t.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)

                """
        }
        script += "t.close()\n"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "python tarfile failed")
    }

    private func pythonString(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// The members of a valid archive of `checkpoint`, in order.
    private func validMembers(_ checkpoint: Checkpoint) throws -> [(name: String, data: [UInt8], type: String)] {
        var members: [(name: String, data: [UInt8], type: String)] = [("manifest.json", checkpoint.manifest.canonicalBytes, "file")]
        for (i, shard) in checkpoint.manifest.shards.enumerated() {
            members.append((shard.path, Array(try checkpoint.shardBytes(i).bytes), "file"))
        }
        for (i, asset) in checkpoint.manifest.assets.enumerated() {
            members.append((asset.path, Array(try checkpoint.assetBytes(i).bytes), "file"))
        }
        return members
    }

    private func assertRejected(
        _ members: [(name: String, data: [UInt8], type: String)], _ expected: ArchiveError.Reason,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let path = root + "/bad-\(UUID().uuidString).zoo"
        try makeTar(path, members: members)
        XCTAssertThrowsError(try CheckpointArchive.open(path), file: file, line: line) { error in
            XCTAssertEqual((error as? ArchiveError)?.reason, expected, "open: \(error)", file: file, line: line)
        }
        let target = root + "/extract-\(UUID().uuidString)"
        XCTAssertThrowsError(try CheckpointArchive.extract(path, to: target), file: file, line: line) { error in
            XCTAssertEqual((error as? ArchiveError)?.reason, expected, "extract: \(error)", file: file, line: line)
        }
        XCTAssertEqual(FileSystem.kind(of: target), .missing, "nothing extracted", file: file, line: line)
        XCTAssertEqual(try FileSystem.listDirectory(root).filter { $0.contains("partial") }, [], file: file, line: line)
    }

    func testPythonWrittenValidTar_OpensAndExtracts() throws {
        let checkpoint = try makeCheckpoint()
        let path = root + "/py.zoo"
        try makeTar(path, members: try validMembers(checkpoint))
        XCTAssertEqual(try tensorBytes(try CheckpointArchive.open(path)), try tensorBytes(checkpoint))
        XCTAssertEqual(try CheckpointArchive.extract(path, to: root + "/x").digest, checkpoint.digest)
    }

    func testRead_DotDotMember_Refused() throws {
        var members = try validMembers(try makeCheckpoint())
        members.insert(("../evil.txt", Array("x".utf8), "file"), at: 1)
        try assertRejected(members, .unsafePath("../evil.txt"))
    }

    func testRead_AbsoluteMember_Refused() throws {
        var members = try validMembers(try makeCheckpoint())
        members.insert(("/tmp/evil.txt", Array("x".utf8), "file"), at: 1)
        try assertRejected(members, .unsafePath("/tmp/evil.txt"))
    }

    func testRead_NestedDotDotInDeclaredFolder_Refused() throws {
        var members = try validMembers(try makeCheckpoint())
        members.insert(("shards/../../evil", Array("x".utf8), "file"), at: 1)
        try assertRejected(members, .unsafePath("shards/../../evil"))
    }

    func testRead_Symlink_Refused() throws {
        var members = try validMembers(try makeCheckpoint())
        members[1] = (members[1].name, [], "symlink")
        try assertRejected(members, .notARegularFile(members[1].name))
    }

    func testRead_Hardlink_Refused() throws {
        var members = try validMembers(try makeCheckpoint())
        members[1] = (members[1].name, [], "hardlink")
        try assertRejected(members, .notARegularFile(members[1].name))
    }

    func testRead_MemberLargerThanDeclared_Refused() throws {
        var members = try validMembers(try makeCheckpoint())
        let declared = members[1].data.count
        members[1].data += [1, 2, 3]
        try assertRejected(members, .sizeMismatch(member: members[1].name, declared: declared, actual: declared + 3))
    }

    func testRead_UndeclaredMember_Refused() throws {
        var members = try validMembers(try makeCheckpoint())
        members.append(("assets/extra.bin", [1], "file"))
        try assertRejected(members, .undeclaredMember("assets/extra.bin"))
    }

    func testRead_DuplicateMember_Refused() throws {
        var members = try validMembers(try makeCheckpoint())
        members.append(members[1])
        try assertRejected(members, .duplicateMember(members[1].name))
    }

    func testRead_MissingMember_Refused() throws {
        var members = try validMembers(try makeCheckpoint())
        let removed = members.remove(at: 2)
        try assertRejected(members, .missingMember(removed.name))
    }

    func testRead_ManifestNotFirst_Refused() throws {
        var members = try validMembers(try makeCheckpoint())
        members.swapAt(0, 1)
        try assertRejected(members, .manifestNotFirst(found: members[0].name))
    }

    func testExtract_FlippedByteInShard_RefusedWithDigestMismatch() throws {
        let checkpoint = try makeCheckpoint()
        var members = try validMembers(checkpoint)
        members[1].data[100] ^= 0xFF
        let path = root + "/flip.zoo"
        try makeTar(path, members: members)
        XCTAssertThrowsError(try CheckpointArchive.extract(path, to: root + "/x")) { error in
            guard case let .digestMismatch(member, expected, _)? = (error as? ArchiveError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(member, "shards/00000.bin")
            XCTAssertEqual(expected, checkpoint.manifest.shards[0].digest)
        }
        XCTAssertEqual(FileSystem.kind(of: root + "/x"), .missing)
        // Opening in place is cheap and does not hash; verify finds the shard and the tensor.
        let report = try CheckpointArchive.open(path).verify(.deep)
        XCTAssertEqual(report.failures.map(\.name), ["shards/00000.bin", "encoder.a"])
        XCTAssertEqual(report.failures.last?.file, path)
    }

    func testRead_TruncatedArchive_EveryCutFailsCleanly() throws {
        let checkpoint = try makeCheckpoint()
        let path = root + "/m.zoo"
        try CheckpointArchive.write(checkpoint, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for cut in stride(from: 0, to: bytes.count - 1024, by: 509) {
            let cutPath = root + "/cut.zoo"
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: cutPath))
            XCTAssertThrowsError(try CheckpointArchive.extract(cutPath, to: root + "/cut-out"), "cut at \(cut)")
            XCTAssertEqual(FileSystem.kind(of: root + "/cut-out"), .missing)
            if let opened = try? CheckpointArchive.open(cutPath) {
                XCTFail("opened an archive cut at \(cut) with \(opened.manifest.shards.count) shards")
            }
        }
    }

    func testRead_NotAnArchive_Refused() throws {
        let path = root + "/junk.zoo"
        try Data("definitely not a tar".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CheckpointArchive.open(path)) { error in
            XCTAssertEqual((error as? ArchiveError)?.reason, .notAnArchive)
        }
    }
}
