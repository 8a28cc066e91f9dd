import FuzzSupport
import ZooFormat

/// Checkpoint folders: `Checkpoint(directory:)` (manifest, file kinds and sizes) and deep
/// verification. The input is a sequence of files, each `[index: u8][length: u32 LE][bytes]`,
/// `index` choosing one of a fixed list of paths (``FolderInput/paths``), so the fuzzer cannot
/// write outside the scratch folder; a truncated last record takes the bytes that remain.
func fuzzCheckpointFolder(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let folder = scratchDirectory + "/folder"
    removeTree(folder)
    defer { removeTree(folder) }
    FolderInput.write(UnsafeRawBufferPointer(start: data, count: size), to: folder)
    guard let checkpoint = try? Checkpoint(directory: folder) else { return 0 }
    blackHole(checkpoint.verify(.deep))
    for entry in checkpoint.manifest.tensors {
        guard let view = try? checkpoint.tensor(named: entry.name) else { continue }
        blackHole(view)
    }
    return 0
}

runFuzzer(fuzzCheckpointFolder)
