import FuzzSupport
import ZooConverters

/// GGUF: header, metadata key/values (nested arrays), tensor infos, alignment, data layout;
/// then every tensor's bytes and every metadata value are read once, and small models are
/// imported (metadata to JSON, architecture mapping) and verified.
func fuzzGGUF(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    guard let file = try? GGUFFile(bytes: inputBytes(data, size), name: "fuzz.gguf") else { return 0 }
    var sum: UInt8 = 0
    for entry in file.metadata { blackHole(file.value(forKey: entry.key)) }
    for tensor in file.tensors {
        guard file.tensor(named: tensor.name) != nil else { fuzzFailure("tensor \(tensor.name) not found by name") }
        sum &+= checksum(tensor.bytes)
        blackHole((tensor.shape, tensor.elementCount, tensor.type.description))
    }
    blackHole(sum)
    // A refusal (a split part, a tensorless file with data) is a typed error: fine.
    guard let model = try? GGUFImporter().model(of: file) else { return 0 }
    writeAndVerify(model)
    return 0
}

runFuzzer(fuzzGGUF)
