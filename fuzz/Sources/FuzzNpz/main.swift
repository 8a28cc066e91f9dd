import FuzzSupport
import ZooConverters

/// NumPy `.npz`: the zip (libarchive's seekable reader: central directory, local headers,
/// deflate), member names, every member's `.npy` header and data; small enough models are
/// then written out as a checkpoint.
func fuzzNpz(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    guard size < 2 || data[0] != 0x93 || data[1] != 0x4e else { return 0 }  // .npy: the other target
    importNumPy(inputBytes(data, size), name: "fuzz.npz")
    return 0
}

runFuzzer(fuzzNpz)
