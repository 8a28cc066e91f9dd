import FuzzSupport
import ZooConverters

/// Safetensors: header length, JSON header, layout; then every tensor's bytes are read once.
func fuzzSafetensors(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafetensorsFile(bytes: bytes, name: "fuzz.safetensors") else { return 0 }
    var sum: UInt8 = 0
    for tensor in file.tensors {
        _ = file.tensor(named: tensor.name)
        sum &+= checksum(tensor.bytes)
        _ = tensor.elementCount
    }
    blackHole(sum)
    return 0
}

runFuzzer(fuzzSafetensors)
