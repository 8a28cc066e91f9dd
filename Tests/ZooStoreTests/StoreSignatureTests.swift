import Foundation
import XCTest
import ZooFormat
import ZooStore

/// Store+Signatures: opaque bundles kept beside models, dropped with them.
final class StoreSignatureTests: StoreTestCase {
    private func importModel(_ label: String, seed: Float) throws -> SHA256Digest {
        try store.importCheckpoint(try makeCheckpoint(label, seed: seed, name: label), name: try ModelReference(parsing: label + ":v1"))
    }

    func testAddSignature_KeptByteForByte_OldestFirst_SameBytesOnce() throws {
        let model = try importModel("tiny", seed: 1)
        let first = Array("bundle one".utf8), second = Array("bundle two".utf8)
        let a = try store.addSignature(first, for: model, at: Date(timeIntervalSince1970: 2_000_000_000))
        let b = try store.addSignature(second, for: model, at: Date(timeIntervalSince1970: 1_000_000_000))
        XCTAssertEqual(a.digest, SHA256.digest(first))
        XCTAssertEqual(a.path, store.root + "/signatures/\(model.hex)/\(SHA256.digest(first).hex).json")
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: a.path))), first)
        let again = try store.addSignature(first, for: model, at: Date(timeIntervalSince1970: 3_000_000_000))
        XCTAssertEqual(again.added, Date(timeIntervalSince1970: 2_000_000_000), "the first add's time is kept")
        let listed = try store.signatures(for: model)
        XCTAssertEqual(listed.map(\.bundle), [second, first])
        XCTAssertEqual(listed.map(\.added), [b.added, a.added])

        try store.removeSignature(b.digest, for: model)
        XCTAssertEqual(try store.signatures(for: model).map(\.bundle), [first])
        try store.removeSignature(a.digest, for: model)
        XCTAssertEqual(try store.signatures(for: model), [])
        XCTAssertEqual(FileSystem.kind(of: store.root + "/signatures/" + model.hex), .missing)
    }

    func testAddSignature_UnknownModel_Refused() throws {
        let digest = SHA256.digest(Array("no such model".utf8))
        XCTAssertThrowsError(try store.addSignature([1], for: digest)) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .noSuchModel(digest.description))
        }
    }

    func testAddSignature_OverTheLimit_Refused() throws {
        let model = try importModel("tiny", seed: 1)
        let big = [UInt8](repeating: 0x20, count: Store.maxSignatureByteCount + 1)
        XCTAssertThrowsError(try store.addSignature(big, for: model)) { error in
            XCTAssertEqual((error as? StoreError)?.reason, .signatureTooLarge(size: big.count, limit: Store.maxSignatureByteCount))
        }
        XCTAssertEqual(FileSystem.kind(of: store.root + "/signatures"), .missing)
    }

    func testSignatures_DamagedFile_Skipped() throws {
        let model = try importModel("tiny", seed: 1)
        let stored = try store.addSignature(Array("bundle".utf8), for: model)
        try Data("bundlf".utf8).write(to: URL(fileURLWithPath: stored.path))
        XCTAssertEqual(try store.signatures(for: model), [], "bytes that do not hash to their name are no signature")
    }

    func testRemoveAndGC_DropSignaturesOfModelsNoRefNames() throws {
        let kept = try importModel("kept", seed: 1)
        let gone = try importModel("gone", seed: 2)
        try store.addSignature([1], for: kept)
        try store.addSignature([2], for: gone)
        try store.remove(try ModelReference(parsing: "gone:v1"))
        XCTAssertEqual(try store.signatures(for: gone), [])
        XCTAssertEqual(try store.signatures(for: kept).count, 1)

        try FileSystem.makeDirectories(store.root + "/signatures/" + gone.hex)
        try FileSystem.makeDirectories(store.root + "/signatures/not-a-digest")
        let dry = try store.collectGarbage(dryRun: true)
        XCTAssertEqual(dry.deletedSignatures.sorted(), [gone.hex, "not-a-digest"].sorted())
        XCTAssertEqual(FileSystem.kind(of: store.root + "/signatures/" + gone.hex), .directory)
        let report = try store.collectGarbage()
        XCTAssertEqual(report.deletedSignatures.sorted(), [gone.hex, "not-a-digest"].sorted())
        XCTAssertEqual(try FileSystem.listDirectory(store.root + "/signatures"), [kept.hex])
    }

    /// The folder form's list is what a folder written from the stored model holds, file for file.
    func testFolderFiles_MatchTheWrittenFolderForm() throws {
        let model = try importModel("tiny", seed: 1)
        let out = scratch + "/folder"
        try store.checkpoint(digest: model).writeFolderForm(to: out)
        let files = try store.folderFiles(for: model)
        XCTAssertEqual(files.map(\.path), ["manifest.json", "shards/00000.bin", "assets/config.json"])
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out + "/" + file.path)))
            XCTAssertEqual(SHA256.digest(bytes), file.digest, file.path)
        }
        XCTAssertEqual(files.first?.digest, model)
        XCTAssertEqual(TestCheckpoints.listing(out).count, files.count + 2, "manifest, shards/, assets/ and nothing else: \(TestCheckpoints.listing(out))")
    }
}
