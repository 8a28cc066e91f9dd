import FuzzSupport
import ZooFormat

/// `.zoo` / `.zoo.zst` archives: compression sniffing, the tar stream (libarchive), member
/// names, order and sizes against the manifest, offsets of mapped tensors. An archive that
/// opens is verified deep (every shard, asset, tensor and padding byte); a compressed one is
/// extracted (streaming, bounded, hashed) instead.
func fuzzArchive(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let path = scratchFile("fuzz.zoo", inputBytes(data, size))
    defer { removeTree(path) }
    switch CheckpointArchive.compression(ofFileAt: path) {
    case .none?:
        guard let checkpoint = try? CheckpointArchive.open(path) else { return 0 }
        blackHole(checkpoint.verify(.deep))
    case .zstd?:
        let destination = scratchDirectory + "/extracted"
        removeTree(destination)
        defer { removeTree(destination) }
        _ = try? CheckpointArchive.extract(path, to: destination)
    case nil:
        return 0
    }
    return 0
}

runFuzzer(fuzzArchive)
