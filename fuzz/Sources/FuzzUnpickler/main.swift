import FuzzSupport
import ZooConverters

/// The restricted unpickler alone: the input is `data.pkl`, put into a valid torch zip (with
/// `byteorder`) so every execution reaches the pickle machine; storages it names are absent
/// unless it names none, so the walk past them is FuzzPyTorch's job.
func fuzzUnpickler(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    var zip = StoredZip()
    zip.add("archive/data.pkl", inputBytes(data, size))
    zip.add("archive/byteorder", Array("little".utf8))
    zip.add("archive/version", Array("3\n".utf8))
    if let checkpoint = try? PyTorchCheckpoint(bytes: zip.bytes, name: "fuzz.pt") { gatherTensors(checkpoint) }
    return 0
}

runFuzzer(fuzzUnpickler)
