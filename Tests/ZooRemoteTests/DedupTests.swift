import XCTest
import ZooFormat
import ZooStore
@testable import ZooRemote

/// The dedup figure of issue 3: a 12-layer model (BERT-base proportions, hidden 256) and a
/// fine-tune of it with the top 2 layers and a new head changed. After the parent, a push or
/// pull of the fine-tune must move at most 20% of the full model's bytes.
final class DedupTests: XCTestCase {
    private var scratch = ""
    private var registry: RegistryProcess?

    /// BERT-base is hidden 768, vocabulary 30522; both are scaled by 1/3 to keep the test fast.
    private static let parent = BertLikeModel.make(hidden: 256, vocabulary: 10174, labels: 2, seed: 1)
    private static let fineTune = parent.fineTuned(changedLayers: 2, labels: 3, seed: 99)
    static let limit = 0.20

    override func setUpWithError() throws {
        scratch = try TestSupport.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        registry?.stop()
        try FileSystem.removeTree(scratch)
    }

    /// Bytes of the blobs of `model` (manifest, shards, assets) that `parent` does not have.
    private func newBytes(_ model: Manifest, after parent: Manifest) -> (moved: Int, total: Int) {
        let have = Set([parent.digest] + (parent.shards + parent.assets).map(\.digest))
        var seen = Set<SHA256Digest>()
        var moved = 0
        var total = model.canonicalBytes.count
        if !have.contains(model.digest) { moved += total }
        for entry in model.shards + model.assets where seen.insert(entry.digest).inserted {
            total += entry.length
            if !have.contains(entry.digest) { moved += entry.length }
        }
        return (moved, total)
    }

    func testFineTune_ShardingRules_FractionOfBytesNotSharedWithTheParent() throws {
        var fractions: [String: Double] = [:]
        let variants: [(String, WriterOptions)] = [
            ("packed up to 256 MiB", WriterOptions(maxShardByteCount: 256 << 20)),
            ("packed up to 16 MiB", WriterOptions(maxShardByteCount: 16 << 20)),
            ("canonical (the default)", WriterOptions()),
        ]
        for (index, (label, options)) in variants.enumerated() {
            let parent = try Self.parent.write(to: scratch + "/parent\(index)", name: "bert", options: options)
            let tuned = try Self.fineTune.write(to: scratch + "/tuned\(index)", name: "bert", options: options)
            let (moved, total) = newBytes(tuned, after: parent)
            fractions[label] = Double(moved) / Double(total)
            print(String(format: "dedup: %@: %d shards, fine-tune moves %d of %d bytes (%.1f%%)",
                         label, tuned.shards.count, moved, total, 100 * Double(moved) / Double(total)))
        }
        XCTAssertLessThanOrEqual(try XCTUnwrap(fractions["canonical (the default)"]), Self.limit)
        XCTAssertGreaterThan(try XCTUnwrap(fractions["packed up to 256 MiB"]), Self.limit,
                             "a 256 MiB target puts every layer in one shard: only embeddings and assets are shared")
    }

    func testPushAndPull_FineTuneAfterItsParent_MoveAtMostTwentyPercent() throws {
        let registry = try RegistryProcess()
        self.registry = registry
        let source = Store(root: scratch + "/source")
        try Self.parent.write(to: scratch + "/parent", name: "bert")
        try Self.fineTune.write(to: scratch + "/tuned", name: "bert-tuned")
        let parentDigest = try source.importCheckpoint(try Checkpoint(directory: scratch + "/parent"), name: try ModelReference(parsing: "bert"))
        let tunedDigest = try source.importCheckpoint(try Checkpoint(directory: scratch + "/tuned"), name: try ModelReference(parsing: "bert-tuned"))
        let oci = OCIImageManifest(checkpoint: try source.manifest(for: tunedDigest)).bytes.count

        var pusher = RemoteClient(store: source, environment: [:], workingDirectory: scratch)
        pusher.insecure = true
        try pusher.push(try ModelReference(parsing: "bert"), to: try pusher.target("oci://\(registry.address)/models/bert"))
        let push = try pusher.push(try ModelReference(parsing: "bert-tuned"), to: try pusher.target("oci://\(registry.address)/models/bert-tuned"))
        let pushFraction = Double(push.uploadedByteCount + oci) / Double(push.totalByteCount)
        XCTAssertLessThanOrEqual(pushFraction, Self.limit)
        XCTAssertGreaterThan(push.mountedBlobCount, 0, "the shared layers are mounted from the parent's repository")

        let target = Store(root: scratch + "/target")
        var puller = RemoteClient(store: target, environment: [:], workingDirectory: scratch)
        puller.insecure = true
        XCTAssertEqual(try puller.pull(try puller.target("oci://\(registry.address)/models/bert"), as: nil).stored.digest, parentDigest)
        let pull = try puller.pull(try puller.target("oci://\(registry.address)/models/bert-tuned"), as: nil)
        XCTAssertEqual(pull.stored.digest, tunedDigest)
        let pullFraction = Double(pull.transferredByteCount) / Double(pull.totalByteCount)
        XCTAssertLessThanOrEqual(pullFraction, Self.limit)
        XCTAssertEqual(try target.verify(.digest(tunedDigest), options: .deep).failures, [])
        print(String(format: "dedup: registry push of the fine-tune after its parent: %d of %d bytes (%.1f%%); pull: %d of %d (%.1f%%)",
                     push.uploadedByteCount + oci, push.totalByteCount, 100 * pushFraction,
                     pull.transferredByteCount, pull.totalByteCount, 100 * pullFraction))
    }
}
