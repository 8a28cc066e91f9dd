import FuzzSupport
import ZooFormat

/// The manifest: strict JSON, schema, validation. A manifest that parses must survive its own
/// canonical form: parsing the canonical bytes gives the same manifest and the same bytes.
func fuzzManifest(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    guard let manifest = try? Manifest(parsing: inputBytes(data, size), file: "manifest.json") else { return 0 }
    let canonical = manifest.canonicalBytes
    let again: Manifest
    do { again = try Manifest(parsing: canonical, file: "canonical.json") } catch {
        fuzzFailure("canonical bytes of a valid manifest do not parse: \(error)")
    }
    guard again == manifest else { fuzzFailure("canonical bytes parse to a different manifest") }
    guard again.canonicalBytes == canonical else { fuzzFailure("canonical form is not a fixed point") }
    blackHole(manifest.tensorsInSourceOrder)
    return 0
}

runFuzzer(fuzzManifest)
