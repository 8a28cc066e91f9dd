import FuzzSupport
import ZooConverters

/// NumPy `.npy`: the header dict (Python literal syntax), dtype descr, shape, Fortran order,
/// data length; small enough models are then written out as a checkpoint, which runs the
/// byte-order and Fortran-order conversions over every element.
func fuzzNpy(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    // The importer takes .npy by its magic, anything else as a zip: keep this target on .npy.
    guard size >= 6, data[0] == 0x93, data[1] == 0x4e else { return 0 }
    importNumPy(inputBytes(data, size), name: "fuzz.npy")
    return 0
}

runFuzzer(fuzzNpy)
