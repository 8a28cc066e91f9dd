import FuzzSupport
import ZooFormat

/// The manifest: strict JSON, schema, validation. A manifest that parses must survive its own
/// canonical form (spec §4.1: canonical form is a fixed point): its canonical bytes parse, to the
/// same canonical bytes, and from then on to the same value. (The first parse may differ as a
/// value: `100.0` is `.number(100)` where its canonical text `100` is `.integer(100)`.)
func fuzzManifest(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    guard let manifest = try? Manifest(parsing: inputBytes(data, size), file: "manifest.json") else { return 0 }
    let canonical = manifest.canonicalBytes
    let again: Manifest
    do { again = try Manifest(parsing: canonical, file: "canonical.json") } catch {
        fuzzFailure("canonical bytes of a valid manifest do not parse: \(error)")
    }
    guard again.canonicalBytes == canonical else { fuzzFailure("canonical form is not a fixed point") }
    guard (try? Manifest(parsing: again.canonicalBytes, file: "canonical.json")) == again else {
        fuzzFailure("canonical bytes parse to a different manifest the second time")
    }
    blackHole(manifest.tensorsInSourceOrder)
    return 0
}

runFuzzer(fuzzManifest)
