import ZooFormat
import ZooStore

/// The steps the import benchmarks share: the library path `zoo import` takes for a foreign
/// file, the check that the stored tensors are the generated ones, and a file's SHA-256.
enum StoreImport {
    /// What `zoo import` does: `convert` writes a checkpoint folder into the store's staging
    /// area, whose hashed files then move into the blobs (`importStaged`, digests trusted).
    static func run(storeRoot: String, convert: (String) throws -> Void) throws(BenchError) -> SHA256Digest {
        let store = Store(root: storeRoot)
        do {
            let stagingArea = try store.makeStagingDirectory(prefix: "convert")
            defer { stagingArea.remove() }
            let staging = stagingArea.path
            try convert(staging + "/checkpoint")
            return try store.importStaged(
                directory: staging + "/checkpoint", name: try ModelReference(name: "bench"), options: .trustDigests)
        } catch {
            throw .zoo("\(error)")
        }
    }

    /// The stored model's tensors must be the generated ones, in order, byte for byte; returns their count.
    static func check(storeRoot: String, _ digest: SHA256Digest, expected: [(String, SHA256Digest)])
        throws(BenchError) -> Int
    {
        let manifest: Manifest
        do { manifest = try Store(root: storeRoot).manifest(for: digest) } catch { throw .zoo(error.description) }
        let imported = manifest.tensors.map { ($0.name, $0.digest) }
        guard imported.count == expected.count,
            zip(imported, expected).allSatisfy({ $0.0 == $1.0 && $0.1 == $1.1 })
        else {
            throw .mismatch("the imported tensors differ from the generated ones (\(imported.count) vs \(expected.count))")
        }
        return imported.count
    }

    /// The SHA-256 of the whole file at `path`.
    static func fileDigest(_ path: String) throws(BenchError) -> SHA256Digest {
        let mapping: MappedFile
        do { mapping = try MappedFile(path: path) } catch { throw .io(error) }
        return withExtendedLifetime(mapping) { SHA256.digest(mapping.bytes) }
    }
}
