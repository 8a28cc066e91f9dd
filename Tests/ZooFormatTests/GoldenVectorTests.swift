import Foundation
import XCTest
import ZooFormat

/// The golden vectors of spec/golden/, written by an independent Python implementation
/// (make_golden.py): good checkpoints must open with the listed digests and verify clean,
/// non-canonical manifests must canonicalise to the same bytes, and every bad/ case must be refused
/// for the listed reason, at open or at verification.
final class GoldenVectorTests: XCTestCase {
    private let golden = repositoryRoot + "/spec/golden"

    private struct Expected: Decodable {
        var formatVersion: String
        var vectors: [Vector]
        var noncanonical: [NonCanonical]
    }

    private struct Vector: Decodable {
        var name: String
        var path: String
        var modelDigest: String
        var manifestLength: Int
        var formatVersion: String
        var parameterCount: Int
        var shards: [File]
        var assets: [File]
        var tensors: [Tensor]
    }

    private struct File: Decodable, Equatable {
        var path: String
        var length: Int
        var digest: String
    }

    private struct Tensor: Decodable, Equatable {
        var name: String
        var dtype: String
        var shape: [Int]
        var shard: Int
        var offset: Int
        var length: Int
        var digest: String
    }

    private struct NonCanonical: Decodable {
        var path: String
        var canonicalOf: String
        var length: Int
        var modelDigest: String
    }

    private func loadExpected() throws -> Expected {
        let path = golden + "/expected.json"
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("\(path) is missing: run `python3 spec/golden/make_golden.py`")
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    // MARK: Good vectors

    func testGolden_ExpectedFile_IsForThisFormatVersion() throws {
        let expected = try loadExpected()
        XCTAssertEqual(expected.formatVersion, Manifest.baseVersion.description)
        XCTAssertEqual(expected.vectors.map(\.name), ["tiny-f32", "mixed", "lineage", "future-minor", "source-order"])
    }

    /// The independent implementation's 1.1 vector is exactly what zoo's canonical writer makes of
    /// the same tensors given in their source order (c, a, b).
    func testGolden_SourceOrder_IsWhatTheCanonicalWriterWrites() throws {
        let destination = NSTemporaryDirectory() + "zoo-golden-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: destination) }
        let writer = try CheckpointWriter(destination: destination, name: "source-order",
                                          architecture: Architecture(family: .other, type: "test"))
        try writer.addTensor(name: "layer.c", dtype: .u8, shape: [5], bytes: [9, 8, 7, 6, 5])
        try [Float(1), 2].withUnsafeBytes { try writer.addTensor(name: "layer.a", dtype: .f32, shape: [2], bytes: $0) }
        try [Int32(-1), 0, 1].withUnsafeBytes { try writer.addTensor(name: "layer.b", dtype: .i32, shape: [3], bytes: $0) }
        let manifest = try writer.finish()
        XCTAssertEqual(manifest.sourceOrder, [2, 0, 1])
        XCTAssertEqual(String(decoding: manifest.canonicalBytes, as: UTF8.self),
                       String(decoding: try readBytes(golden + "/source-order/manifest.json"), as: UTF8.self))
        XCTAssertEqual(try readBytes(destination + "/shards/00000.bin"), try readBytes(golden + "/source-order/shards/00000.bin"))
    }

    func testGolden_GoodVectors_OpenWithExpectedDigestsAndVerifyClean() throws {
        for vector in try loadExpected().vectors {
            let directory = golden + "/" + vector.path
            let checkpoint: Checkpoint
            do {
                checkpoint = try Checkpoint(directory: directory)
            } catch {
                XCTFail("\(vector.name): does not open: \(error)")
                continue
            }
            let manifest = checkpoint.manifest
            XCTAssertEqual(checkpoint.digest.description, vector.modelDigest, vector.name)
            XCTAssertEqual(manifest.digest.description, vector.modelDigest, vector.name)
            XCTAssertEqual(manifest.formatVersion.description, vector.formatVersion, vector.name)
            XCTAssertEqual(manifest.architecture.parameterCount, vector.parameterCount, vector.name)

            let fileBytes = try readBytes(directory + "/manifest.json")
            XCTAssertEqual(fileBytes.count, vector.manifestLength, vector.name)
            XCTAssertEqual(String(decoding: manifest.canonicalBytes, as: UTF8.self), String(decoding: fileBytes, as: UTF8.self),
                           "\(vector.name): re-canonicalising manifest.json gives back its bytes")
            XCTAssertEqual(SHA256.digest(fileBytes).description, vector.modelDigest, vector.name)

            XCTAssertEqual(manifest.shards.map { File(path: $0.path, length: $0.length, digest: $0.digest.description) },
                           vector.shards, vector.name)
            XCTAssertEqual(manifest.assets.map { File(path: $0.path, length: $0.length, digest: $0.digest.description) },
                           vector.assets, vector.name)
            XCTAssertEqual(manifest.tensors.map {
                Tensor(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, shard: $0.shard, offset: $0.offset,
                       length: $0.length, digest: $0.digest.description)
            }, vector.tensors, vector.name)

            // Digests recomputed here from the mapped bytes, independently of verify().
            for tensor in vector.tensors {
                let bytes = try tensorBytes(checkpoint, tensor.name)
                XCTAssertEqual(SHA256.digest(bytes).description, tensor.digest, "\(vector.name): \(tensor.name)")
                XCTAssertEqual(bytes.count, tensor.length)
            }
            for (i, shard) in vector.shards.enumerated() {
                XCTAssertEqual(SHA256.digest(try readBytes(directory + "/" + shard.path)).description, shard.digest)
                XCTAssertEqual(checkpoint.shardRegions[i].path, directory + "/" + shard.path)
            }
            for asset in vector.assets {
                XCTAssertEqual(SHA256.digest(try checkpoint.asset(path: asset.path)).description, asset.digest)
            }

            let report = checkpoint.verify(.deep)
            XCTAssertTrue(report.isClean, "\(vector.name): \(report.failures)")
            XCTAssertEqual(report.checkedShards, vector.shards.count, vector.name)
            XCTAssertEqual(report.checkedAssets, vector.assets.count, vector.name)
            XCTAssertEqual(report.checkedTensors, vector.tensors.count, vector.name)
            XCTAssertEqual(report.modelDigest.description, vector.modelDigest, vector.name)
        }
    }

    func testGolden_TinyF32_MatchesSpecAppendixA() throws {
        let checkpoint = try Checkpoint(directory: golden + "/tiny-f32")
        XCTAssertEqual(checkpoint.digest.description, "sha256:1d5707c393469f6a6b321a7b74124ea3950664aacc0c509181582d65f8890c98")
        XCTAssertEqual(checkpoint.manifest.canonicalBytes.count, 767)
        XCTAssertEqual(try checkpoint.tensor(named: "linear.weight").shape, [2, 3])
        XCTAssertEqual(try checkpoint.tensor(named: "linear.bias").entry.offset, 64)
        let shard = try readBytes(golden + "/tiny-f32/shards/00000.bin")
        XCTAssertEqual(Array(shard[24..<64]), [UInt8](repeating: 0, count: 40), "40 bytes of zero padding")
    }

    func testGolden_Mixed_TypedValuesAndUnicodeSurvive() throws {
        let checkpoint = try Checkpoint(directory: golden + "/mixed")
        // The golden vectors are format 1.0: every 1.0 scalar dtype (the 1.1 ones have their own tests).
        XCTAssertEqual(Set(checkpoint.manifest.tensors.map(\.dtype)), Set(DType.scalarCases.filter { !$0.isCarriedOnly }))
        XCTAssertEqual(try checkpoint.tensor(named: "scalar").shape, [])
        XCTAssertEqual(try checkpoint.tensor(named: "empty2d").entry.offset, 576)
        XCTAssertEqual(checkpoint.manifest.shards[1].length, 576)
        XCTAssertNoThrow(try checkpoint.tensor(named: "emb.日本"))
        let names = checkpoint.manifest.architecture.config["names"]?.arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertEqual(names.last?.unicodeScalars.map(\.value), "e\u{301} vs \u{E9}".unicodeScalars.map(\.value),
                       "NFD and NFC are kept apart")
        XCTAssertEqual(checkpoint.manifest.architecture.config["negative_zero"], .integer(0))
    }

    func testGolden_FutureMinor_KeepsUnknownMembers() throws {
        let checkpoint = try Checkpoint(directory: golden + "/future-minor")
        XCTAssertEqual(checkpoint.manifest.formatVersion, FormatVersion(major: 1, minor: 1))
        XCTAssertEqual(checkpoint.manifest.extraMembers["x-future"], ["added": "in 1.1", "n": 1])
        XCTAssertEqual(checkpoint.manifest.architecture.extraMembers, ["x-future": true])
        XCTAssertEqual(checkpoint.manifest.tensors[0].extraMembers, ["x-quant": nil])
        XCTAssertEqual(checkpoint.manifest.shards[0].extraMembers, ["x-compression": "none"])
    }

    func testGolden_Lineage_PointsAtTinyF32() throws {
        let tiny = try Checkpoint(directory: golden + "/tiny-f32")
        let lineage = try Checkpoint(directory: golden + "/lineage")
        XCTAssertEqual(lineage.manifest.lineage?.parent, tiny.digest)
        XCTAssertNotNil(lineage.manifest.lineage?.recipe)
    }

    // MARK: Non-canonical manifests

    func testGolden_NonCanonicalManifests_CanonicaliseToTheGoodVectors() throws {
        let expected = try loadExpected()
        XCTAssertEqual(expected.noncanonical.count, 3)
        for entry in expected.noncanonical {
            let bytes = try readBytes(golden + "/" + entry.path)
            XCTAssertEqual(bytes.count, entry.length, entry.path)
            guard let vector = expected.vectors.first(where: { $0.name == entry.canonicalOf }) else {
                XCTFail("\(entry.path): no vector \(entry.canonicalOf)")
                continue
            }
            let manifest: Manifest
            do {
                manifest = try Manifest(parsing: bytes, file: entry.path)
            } catch {
                XCTFail("\(entry.path): \(error)")
                continue
            }
            XCTAssertNotEqual(bytes, manifest.canonicalBytes, "\(entry.path) is not canonical itself")
            XCTAssertEqual(manifest.digest.description, entry.modelDigest, entry.path)
            XCTAssertEqual(entry.modelDigest, vector.modelDigest, entry.path)
            let canonical = try readBytes(golden + "/" + vector.path + "/manifest.json")
            XCTAssertEqual(String(decoding: manifest.canonicalBytes, as: UTF8.self), String(decoding: canonical, as: UTF8.self),
                           entry.path)
        }
    }

    // MARK: Bad checkpoints

    /// When a keyword of spec/format.md §13 is detected, and how the error must look.
    private enum Detection {
        case open((FormatError.Reason) -> Bool)
        case fastVerify(VerificationFailure.Kind)
        case deepVerifyOnly(VerificationFailure.Kind)
    }

    private func detection(_ keyword: String) -> Detection? {
        func misplaced(_ test: @escaping (Int, Int) -> Bool) -> Detection {
            .open { if case let .misplacedTensor(_, offset, expected) = $0 { test(offset, expected) } else { false } }
        }
        switch keyword {
        case "json": return .open { if case .json = $0 { true } else { false } }
        case "manifest-size": return .open { if case .manifestTooLarge = $0 { true } else { false } }
        case "integer-range": return .open { if case .integerOutOfRange = $0 { true } else { false } }
        case "format": return .open { if case .notACheckpoint = $0 { true } else { false } }
        case "version":
            return .open {
                switch $0 {
                case .unsupportedVersion, .invalidVersion: true
                default: false
                }
            }
        case "member":
            return .open {
                switch $0 {
                case .missingMember, .invalidMember: true
                default: false
                }
            }
        case "byte-order": return .open { if case .unsupportedByteOrder = $0 { true } else { false } }
        case "name": return .open { if case .invalidTensorName = $0 { true } else { false } }
        case "duplicate-name": return .open { if case .duplicateTensor = $0 { true } else { false } }
        case "dtype": return .open { if case .unknownDType = $0 { true } else { false } }
        case "shape": return .open { if case .invalidShape = $0 { true } else { false } }
        case "size-overflow": return .open { if case .sizeOverflow = $0 { true } else { false } }
        case "length": return .open { if case .lengthMismatch = $0 { true } else { false } }
        case "shard-index": return .open { if case .shardOutOfRange = $0 { true } else { false } }
        case "misaligned": return misplaced { offset, _ in offset % Manifest.alignment != 0 }
        case "overlap": return misplaced { offset, expected in offset < expected && offset % Manifest.alignment == 0 }
        case "gap": return misplaced { offset, expected in offset > expected && offset % Manifest.alignment == 0 }
        case "empty-shard": return .open { if case .emptyShard = $0 { true } else { false } }
        case "shard-length": return .open { if case .shardLengthMismatch = $0 { true } else { false } }
        case "parameter-count":
            return .open { if case let .invalidMember(path, _) = $0 { path == "architecture.parameterCount" } else { false } }
        case "path": return .open { if case .invalidPath = $0 { true } else { false } }
        case "missing-file": return .open { if case .missingFile = $0 { true } else { false } }
        case "shard-size", "asset-size": return .open { if case .fileSizeMismatch = $0 { true } else { false } }
        case "shard-digest": return .fastVerify(.shard)
        case "asset-digest": return .fastVerify(.asset)
        case "tensor-digest": return .deepVerifyOnly(.tensor)
        case "padding": return .deepVerifyOnly(.padding)
        default: return nil
        }
    }

    func testGolden_BadCheckpoints_AreRefusedForTheListedReason() throws {
        let table = try JSONDecoder().decode([String: String].self,
                                             from: Data(contentsOf: URL(fileURLWithPath: golden + "/bad/expected-errors.json")))
        let folders = listing(golden + "/bad").filter { FileSystem.kind(of: golden + "/bad/" + $0) == .directory }
        XCTAssertEqual(Set(folders), Set(table.keys), "bad/ folders and expected-errors.json agree")
        XCTAssertGreaterThanOrEqual(table.count, 20)

        for (folder, keyword) in table.sorted(by: { $0.key < $1.key }) {
            let label = "bad/\(folder) (\(keyword))"
            guard let detection = detection(keyword) else {
                XCTFail("\(label): unknown keyword")
                continue
            }
            let opened: Checkpoint
            do {
                opened = try Checkpoint(directory: golden + "/bad/" + folder)
            } catch {
                guard case let .open(matches) = detection else {
                    XCTFail("\(label): must open and fail verification, but open threw: \(error)")
                    continue
                }
                XCTAssertTrue(matches(error.reason), "\(label): wrong reason: \(error)")
                if folder == "newer-major-version" {
                    XCTAssertTrue(error.description.contains("checkpoint format 2.0 is newer than the 1.x this zoo reads"),
                                  error.description)
                }
                continue
            }
            switch detection {
            case .open:
                XCTFail("\(label): opened, but must be refused at open (digest \(opened.digest))")
            case let .fastVerify(kind):
                let fast = opened.verify(.files)
                XCTAssertTrue(fast.failures.contains { $0.kind == kind }, "\(label): fast verify found \(fast.failures)")
            case let .deepVerifyOnly(kind):
                let fast = opened.verify(.files)
                XCTAssertTrue(fast.isClean, "\(label): must pass fast verification, found \(fast.failures)")
                let deep = opened.verify(.deep)
                XCTAssertTrue(deep.failures.contains { $0.kind == kind }, "\(label): deep verify found \(deep.failures)")
                XCTAssertFalse(deep.isClean, label)
            }
        }
    }

    func testGolden_PathDotDot_NeverReadsTheFileOutside() {
        // bad/path-dotdot/evil.txt exists on purpose: the manifest is refused before any path is used.
        XCTAssertThrowsError(try Checkpoint(directory: golden + "/bad/path-dotdot")) { error in
            XCTAssertEqual((error as? FormatError)?.reason,
                           .invalidPath("assets/../evil.txt", why: #"empty, "." or ".." component"#))
        }
    }
}
