import Dispatch
import Foundation
import XCTest
import ZooFormat
import ZooStore

final class StoreConcurrencyTests: XCTestCase {
    private var scratch = ""

    override func setUpWithError() throws {
        scratch = try TestCheckpoints.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try FileSystem.removeTree(scratch)
    }

    func testImport_SameModelFromTwoThreads_BothSucceedWithOneCopy() throws {
        let manifest = try TestCheckpoints.writeLarge(at: scratch + "/cp", megabytes: 16, tensorMegabytes: 4,
                                                      shardMegabytes: 8)
        let checkpoint = try Checkpoint(directory: scratch + "/cp")
        let store = Store(root: scratch + "/store")
        for round in 0..<3 {
            let results = Results()
            DispatchQueue.concurrentPerform(iterations: 2) { thread in
                do {
                    let name = try ModelReference(name: "big", tag: "r\(round)t\(thread)")
                    results.append(.success(try store.importCheckpoint(checkpoint, name: name)))
                } catch {
                    results.append(.failure(error))
                }
            }
            XCTAssertEqual(try results.values.map { try $0.get() }, [manifest.digest, manifest.digest], "round \(round)")
            XCTAssertEqual(Set(try store.storedBlobs()), try store.blobs(ofModel: manifest.digest))
            XCTAssertEqual(try FileSystem.listDirectory(store.tmpDirectory), [])
            XCTAssertTrue(try store.verify(try ModelReference(name: "big", tag: "r\(round)t0")).isClean)
            // Remove everything so the next round copies every blob again.
            _ = try store.remove(.digest(manifest.digest))
            XCTAssertEqual(try store.storedBlobs(), [])
        }
    }

    func testImportAndRemove_Interleaved_KeepStoreConsistent() throws {
        let store = Store(root: scratch + "/store")
        var checkpoints: [Checkpoint] = []
        for seed in 0..<4 {
            try TestCheckpoints.write(at: scratch + "/cp\(seed)", seed: Float(seed + 1))
            checkpoints.append(try Checkpoint(directory: scratch + "/cp\(seed)"))
        }
        let captured = checkpoints
        let failures = Results()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for round in 0..<10 {
                do {
                    let name = try ModelReference(name: "m\(worker)")
                    try store.importCheckpoint(captured[(worker + round) % captured.count], name: name)
                    if round % 3 == 2 { try store.remove(name) }
                } catch {
                    failures.append(.failure(error))
                }
            }
        }
        XCTAssertEqual(failures.values.count, 0, "\(failures.values)")
        XCTAssertEqual(Set(try store.storedBlobs()), try store.reachableBlobs(), "no orphan and no missing blob")
        for ref in try store.refs() {
            XCTAssertTrue(try store.verify(ref.reference, options: .deep).isClean)
        }
        XCTAssertEqual(try FileSystem.listDirectory(store.tmpDirectory), [])
    }
}

/// Results collected from several threads.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<SHA256Digest, Error>] = []
    func append(_ result: Result<SHA256Digest, Error>) {
        lock.lock()
        stored.append(result)
        lock.unlock()
    }
    var values: [Result<SHA256Digest, Error>] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
