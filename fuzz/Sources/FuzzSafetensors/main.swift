import FuzzSupport
import ZooConverters

/// Safetensors: header length, JSON header, layout; then every tensor's bytes are read once,
/// and small files are imported and verified.
func fuzzSafetensors(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let bytes = inputBytes(data, size)
    guard let file = try? SafetensorsFile(bytes: bytes, name: "fuzz.safetensors") else { return 0 }
    var sum: UInt8 = 0
    for tensor in file.tensors {
        _ = file.tensor(named: tensor.name)
        sum &+= checksum(tensor.bytes)
        _ = tensor.elementCount
    }
    blackHole(sum)
    // The importer reads files: the same bytes again, from the scratch folder.
    let path = scratchFile("fuzz.safetensors", bytes)
    defer { removeTree(path) }
    if let model = try? SafetensorsImporter().model(from: path) { writeAndVerify(model) }
    return 0
}

runFuzzer(fuzzSafetensors)
