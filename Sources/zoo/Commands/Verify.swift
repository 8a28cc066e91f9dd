#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ZooConverters
import ZooFormat
import ZooStore

extension Zoo {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash a model and check it against its manifest.",
            discussion: """
                TARGET is a stored model (NAME[:TAG], digest or digest prefix) or a path to a checkpoint \
                folder, a .zoo / .zoo.zst archive, a .safetensors file or a Hugging Face folder; a path is used when it exists and the store has no \
                model by that name. Exits 0 when every byte matches, 1 with each failure on stderr \
                (kind, name, file, byte offset, expected and actual digest) when not.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("A stored model reference or a path.", valueName: "target"), completion: .file())
        var target: String

        @Flag(help: "Also re-hash every tensor, so a failure names the tensor.")
        var deep = false

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() throws {
            let options: VerificationOptions = deep ? .deep : .files
            let store = global.openStore
            var cleanup: String?
            defer { if let cleanup { try? FileSystem.removeTree(cleanup) } }

            let checkpoint: Checkpoint
            if let reference = try storeReference(store) {
                checkpoint = try store.checkpoint(for: reference, verifying: [], recordingUse: false)  // the report covers the bytes
            } else {
                switch try InputError.format(of: target) {
                case .checkpointFolder:
                    checkpoint = try Checkpoint(directory: target)
                case .archive:
                    checkpoint = try CheckpointArchive.open(target)
                case .compressedArchive:
                    // Extraction checks every member's digest; the extracted folder is then verified as asked.
                    let scratch = try Self.makeScratchDirectory()
                    cleanup = scratch
                    try CheckpointArchive.extract(target, to: scratch + "/checkpoint")
                    // --deep also walks the decompressed tar byte for byte (a .zoo gets that when opened);
                    // after extraction, which bounds the stream, so a zstd bomb never reaches the walk.
                    if deep { try CheckpointArchive.verifyLayout(target) }
                    checkpoint = try Checkpoint(directory: scratch + "/checkpoint")
                case let format:
                    // Converting checks every header and layout rule; the copy is then hashed as asked.
                    let scratch = try Self.makeScratchDirectory()
                    cleanup = scratch
                    try ForeignModel.open(target, format: format, scratchDirectory: scratch).write(to: scratch + "/checkpoint")
                    checkpoint = try Checkpoint(directory: scratch + "/checkpoint")
                }
            }
            var total = checkpoint.manifest.totalByteCount
            if deep { total += checkpoint.manifest.tensors.reduce(0) { $0 + $1.length } }
            let bar = ProgressBar(label: "verifying", total: total)
            let report = checkpoint.verify(options, progress: bar.callback)
            bar.finish()

            for failure in report.failures { Terminal.writeError("Error: \(failure)") }
            if json {
                JSONOutput.print(Self.json(report))
            } else if report.isClean {
                var parts = ["\(report.checkedShards) shard\(report.checkedShards == 1 ? "" : "s")",
                             "\(report.checkedAssets) asset\(report.checkedAssets == 1 ? "" : "s")"]
                if deep { parts.append("\(report.checkedTensors) tensor\(report.checkedTensors == 1 ? "" : "s")") }
                print("OK \(report.modelDigest): \(parts.joined(separator: ", ")) verified "
                    + "(\(Formatting.bytes(report.hashedByteCount)) hashed)")
            }
            if !report.isClean { throw ExitCode.failure }
        }

        /// The store reference `target` names, or `nil` when it should be treated as a path.
        private func storeReference(_ store: Store) throws -> ModelReference? {
            let exists = FileSystem.kind(of: target) != .missing
            guard let reference = try? ModelReference(parsing: target) else {
                if exists { return nil }
                throw InputError.notFound(target)
            }
            guard exists else { return reference }
            do {
                _ = try store.resolve(reference)
                return reference
            } catch {
                if case .noSuchModel = error.reason { return nil }
                throw error
            }
        }

        static func makeScratchDirectory() throws -> String {
            let base = Store.currentEnvironment()["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            var template = Array((base + "/zoo-verify.XXXXXX").utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
                throw IOError(call: "mkdtemp", path: base, errno: errno)
            }
            return String(cString: made)
        }

        static func json(_ report: VerificationReport) -> JSONValue {
            .object([
                "digest": .string(report.modelDigest.description),
                "clean": .bool(report.isClean),
                "checkedShards": .int(report.checkedShards),
                "checkedAssets": .int(report.checkedAssets),
                "checkedTensors": .int(report.checkedTensors),
                "hashedBytes": .int(report.hashedByteCount),
                "failures": .array(report.failures.map { failure in
                    .object([
                        "kind": .string(failure.kind.rawValue), "name": .string(failure.name),
                        "file": .string(failure.file), "offset": .int(failure.offset),
                        "expected": .string(failure.expected.description),
                        "actual": .optionalString(failure.actual?.description),
                        "error": .optionalString(failure.error),
                    ])
                }),
            ])
        }
    }
}
