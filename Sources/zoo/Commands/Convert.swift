import ArgumentParser
import ZooConverters
import ZooFormat
import ZooStore

/// A dtype `zoo convert`, `zoo import --dtype` and `zoo export --dtype` convert to.
enum TargetDType: String, ExpressibleByArgument, CaseIterable {
    case f16, bf16, f32

    var dtype: DType {
        switch self {
        case .f16: .f16
        case .bf16: .bf16
        case .f32: .f32
        }
    }
}

extension Zoo {
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert a stored model's floating-point tensors to another dtype, as a new model.",
            discussion: """
                Every floating-point tensor (F64, F32, F16, BF16, F8) becomes the target dtype, rounded to \
                nearest even, and Q8_0 tensors are dequantised to it; NaN and infinities are kept; values too \
                large for F16 become infinities and are reported per tensor. Integer and boolean tensors are \
                copied unchanged. The new model keeps \
                the name, architecture, metadata and assets, and records REF's digest as its lineage parent with \
                the recipe {"kind": "convert", "dtype": ...}. It is stored as --name, else as REF's name with \
                "-<dtype>" appended (same tag). Prints the new model's digest.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The model: NAME[:TAG], a digest or a digest prefix.", valueName: "ref"),
                  transform: { try ModelReference(parsing: $0) })
        var reference: ModelReference

        @Option(help: "The dtype floating-point tensors are converted to.")
        var dtype: TargetDType

        @Option(help: ArgumentHelp("Store the result as NAME[:TAG] (default: REF's name + \"-<dtype>\").", valueName: "name[:tag]"),
                transform: { try ModelReference(parsing: $0) })
        var name: ModelReference?

        @Flag(help: "Print a JSON object (name, tag, digest, parent) instead of the digest.")
        var json = false

        func validate() throws {
            if let name, name.nameAndTag == nil {
                throw ValidationError("--name takes NAME[:TAG], not a digest (got \(name)).")
            }
        }

        func run() throws {
            let store = global.openStore
            Reclaiming.run(store, output: global.output)
            let checkpoint = try store.checkpoint(for: reference)
            let parentName = reference.nameAndTag.map { "\($0.name):\($0.tag)" } ?? checkpoint.manifest.name
            let lineage = DTypeConverter.lineage(parent: checkpoint.digest, parentName: parentName, target: dtype.dtype)
            let stored = try target(for: checkpoint)
            let digest = try Self.convertAndStore(checkpoint, to: dtype, lineage: lineage, name: stored, output: global.output, in: store)
            if json, let (name, tag) = stored.nameAndTag {
                JSONOutput.print(.object(["name": .string(name), "tag": .string(tag), "digest": .string(digest.description),
                                          "parent": .string(checkpoint.digest.description), "dtype": .string(dtype.dtype.rawValue)]))
            } else {
                print(digest)
            }
        }

        /// `--name`, else `<name>-<dtype>` with REF's tag (REF's manifest name, sanitised, for a digest).
        private func target(for checkpoint: Checkpoint) throws -> ModelReference {
            if let name { return name }
            let (base, tag) = reference.nameAndTag
                ?? (ModelReference.sanitizedName(checkpoint.manifest.name) ?? "model", ModelReference.defaultTag)
            return try ModelReference(name: base + "-" + dtype.rawValue, tag: tag)
        }

        /// Converts `checkpoint` into the store's staging area, warns about overflows on stderr and
        /// imports the result under `name` (nil: the store's default for its manifest).
        static func convertAndStore(
            _ checkpoint: Checkpoint, to dtype: TargetDType, lineage: Lineage?, name: ModelReference?,
            names: NamePolicy = .replace, output: Output, in store: Store
        ) throws -> SHA256Digest {
            let stagingArea = try store.makeStagingDirectory(prefix: "convert")
            defer { stagingArea.remove() }
            let staging = stagingArea.path
            let bar = output.progressBar(label: "converting", total: checkpoint.manifest.totalByteCount)
            let watch = bar.watch(staging)
            let result: DTypeConverter.Result
            do {
                defer {
                    watch.stop()
                    bar.finish()
                }
                result = try DTypeConverter(target: dtype.dtype).convert(checkpoint, to: staging + "/checkpoint", lineage: lineage)
            }
            warn(result.overflows)
            return try store.importStaged(directory: staging + "/checkpoint", name: name, options: .trustDigests, names: names)
        }

        /// One stderr line per tensor with values that became infinities.
        static func warn(_ overflows: [DTypeConverter.Overflow]) {
            for overflow in overflows { Terminal.writeError("warning: \(overflow)") }
        }
    }
}
