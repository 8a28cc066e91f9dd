import XCTest
import ZooFormat
import ZooStore

/// A test case with a fresh store in its own temp folder (removed afterwards), and small
/// checkpoints written beside it.
class StoreTestCase: XCTestCase {
    /// The test's temp folder; the store is `scratch/store`.
    var scratch = ""
    var store = Store(root: "/nonexistent")

    override func setUpWithError() throws {
        scratch = try TestCheckpoints.makeTemporaryDirectory()
        store = Store(root: scratch + "/store")
    }

    override func tearDownWithError() throws {
        try FileSystem.removeTree(scratch)
    }

    /// A small checkpoint folder at `scratch/label` (``TestCheckpoints/write(at:name:seed:)``), opened.
    func makeCheckpoint(_ label: String = "cp", seed: Float = 1, name: String = "tiny") throws -> Checkpoint {
        try TestCheckpoints.write(at: scratch + "/" + label, name: name, seed: seed)
        return try Checkpoint(directory: scratch + "/" + label)
    }
}
