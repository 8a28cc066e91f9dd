#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ZooConverters
import ZooFormat
import ZooSigning
import ZooStore

extension Zoo {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash a model and check it against its manifest.",
            discussion: """
                TARGET is a stored model (NAME[:TAG], digest or digest prefix) or a path to a checkpoint \
                folder, a .zoo / .zoo.zst archive, a .safetensors file or a Hugging Face folder; a path is used when it exists and the store has no \
                model by that name. Exits 0 when every byte matches, 1 with each failure on stderr \
                (kind, name, file, byte offset, expected and actual digest) when not. \
                With --key PUBLIC.pem it also checks the model's signature: a stored model needs a stored signature \
                by that key (`zoo sign`) covering exactly its folder form; a folder needs FOLDER/model.sig by that key \
                covering exactly its files (what `model_signing verify key` checks). Unsigned, signed by another key \
                or not matching: exit 1 with the reason.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("A stored model reference or a path.", valueName: "target"), completion: .file())
        var target: String

        @Flag(help: "Also re-hash every tensor, so a failure names the tensor, and check the tensors against the architecture's config (spec/architectures.md).")
        var deep = false

        @Flag(help: "Print the report as JSON.")
        var json = false

        @Option(help: ArgumentHelp("Also require a signature by this PEM public key.", valueName: "public.pem"), completion: .file())
        var key: String?

        func run() throws {
            let options: VerificationOptions = deep ? .deep : .files
            let store = global.openStore
            var cleanup: String?
            defer { if let cleanup { try? FileSystem.removeTree(cleanup) } }

            let checkpoint: Checkpoint
            let verifyingKey = try key.map { path throws(SigningError) in try VerifyingKey(pemFile: path) }
            var signed: (ModelSignature, String)?
            if let reference = try storeReference(store) {
                checkpoint = try store.checkpoint(for: reference, verifying: [], recordingUse: false)  // the report covers the bytes
                if let verifyingKey {
                    // Checked first, from the manifest alone; the bytes are re-hashed below either way.
                    let entries = try ModelSignatures.entries(for: checkpoint.digest, in: store)
                    let files = try ModelSignatures.folderFiles(for: checkpoint.digest, in: store)
                    let signature = try SignatureCheck.verify(entries.compactMap(\.parsed), with: verifyingKey, against: files,
                                                              model: "\(reference) (\(checkpoint.digest))")
                    let added = entries.first { $0.parsed?.bundle == signature.bundle }.map { ModelSignatures.time($0.stored.added) }
                    signed = (signature, added ?? "")
                }
            } else {
                if let verifyingKey {
                    guard FileSystem.kind(of: target + "/.") == .directory else {
                        throw ValidationError("--key applies to stored models and folders holding model.sig, not \(target).")
                    }
                    let signature = try ModelSignature(file: target + "/" + SignedFolder.signatureFileName)
                    try signature.verify(with: verifyingKey, against: SignedFolder.files(in: target))
                    signed = (signature, "")
                }
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
            let bar = global.output.progressBar(label: "verifying", total: total)
            let report = checkpoint.verify(options, progress: bar.callback)
            bar.finish()

            for failure in report.failures { Terminal.writeError("Error: \(failure)") }
            // --deep: names and shapes against the declared architecture (an unknown one passes with a note).
            let architecture = deep ? ArchitectureCheck.run(on: checkpoint.manifest) : nil
            if json {
                var object = Self.json(report, architecture: architecture)
                if let verifyingKey, let (signature, _) = signed, case var .object(members) = object {
                    members["signature"] = .object(["key": .string(verifyingKey.fingerprint),
                                                    "bundle": .string(SHA256.digest(signature.bundle).description),
                                                    "files": .int(signature.files.count)])
                    object = .object(members)
                }
                JSONOutput.print(object)
            } else if report.isClean {
                var parts = ["\(report.checkedShards) shard\(report.checkedShards == 1 ? "" : "s")",
                             "\(report.checkedAssets) asset\(report.checkedAssets == 1 ? "" : "s")"]
                if deep { parts.append("\(report.checkedTensors) tensor\(report.checkedTensors == 1 ? "" : "s")") }
                global.output.result("OK \(report.modelDigest): \(parts.joined(separator: ", ")) verified "
                    + "(\(Formatting.bytes(report.hashedByteCount)) hashed)", quiet: report.modelDigest.description)
                if let verifyingKey, let (signature, added) = signed {
                    global.output.result("OK signed by \(verifyingKey.curveName) key \(verifyingKey.fingerprint): \(signature.files.count) files"
                        + (added.isEmpty ? "" : " (signature added \(added))"), quiet: nil)
                }
            }
            if !report.isClean { throw ExitCode.failure }
            if let architecture { try Self.report(architecture, json: json, output: global.output) }
        }

        /// The architecture check after clean bytes: `Error: architecture: ...` per contradiction or
        /// missing tensor and exit 1; else (text) the verdict and any unexpected tensors on stdout.
        private static func report(_ architecture: ArchitectureReport, json: Bool, output: Output) throws {
            guard architecture.passes else {
                for line in ArchitectureText.failureLines(architecture) { Terminal.writeError("Error: architecture: \(line)") }
                throw ExitCode.failure
            }
            guard !json else { return }
            // Detail of the result: -q keeps only the digest line's identifier.
            output.result("architecture: " + architecture.verdict, quiet: nil)
            let unexpected = architecture.findings(.unexpected)
            if !unexpected.isEmpty {
                output.result("architecture: " + ArchitectureReport.listing(unexpected, limit: ArchitectureText.listed), quiet: nil)
            }
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

        /// The report; with `architecture`, its check too, and `clean` covers both.
        static func json(_ report: VerificationReport, architecture: ArchitectureReport? = nil) -> JSONValue {
            var object: [String: JSONValue] = [
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
            ]
            if let architecture {
                object["architecture"] = ArchitectureText.json(architecture)
                object["clean"] = .bool(report.isClean && architecture.passes)
            }
            return .object(object)
        }
    }
}
