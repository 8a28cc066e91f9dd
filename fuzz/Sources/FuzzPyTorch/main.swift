import FuzzSupport
import ZooConverters

/// PyTorch `torch.save` zips: zip end records (zip64), central directory vs local headers,
/// archive layout, the restricted unpickler, the pickle walk and tensor views against their
/// storages; then every small tensor is gathered in row-major order (strided views included),
/// and small models are imported and verified.
func fuzzPyTorch(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let bytes = inputBytes(data, size)
    blackHole(PyTorchZip.kind(ofFileAt: "/nonexistent"))
    bytes.withUnsafeBytes { blackHole(PyTorchZip.kind(of: $0)) }
    for selection in [PyTorchSelection.automatic, .everything] {
        guard let checkpoint = try? PyTorchCheckpoint(bytes: bytes, name: "fuzz.pt", selection: selection) else { continue }
        gatherTensors(checkpoint)
        writeAndVerify(PyTorchImporter().model(of: checkpoint))
    }
    return 0
}

runFuzzer(fuzzPyTorch)
