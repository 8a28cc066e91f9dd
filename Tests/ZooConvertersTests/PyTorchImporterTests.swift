import XCTest
@testable import ZooConverters
import ZooFormat

/// Importing into checkpoint folders: strided views gathered exactly, selections, naming,
/// and failures that leave nothing behind.
final class PyTorchImporterTests: XCTestCase {
    /// An archive whose storage 0 holds `storageCount` F32 values 0, 1, 2, ... and whose pickle
    /// is `{name: view}` for each (name, offset, size, stride).
    private func viewsArchive(storageCount: Int, _ views: [(String, Int, [Int], [Int])]) -> [UInt8] {
        var pickle = PickleBuilder()
        pickle.emptyDict()
        pickle.mark()
        for (name, offset, size, stride) in views {
            pickle.string(name)
            pickle.tensor(key: "0", numel: storageCount, offset: offset, size: size, stride: stride)
        }
        pickle.setItems()
        pickle.stop()
        return ZipBuilder.torch(pickle: pickle.bytes, storages: ZipBuilder.floatStorages([storageCount])).bytes
    }

    /// The row-major elements of a view, computed the obvious way.
    private func naiveGather(offset: Int, size: [Int], stride: [Int]) -> [Float] {
        guard !size.contains(0) else { return [] }
        var result: [Float] = []
        var index = [Int](repeating: 0, count: size.count)
        repeat {
            result.append(Float(offset + zip(index, stride).map { $0 * $1 }.reduce(0, +)))
            var d = size.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < size[d] { break }
                index[d] = 0
                d -= 1
            }
            if d < 0 { break }
        } while true
        return result
    }

    private func floats(_ bytes: [UInt8]) -> [Float] {
        stride(from: 0, to: bytes.count, by: 4).map { (i: Int) -> Float in
            var bits: UInt32 = 0
            for k in 0..<4 { bits |= UInt32(bytes[i + k]) << UInt32(8 * k) }
            return Float(bitPattern: bits)
        }
    }

    func testGather_RandomViews_MatchTheNaiveGatherInAnyChunking() throws {
        var random = SplitMix64(seed: 2008)
        var views: [(String, Int, [Int], [Int])] = []
        for i in 0..<200 {
            let rank = Int.random(in: 0...5, using: &random)
            let size = (0..<rank).map { _ in Int.random(in: 0...4, using: &random) }
            let stride = (0..<rank).map { _ in Int.random(in: 0...7, using: &random) }
            let offset = Int.random(in: 0...5, using: &random)
            views.append(("v\(i)", offset, size, stride))
        }
        views.append(("transposed", 0, [5, 3], [1, 5]))
        views.append(("expanded", 2, [3, 4], [0, 1]))
        views.append(("column", 1, [4], [6]))
        let storageCount = 400
        let checkpoint = try PyTorchCheckpoint(bytes: viewsArchive(storageCount: storageCount, views), name: "v.pt")
        for (name, offset, size, stride) in views {
            let tensor = try XCTUnwrap(checkpoint.tensor(named: name), name)
            let expected = naiveGather(offset: offset, size: size, stride: stride)
            XCTAssertEqual(floats(tensor.contiguousCopy()), expected, "\(name) \(size) \(stride)")
            for chunk in [4, 12, 20] {
                var bytes: [UInt8] = []
                tensor.forEachChunk(maxChunkBytes: chunk) { (piece: UnsafeRawBufferPointer) in
                    XCTAssertLessThanOrEqual(piece.count, max(chunk, tensor.isContiguous ? piece.count : chunk))
                    bytes += piece
                }
                XCTAssertEqual(floats(bytes), expected, "\(name) in \(chunk)-byte chunks")
            }
        }
    }

    func testImport_TransposedView_IsWrittenContiguous() throws {
        let destination = try makeTemporaryDirectory(self) + "/t"
        let bytes = viewsArchive(storageCount: 6, [("w", 0, [2, 3], [3, 1]), ("w_t", 0, [3, 2], [1, 3])])
        let path = destination + ".pt"
        try writeBytes(bytes, to: path)
        let manifest = try PyTorchImporter().importFile(path, to: destination)
        let checkpoint = try Checkpoint(directory: destination)
        XCTAssertEqual(try checkpoint.tensor(named: "w_t").scalars(as: Float.self), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(manifest.metadata["pytorch.shared_storages"], [["w", "w_t"]])
        XCTAssertEqual(manifest.name, "t")
    }

    func testImport_SelectionEverything_NamesEveryTensorByItsPath() throws {
        let checkpoint = try PyTorchCheckpoint(path: pytorchFixtures + "/nested.pt", selection: .everything)
        XCTAssertEqual(checkpoint.tensors.map(\.name), [
            "model.encoder.weight", "model.encoder.bias", "model.head.weight", "model.layers.0", "model.layers.1",
            "optimizer.state.0.exp_avg", "optimizer.state.0.step",
        ])
        XCTAssertNil(checkpoint.selectedKey)
        XCTAssertEqual(checkpoint.skippedKeys, [])
        // Values through dicts only: the optimizer's lr is in a list, so not recorded.
        XCTAssertEqual(checkpoint.values, ["epoch": 3, "lr": 0.1, "name": "run-1", "best": nil, "done": true])
    }

    func testImport_SelectionKey_TakesThatEntryOrThrows() throws {
        let optimizer = try PyTorchCheckpoint(path: pytorchFixtures + "/nested.pt", selection: .key("optimizer.state"))
        XCTAssertEqual(optimizer.tensors.map(\.name), ["0.exp_avg", "0.step"])
        XCTAssertEqual(optimizer.skippedKeys, ["model"])
        let error = pytorchError { _ = try PyTorchCheckpoint(path: pytorchFixtures + "/nested.pt", selection: .key("ema")) }
        XCTAssertEqual(error, PyTorchError(file: pytorchFixtures + "/nested.pt", member: "nested/data.pkl", reason: .missingKey("ema")))
    }

    func testImport_LoneTensorAndEmptyDict() throws {
        var lone = PickleBuilder()
        lone.tensor(key: "0", numel: 2, size: [2], stride: [1])
        lone.stop()
        let checkpoint = try PyTorchCheckpoint(
            bytes: ZipBuilder.torch(pickle: lone.bytes, storages: ZipBuilder.floatStorages([2])).bytes, name: "t.pt")
        XCTAssertEqual(checkpoint.tensors.map(\.name), ["tensor"])

        let empty = ZipBuilder.torch(pickle: PickleBuilder.stateDict([]).bytes, storages: []).bytes
        XCTAssertEqual(pytorchError { _ = try PyTorchCheckpoint(bytes: empty, name: "e.pt") },
                       PyTorchError(file: "e.pt", member: "archive/data.pkl", reason: .noTensors))
    }

    func testImport_NamesThatCollideOnceFlattened_AreRefused() {
        var pickle = PickleBuilder()
        pickle.emptyDict()
        pickle.mark()
        pickle.string("a.b")
        pickle.tensor(key: "0", numel: 1, size: [1], stride: [1])
        pickle.string("a")
        pickle.emptyDict()
        pickle.string("b")
        pickle.tensor(key: "1", numel: 1, size: [1], stride: [1])
        pickle.op(0x73)
        pickle.setItems()
        pickle.stop()
        let bytes = ZipBuilder.torch(pickle: pickle.bytes, storages: ZipBuilder.floatStorages([1, 1])).bytes
        XCTAssertEqual(pytorchError { _ = try PyTorchCheckpoint(bytes: bytes, name: "c.pt") }?.reason, .duplicateTensorName("a.b"))
    }

    func testImport_NegBit_IsRefusedNamingTheTensor() {
        var pickle = PickleBuilder()
        pickle.emptyDict()
        pickle.string("w")
        pickle.global("torch._utils", "_rebuild_tensor_v2")
        pickle.mark(); pickle.mark()
        pickle.string("storage"); pickle.global("torch", "FloatStorage"); pickle.string("0"); pickle.string("cpu"); pickle.int(2)
        pickle.tuple(); pickle.op(0x51)
        pickle.int(0); pickle.ints([2]); pickle.ints([1]); pickle.bool(false)
        pickle.global("collections", "OrderedDict"); pickle.emptyTuple(); pickle.reduce()
        pickle.emptyDict(); pickle.string("neg"); pickle.bool(true); pickle.op(0x73)
        pickle.tuple(); pickle.reduce()
        pickle.op(0x73)
        pickle.stop()
        let bytes = ZipBuilder.torch(pickle: pickle.bytes, storages: ZipBuilder.floatStorages([2])).bytes
        XCTAssertEqual(pytorchError { _ = try PyTorchCheckpoint(bytes: bytes, name: "n.pt") }?.reason,
                       .unsupportedTensorFlag(tensor: "w", flag: "neg"))
    }

    func testImport_DestinationExists_ThrowsAndLeavesIt() throws {
        let directory = try makeTemporaryDirectory(self)
        let destination = directory + "/out"
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
        let error = pytorchError { try PyTorchImporter().importFile(pytorchFixtures + "/views.pt", to: destination) }
        guard case .checkpoint = error?.reason else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(folderContents(directory), ["out"])
        XCTAssertEqual(folderContents(destination), [])
    }

    func testImport_MissingFile_IsAnIOError() {
        let error = pytorchError { try PyTorchImporter().importFile("/nonexistent/model.pt", to: "/tmp/unused") }
        guard case let .io(io)? = error?.reason else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(io.path, "/nonexistent/model.pt")
    }

    func testDefaultName_StripsTheUsualExtensions() {
        XCTAssertEqual(PyTorchImporter.defaultName("models/pytorch_model.bin"), "pytorch_model")
        XCTAssertEqual(PyTorchImporter.defaultName("resnet18.pth"), "resnet18")
        XCTAssertEqual(PyTorchImporter.defaultName("a/b/last.ckpt"), "last")
        XCTAssertEqual(PyTorchImporter.defaultName(".pt"), ".pt")
    }
}
