import ZooConverters

/// Largest tensor payload a harness writes out as a checkpoint: bigger models are still
/// parsed and validated, but writing them would only slow the fuzzer down.
public let maxWrittenBytes = 1 << 20

/// Runs `bytes` through `NumPyImporter` as a file named `name` in the scratch folder and, when
/// the model is small, writes it as a checkpoint folder there (then removes it).
public func importNumPy(_ bytes: [UInt8], name: String) {
    let path = scratchFile(name, bytes)
    defer { removeTree(path) }
    guard let model = try? NumPyImporter().model(from: path, scratchDirectory: scratchDirectory) else { return }
    guard model.tensorByteCount <= maxWrittenBytes else { return }
    let destination = scratchDirectory + "/checkpoint"
    removeTree(destination)
    defer { removeTree(destination) }
    _ = try? model.write(to: destination)
}
