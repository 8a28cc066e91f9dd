import ZooConverters
import ZooFormat

/// Largest tensor payload a harness writes out as a checkpoint: bigger models are still
/// parsed and validated, but writing them would only slow the fuzzer down.
public let maxWrittenBytes = 1 << 20

/// Writes `model` as a checkpoint folder in the scratch folder when it is small, then holds the
/// writer to its promise: what it wrote opens and verifies clean (deep). Removes the folder.
public func writeAndVerify(_ model: ForeignModel) {
    guard model.tensorByteCount <= maxWrittenBytes else { return }
    let destination = scratchDirectory + "/checkpoint"
    removeTree(destination)
    defer { removeTree(destination) }
    // A converter may refuse while writing (a value it cannot represent): a typed error, fine.
    guard (try? model.write(to: destination)) != nil else { return }
    let checkpoint: Checkpoint
    do { checkpoint = try Checkpoint(directory: destination) } catch {
        fuzzFailure("a checkpoint just written does not open: \(error)")
    }
    let report = checkpoint.verify(.deep)
    guard report.isClean else { fuzzFailure("a checkpoint just written fails deep verification: \(report.failures)") }
}

/// Runs `bytes` through `NumPyImporter` as a file named `name` in the scratch folder, then
/// ``writeAndVerify(_:)``.
public func importNumPy(_ bytes: [UInt8], name: String) {
    let path = scratchFile(name, bytes)
    defer { removeTree(path) }
    guard let model = try? NumPyImporter().model(from: path, scratchDirectory: scratchDirectory) else { return }
    writeAndVerify(model)
}
