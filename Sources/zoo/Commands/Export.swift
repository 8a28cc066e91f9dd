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
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a stored model to a file or folder.",
            discussion: """
                The format defaults from the output name: .zoo, .zoo.zst, .safetensors, .gguf or .npz; a path \
                ending in / is a Hugging Face folder (hf); a name without an extension is zoo (hf when \
                --max-shard-size is given). Another extension (x.onnx), or one that contradicts --format, is an \
                error. hf writes a Hugging Face folder: model.safetensors (or model-00001-of-0000N.safetensors + \
                model.safetensors.index.json past --max-shard-size, default 5GB) and every asset as a file; \
                safetensors with --max-shard-size writes the same folder. A single .safetensors file holds no \
                assets: the ones left out are named on stderr. \
                gguf writes a GGUF v3 file (tensor names kept, dimensions reversed, metadata from the model or its \
                GGUF origin); npz writes one .npy member per tensor (NumPy has no BF16, F8 or Q8_0: convert first). \
                Assets are not written to gguf or npz files. --dtype converts floating-point tensors first. \
                folder writes the checkpoint folder (manifest.json, shards/, assets/) and, when the model has \
                signatures (`zoo sign`), the newest as model.sig, which `model_signing verify key` accepts. \
                --sign KEY signs the folder written (folder, hf, or safetensors, which then writes the hf folder) \
                with that PEM private key into model.sig, over the files as written. \
                The output appears atomically; an existing one is kept unless --force is given. \
                -o - writes a single-file format (zoo, zoo.zst, safetensors, gguf, npz; zoo by default) to \
                standard output, never to a terminal. zoo, zoo.zst, safetensors and gguf stream: their headers \
                come from the manifest and the tensors from the stored shards, with no copy on disk. npz is \
                written in the store's tmp/ folder first (its zip headers hold CRCs of the data before it, and \
                a data-descriptor layout would differ from the file's bytes) and then copied out, so it needs \
                that much free space; so does --dtype, which converts into tmp/ first.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case zoo
            case zooZst = "zoo.zst"
            case safetensors
            case gguf
            case npz
            /// A Hugging Face model folder: safetensors weights plus the assets as files.
            case hf
            /// The checkpoint's folder form: manifest.json, shards/, assets/ (plus model.sig when signed).
            case folder

            /// The output extension that names this format, if one does.
            var fileExtension: String? {
                switch self {
                case .zoo: ".zoo"
                case .zooZst: ".zoo.zst"
                case .safetensors: ".safetensors"
                case .gguf: ".gguf"
                case .npz: ".npz"
                case .hf, .folder: nil
                }
            }
        }

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The model: NAME[:TAG], a digest or a digest prefix.", valueName: "ref"),
                  transform: { try ModelReference(parsing: $0) })
        var reference: ModelReference

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write it (- for standard output).", valueName: "path"),
                completion: .file())
        var output: String

        @Option(help: "The output format (default: from the output's extension, else zoo).")
        var format: Format?

        @Option(help: ArgumentHelp(
            "With safetensors: split into shards of at most SIZE bytes (e.g. 500MB, 2GiB, 1000000).",
            valueName: "size"))
        var maxShardSize: ByteSize?

        @Option(help: "Convert floating-point tensors to this dtype before writing.")
        var dtype: TargetDType?

        @Flag(help: "Replace an existing output.")
        var force = false

        @Option(help: ArgumentHelp("Sign the folder written with this PEM private key (writes model.sig).", valueName: "private.pem"),
                completion: .file())
        var sign: String?

        @Flag(help: "Print a JSON object (output, format, model digest, assets left out) instead of the path.")
        var json = false

        /// Whether `-o -` asks for standard output.
        var toStandardOutput: Bool { output == StandardOutput.dash }

        /// The format the output's name says: its extension, `hf` for a path ending in `/`, nil
        /// for a name without an extension (and for `-`). An unknown extension is an error.
        func formatFromName() throws -> Format? {
            if toStandardOutput { return nil }
            if output.hasSuffix("/") { return .hf }
            let name = output.split(separator: "/").last.map(String.init) ?? output
            // Longest first: .zoo.zst before .zst and .zoo.
            for format in [Format.zooZst, .zoo, .safetensors, .gguf, .npz] where name.hasSuffix(format.fileExtension!) {
                return format
            }
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
            throw ValidationError("-o \(output): \(name[dot...]) names no format zoo writes; use .zoo, .zoo.zst, .safetensors, "
                + ".gguf, .npz or a folder path ending in / (or give --format).")
        }

        /// The format to write: `--format` (which the output's name must not contradict), else from the output name.
        var resolvedFormat: Format {
            if let format { return format }
            if let named = try? formatFromName() { return named }
            return maxShardSize == nil ? .zoo : .hf
        }

        /// Where the output goes: without the trailing `/` of a folder path.
        var outputPath: String {
            var path = output
            while path.count > 1, path.hasSuffix("/") { path.removeLast() }
            return path
        }

        func validate() throws {
            guard !output.isEmpty, outputPath != "/" else {
                throw ValidationError("-o needs a file or folder path (got \"\(output)\").")
            }
            if toStandardOutput {
                if resolvedFormat == .hf || resolvedFormat == .folder || maxShardSize != nil || sign != nil {
                    throw ValidationError("-o - writes one file to standard output; a folder "
                        + "(--format hf or folder, --max-shard-size, --sign) needs -o DIR/.")
                }
                if json { throw ValidationError("--json cannot be combined with -o -: standard output holds the model.") }
                if StandardOutput.isTerminal {
                    throw ValidationError("refusing to write a model to a terminal: redirect standard output "
                        + "(zoo export REF -o - > FILE) or give -o PATH.")
                }
            }
            let named = try formatFromName()
            if let format, let named, named != format, !((format == .safetensors || format == .folder) && named == .hf) {
                throw ValidationError("-o \(output) names the \(named.rawValue) format, but --format is \(format.rawValue).")
            }
            if format == .hf || format == .folder, named == nil, !output.hasSuffix("/"),
               outputPath.split(separator: "/").last?.contains(".") == true {
                throw ValidationError("--format \(format?.rawValue ?? "hf") writes a folder; -o \(output) looks like a file name.")
            }
            if sign != nil, ![.folder, .hf, .safetensors].contains(resolvedFormat) || outputPath.hasSuffix(".safetensors") {
                throw ValidationError("--sign writes model.sig into a folder: use --format folder, hf or safetensors with a folder -o "
                    + "(the format is \(resolvedFormat.rawValue), -o \(output)).")
            }
            if maxShardSize != nil, resolvedFormat != .safetensors, resolvedFormat != .hf {
                throw ValidationError("--max-shard-size applies to the safetensors format only (the format is \(resolvedFormat.rawValue)).")
            }
        }

        func run() throws {
            // `--format safetensors -o DIR/`: the folder form, as a trailing / always means a folder.
            // So does --sign: a signature is a file beside the weights.
            let format = resolvedFormat == .safetensors && (output.hasSuffix("/") || sign != nil) ? .hf : resolvedFormat
            let signingKey = try sign.map { path throws(SigningError) in try SigningKey(pemFile: path) }
            let output = toStandardOutput ? "<stdout>" : outputPath
            guard toStandardOutput || force || FileSystem.kind(of: output) == .missing else { throw InputError.outputExists(output) }
            let store = global.openStore
            var checkpoint = try store.checkpoint(for: reference)
            let storedDigest = checkpoint.digest

            // Everything is written inside a private folder beside the output, then renamed into place;
            // for standard output (npz, or after --dtype), in the store's tmp/ (reclaimed if this process
            // dies), then copied out; the other formats stream from the stored (or converted) shards.
            let streams = toStandardOutput && format != .npz
            let work: String
            let base: String
            var staging: StagingDirectory?
            defer { staging?.remove() }
            if toStandardOutput {
                base = "model" + (format.fileExtension ?? "")
                if streams && dtype == nil {
                    work = ""  // nothing touches the disk
                } else {
                    let area = try store.makeStagingDirectory(prefix: "export")
                    staging = area
                    work = area.path + "/work"
                }
            } else {
                let parent = FileSystem.parentDirectory(of: output)
                base = output.split(separator: "/").last.map(String.init) ?? "export"
                guard FileSystem.kind(of: parent) == .directory else { throw InputError.notFound(parent) }
                work = parent + "/" + FileSystem.uniqueName(".\(base).zoo-export")
            }
            if !work.isEmpty { try FileSystem.makeDirectories(work) }
            defer { if !work.isEmpty { try? FileSystem.removeTree(work) } }
            let temp = work + "/" + base
            if let dtype {
                // A .zoo output is a new model derived from the stored one; a foreign file describes the
                // stored model (converted), so it keeps that model's lineage.
                let lineage = format == .zoo || format == .zooZst || format == .folder
                    ? DTypeConverter.lineage(parent: checkpoint.digest, parentName: reference.description, target: dtype.dtype)
                    : checkpoint.manifest.lineage
                try Converters.convert(checkpoint, to: dtype, destination: work + "/.converted", lineage: lineage)
                checkpoint = try Checkpoint(directory: work + "/.converted")
            }
            var skippedAssets: [String] = []
            /// The byte count written to standard output by a streaming format (nil: a file was written).
            var streamed: Int?

            let manifest = checkpoint.manifest
            let bar = global.output.progressBar(label: "exporting", total: format == .zooZst ? nil : manifest.totalByteCount)
            let watch = streams ? nil : bar.watch(work)  // a stream counts its own bytes
            do {
                defer {
                    watch?.stop()
                    bar.finish()
                }
                switch format {
                case .zoo where toStandardOutput:
                    streamed = try StandardOutput.stream(progress: bar.callback) { (sink) throws in
                        try CheckpointArchive.write(checkpoint, to: &sink, compression: .none)
                    }
                case .zooZst where toStandardOutput:
                    streamed = try StandardOutput.stream(progress: bar.callback) { (sink) throws in
                        try CheckpointArchive.write(checkpoint, to: &sink, compression: .zstd)
                    }
                case .safetensors where toStandardOutput:  // validate() refused --max-shard-size
                    streamed = try StandardOutput.stream(progress: bar.callback) { (sink) throws in
                        try SafetensorsExporter().exportFile(checkpoint, to: &sink)
                    }
                    skippedAssets = manifest.assets.map { String($0.path.dropFirst("assets/".count)) }
                case .gguf where toStandardOutput:
                    streamed = try StandardOutput.stream(progress: bar.callback) { (sink) throws in
                        skippedAssets = try GGUFExporter(refreshFileType: dtype != nil).export(checkpoint, to: &sink).skippedAssets
                    }
                case .zoo: try CheckpointArchive.write(checkpoint, to: temp, compression: .none)
                case .zooZst: try CheckpointArchive.write(checkpoint, to: temp, compression: .zstd)
                case .safetensors where maxShardSize == nil:
                    try Converters.exportSafetensors(checkpoint, to: temp, maxShardSize: nil)
                    skippedAssets = manifest.assets.map { String($0.path.dropFirst("assets/".count)) }
                case .safetensors, .hf:
                    try Converters.exportSafetensors(checkpoint, to: temp,
                                                     maxShardSize: maxShardSize?.bytes ?? SafetensorsExporter.defaultMaxShardByteCount)
                case .gguf:
                    skippedAssets = try Converters.exportGGUF(checkpoint, to: temp, output: output, refreshFileType: dtype != nil)
                case .npz:
                    skippedAssets = try Converters.exportNPZ(checkpoint, to: temp, output: output)
                case .folder:
                    try checkpoint.writeFolderForm(to: temp)
                }
            }
            let signature = try writeSignature(into: temp, format: format, checkpoint: checkpoint,
                                               stored: dtype == nil ? storedDigest : nil, key: signingKey, store: store)
            if toStandardOutput {
                if streamed == nil { streamed = try StandardOutput.copy(file: temp) }
            } else {
                try Self.moveIntoPlace(temp, output, replacing: force)
            }
            let size = streamed ?? (FileSystem.kind(of: output) == .regular ? try? FileSystem.fileSize(output) : nil)
            if global.output.isVerbose, let size {
                global.output.detail("wrote \(format.rawValue) to \(output): \(Formatting.bytes(size))")
            }
            if !skippedAssets.isEmpty {
                let hint = format == .safetensors ? " (--format hf -o DIR/ writes a folder with them)" : ""
                global.output.warning("\(format.rawValue) files hold no assets; not written: "
                    + skippedAssets.joined(separator: ", ") + hint)
            }
            if toStandardOutput { return }  // standard output holds the model
            if json {
                JSONOutput.print(.object(["output": .string(output), "format": .string(format.rawValue),
                                          "model": .string(checkpoint.digest.description),
                                          "assetsLeftOut": .array(skippedAssets.map { .string($0) }),
                                          "signature": .optionalString(signature?.keyHint)]))
            } else {
                print(output)
            }
        }

        /// Writes `folder/model.sig`: signed now with `key` (over the folder's files as written), or
        /// else, for the folder form of a stored model, the newest stored signature. Returns it.
        private func writeSignature(into folder: String, format: Format, checkpoint: Checkpoint, stored: SHA256Digest?,
                                    key: SigningKey?, store: Store) throws -> ModelSignature?
        {
            let path = folder + "/" + SignedFolder.signatureFileName
            if let key {
                // The folder form's digests are known; an hf folder's files are new, so they are hashed.
                let files = format == .folder ? SignedFile.folderForm(of: checkpoint.manifest) : try SignedFolder.files(in: folder)
                let signature = try ModelSignature.sign(files, modelName: FileSystem.lastComponent(of: outputPath), with: key)
                try FileSystem.writeAtomically(signature.bundle, to: path)
                return signature
            }
            guard format == .folder, let stored else { return nil }
            let entries = try ModelSignatures.entries(for: stored, in: store).filter { $0.parsed != nil }
            guard let newest = entries.last, let signature = newest.parsed else { return nil }
            try FileSystem.writeAtomically(newest.stored.bundle, to: path)
            if entries.count > 1 {
                global.output.note("note: the model has \(entries.count) signatures; model.sig is the newest "
                    + "(\(ModelSignatures.text(newest)))")
            }
            return signature
        }

        /// Renames the finished output into place: never over an existing path unless
        /// `replacing`; a replaced folder is swapped out first and removed afterwards.
        static func moveIntoPlace(_ temp: String, _ output: String, replacing: Bool) throws {
            let parent = FileSystem.parentDirectory(of: output)
            if replacing, FileSystem.kind(of: output) == .directory {
                let old = parent + "/" + FileSystem.uniqueName(".zoo-export.old")
                try FileSystem.rename(output, to: old)
                try FileSystem.rename(temp, to: output)
                try? FileSystem.removeTree(old)
            } else if replacing, FileSystem.kind(of: temp) != .directory {
                try FileSystem.rename(temp, to: output)
            } else {
                do throws(IOError) {
                    try FileSystem.renameNoReplace(temp, to: output)
                } catch {
                    if error.errno == EEXIST || error.errno == ENOTEMPTY { throw InputError.outputExists(output) }
                    throw error
                }
            }
            try FileSystem.syncDirectory(parent)
        }
    }
}
