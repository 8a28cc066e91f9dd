import Foundation
import XCTest
import ZooFormat
import ZooStore

/// Kills a `zoo import` of a ~100 MB checkpoint at moments spread over the whole import and
/// checks after each kill that the store is consistent.
final class StoreCrashTests: XCTestCase {
    private var scratch = ""

    override func setUpWithError() throws {
        scratch = try TestCheckpoints.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try FileSystem.removeTree(scratch)
    }

    func testImport_KilledAtRandomMoments_StoreStaysConsistent() throws {
        let source = scratch + "/big"
        let manifest = try TestCheckpoints.writeLarge(at: source, megabytes: 96, tensorMegabytes: 8, shardMegabytes: 32)
        XCTAssertEqual(manifest.shards.count, 3)
        let store = Store(root: scratch + "/store")
        let home = store.root

        // An uninterrupted import, to learn how long one takes here.
        let started = Date()
        XCTAssertEqual(try ZooBinary.run(["import", source, "--name", "big:full"], home: home), 0)
        let duration = Date().timeIntervalSince(started)
        try assertConsistent(store, context: "after a full import")
        try clear(store)

        // Timed kills spread over the import (and a little past its end), one random moment per
        // slice; then kills at the instant something appears in tmp/, in blobs/ or in refs/, to
        // hit the short commit phase too.
        let timedRounds = 8
        let events: [(String, (Set<String>) -> Bool)] = [
            ("a new file in tmp/", { earlier in
                ((try? FileSystem.listDirectory(store.tmpDirectory)) ?? []).contains { name in
                    !earlier.contains(name) && Self.containsFile(store.tmpDirectory + "/" + name)
                }
            }),
            ("a blob", { _ in Self.containsFile(store.blobDirectory) }),
            ("a summary", { _ in Self.containsFile(store.summaryDirectory) }),
            ("a ref", { _ in Self.containsFile(store.refDirectory) }),
        ]
        var moments: [String] = []
        for round in 0..<(timedRounds + events.count) {
            let leftovers = Set((try? FileSystem.listDirectory(store.tmpDirectory)) ?? [])
            let process = try ZooBinary.start(["import", source, "--name", "big:r\(round)"], home: home)
            let moment: String
            if round < timedRounds {
                let delay = duration * 1.1 * (Double(round) + Double.random(in: 0..<1)) / Double(timedRounds)
                usleep(useconds_t(delay * 1_000_000))
                moment = String(format: "%.3fs", delay)
            } else {
                let (what, happened) = events[round - timedRounds]
                let deadline = Date().addingTimeInterval(max(10, duration * 5))
                while !happened(leftovers) && process.isRunning && Date() < deadline { usleep(20) }
                moment = "the first sign of " + what
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let outcome = process.terminationReason == .uncaughtSignal ? "killed" : "exited \(process.terminationStatus)"
            moments.append("\(moment) (\(outcome))")
            let context = "round \(round): kill at \(moments.last ?? "")"

            try assertConsistent(store, context: context)
            for ref in try store.refs() {
                XCTAssertEqual(ref.digest, manifest.digest, context)
                XCTAssertEqual(try ZooBinary.run(["verify", ref.description], home: home), 0, context)
            }
            try clear(store)
        }

        // Leftovers in tmp/ (if any) do not get in the way.
        XCTAssertEqual(try ZooBinary.run(["import", source, "--name", "big:final"], home: home), 0, "\(moments)")
        XCTAssertEqual(try ZooBinary.run(["verify", "big:final", "--deep"], home: home), 0)
        XCTAssertEqual(try ZooBinary.run(["list"], home: home), 0)
        XCTAssertEqual(try store.resolve(try ModelReference(parsing: "big:final")), manifest.digest)
        XCTAssertEqual(Set(try store.storedBlobs()), try store.blobs(ofModel: manifest.digest))
    }

    /// Refs only point at complete blobs: every ref's manifest blob hashes to its digest and every
    /// blob it lists exists with its size; and every blob file at all hashes to its name (blobs
    /// appear only complete). Leftovers may only be in tmp/.
    private func assertConsistent(_ store: Store, context: String) throws {
        do {
            try checkConsistent(store, context: context)
        } catch {
            XCTFail("\(context): \(error)")
            throw error
        }
    }

    private func checkConsistent(_ store: Store, context: String) throws {
        for ref in try store.refs() {
            let manifest = try store.manifest(for: ref.digest)
            for entry in manifest.shards + manifest.assets {
                XCTAssertEqual(try FileSystem.fileSize(store.blobPath(entry.digest)), entry.length, "\(context): \(entry.path)")
            }
        }
        for blob in try store.storedBlobs() {
            let file = try MappedFile(path: store.blobPath(blob))
            XCTAssertEqual(SHA256.digest(file.bytes), blob, "\(context): blob \(blob) is incomplete")
        }
        let top = try FileSystem.listDirectory(store.root)
        XCTAssertTrue(Set(top).isSubset(of: ["blobs", "refs", "tmp", "lock", "index"]), "\(context): \(top)")
        // index/: a ref index that is there lists exactly the refs; every ref has a summary
        // (written before it) that describes its model; list agrees with the manifests.
        let refs = try store.refs()
        if let bytes = try? FileSystem.readFile(store.indexDirectory + "/refs", limit: 1 << 24) {
            let listed = try XCTUnwrap(try JSONValue(parsing: bytes)["refs"]?.arrayValue, context)
            XCTAssertEqual(listed.map { "\($0["name"]?.stringValue ?? ""):\($0["tag"]?.stringValue ?? "")" },
                           refs.map(\.description), "\(context): index/refs")
        }
        for ref in refs {
            XCTAssertEqual(FileSystem.kind(of: store.summaryPath(ref.digest)), .regular, "\(context): summary of \(ref)")
            XCTAssertEqual(try store.summary(for: ref.digest).tensorCount, try store.manifest(for: ref.digest).tensors.count)
        }
        XCTAssertEqual(try store.list().map(\.ref.description), refs.map(\.description), context)
        for name in try FileSystem.listDirectory(store.blobDirectory) {
            XCTAssertNotNil(SHA256Digest(hex: name), "\(context): stray file \(name) in blobs/")
        }
    }

    /// Whether any regular file is under `directory` (a poll: cheap, no hashing).
    private static func containsFile(_ directory: String) -> Bool {
        if FileSystem.kind(of: directory) == .regular { return true }
        for name in (try? FileSystem.listDirectory(directory)) ?? [] {
            let path = directory + "/" + name
            switch FileSystem.kind(of: path) {
            case .regular: return true
            case .directory: if containsFile(path) { return true }
            default: continue
            }
        }
        return false
    }

    /// Removes every model and every unreachable blob (what a gc would do), so that the next
    /// import copies everything again; tmp/ is left as the kill left it.
    private func clear(_ store: Store) throws {
        for ref in try store.refs() { try store.remove(ref.reference) }
        for blob in try store.unreachableBlobs() { try FileSystem.removeTree(store.blobPath(blob)) }
        XCTAssertEqual(try store.storedBlobs(), [])
    }
}
