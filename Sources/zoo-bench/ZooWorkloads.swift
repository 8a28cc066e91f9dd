import ZooFormat

/// The zoo side of each comparison, one function per operation. Each is self-contained (opens
/// what it needs), so a timed run measures the whole operation a user would do.
enum ZooWorkloads {
    static let pageSize = 4096

    /// Writes every tensor with ``CheckpointWriter``: SHA-256 of every tensor and shard, fsync of
    /// every file and folder, rename into place.
    static func save(_ tensors: [GeneratedTensor], to destination: String) throws(BenchError) -> Manifest {
        do throws(FormatError) {
            let writer = try CheckpointWriter(
                destination: destination, name: "bench-bert", architecture: Architecture(family: .autoencoding, type: "bert"))
            for tensor in tensors {
                // Written from the generated arrays during finish(): the model is held once.
                try writer.addTensor(name: tensor.spec.name, dtype: tensor.spec.dtype, shape: tensor.spec.shape) { sink in
                    try tensor.bytes.withUnsafeBytes { try sink.write($0) }
                }
            }
            return try writer.finish()
        } catch {
            throw .zoo(error.description)
        }
    }

    /// Opens a checkpoint folder (reads and validates the manifest, checks the shard sizes).
    static func open(_ directory: String) throws(BenchError) -> Checkpoint {
        do { return try Checkpoint(directory: directory) } catch { throw .zoo(error.description) }
    }

    /// Opens an uncompressed `.zoo` archive in place.
    static func openArchive(_ path: String) throws(BenchError) -> Checkpoint {
        do { return try CheckpointArchive.open(path) } catch { throw .zoo(error.description) }
    }

    /// Writes `checkpoint` as an uncompressed `.zoo` archive.
    static func writeArchive(_ checkpoint: Checkpoint, to path: String) throws(BenchError) {
        do { try CheckpointArchive.write(checkpoint, to: path) } catch { throw .zoo(error.description) }
    }

    /// Zero-copy load: opens the folder, takes a view of every tensor and reads one byte of every
    /// 4 KiB page of it (plus its last byte), so every page is really mapped in. Returns the sum of
    /// the bytes read (callers check it is the same every run, which also keeps the reads alive).
    static func touchAll(_ directory: String) throws(BenchError) -> UInt64 {
        let views = try allViews(directory)
        var sum: UInt64 = 0
        for view in views where !view.bytes.isEmpty {
            var offset = 0
            while offset < view.bytes.count {
                sum &+= UInt64(view.bytes[offset])
                offset += pageSize
            }
            sum &+= UInt64(view.bytes[view.bytes.count - 1])
        }
        return sum
    }

    /// Copying load: opens the folder and copies every tensor into its own Swift `[UInt8]`, all held
    /// at once as a framework's load would (like `load_file` returning numpy arrays). Returns the
    /// number of bytes copied.
    static func copyAll(_ directory: String) throws(BenchError) -> Int {
        let views = try allViews(directory)
        var arrays: [[UInt8]] = []
        arrays.reserveCapacity(views.count)
        for view in views {
            arrays.append([UInt8](unsafeUninitializedCapacity: view.bytes.count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: view.bytes)
                initialized = view.bytes.count
            })
        }
        return arrays.reduce(0) { $0 + $1.count }
    }

    /// Opens the folder and takes a zero-copy view of every tensor.
    private static func allViews(_ directory: String) throws(BenchError) -> [TensorView] {
        let checkpoint = try open(directory)
        do { return try checkpoint.tensors(withPrefix: "") } catch { throw .zoo(error.description) }
    }

    /// Verifies the folder (opened afresh) and returns the bytes hashed; a failed check is an error.
    static func verify(_ directory: String, _ options: VerificationOptions) throws(BenchError) -> Int {
        let report = try open(directory).verify(options)
        guard report.isClean else {
            throw .zoo("verification of \(directory) failed: " + report.failures.map(\.description).joined(separator: "; "))
        }
        return report.hashedByteCount
    }
}
