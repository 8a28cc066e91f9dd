import ArgumentParser
import ZooConverters
import ZooFormat
import ZooSigning
import ZooStore

extension Zoo {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a model into the store and print its name and digest.",
            discussion: """
                PATH is recognised by its content: a .safetensors file, a Hugging Face model folder \
                (model.safetensors or its index, pytorch_model.bin or its index, or one .gguf; also a Hugging \
                Face cache folder models--ORG--NAME or its snapshots/<commit>, and hf://ORG/NAME[@REVISION] \
                looked up in the local cache: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub), \
                a PyTorch checkpoint (torch.save zip: pytorch_model.bin, .pt, .pth), a GGUF file, a NumPy .npy or .npz file, a .zoo archive (plain or \
                zstd) or a checkpoint folder (manifest.json). With --dtype, floating-point tensors are converted \
                while they are written (see zoo convert) and the lineage records it: for a zoo checkpoint \
                with the unconverted model's digest as parent, for another format with that format. \
                Prints `Imported NAME:TAG sha256:...`. \
                The name is --name; else, for a zoo checkpoint or archive, the name in its manifest; else \
                the path's: a Hugging Face cache folder or hf:// id gives its repo id (ORG/NAME, tagged latest for \
                the revision refs/main names, else the ref or the commit's first 12 digits), a generic weights file \
                (model.safetensors, pytorch_model.bin) its folder's name, any other file its name without the \
                extension; a name inside the file (GGUF general.name) comes last. Names are lowercased with \
                other characters folded into "-". A NAME:TAG that already names another model is refused \
                unless --force moves it; importing the same model again is a no-op. \
                With --key PUBLIC.pem, PATH must be a folder holding model.sig (an OpenSSF Model Signing bundle, as \
                `model_signing sign key` or `zoo export --sign` write): it must be signed by that key and cover \
                exactly the folder's files, or nothing is imported. A zoo checkpoint folder's signature covers the \
                stored model's folder form, so it is kept with the model (`zoo show` lists it); a Hugging Face \
                folder's covers other bytes and is not kept.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The file or folder to import.", valueName: "path"), completion: .file())
        var path: String

        @Option(help: ArgumentHelp("Store it as NAME[:TAG] (tag \"latest\" by default).", valueName: "name[:tag]"),
                transform: { try ModelReference(parsing: $0) })
        var name: ModelReference?

        @Option(help: "Convert floating-point tensors to this dtype on the way in.")
        var dtype: TargetDType?

        @Option(help: ArgumentHelp("For a Hugging Face cache folder or hf:// id: a ref (default main) or commit hash.",
                                   valueName: "revision"))
        var revision: String?

        @Flag(help: "Move NAME:TAG to the imported model when it already names another one.")
        var force = false

        @Flag(help: ArgumentHelp(
            "Import even when the tensors contradict the architecture's config (wrong shapes or layer count).",
            discussion: "For bert, gpt2 and llama-style models the tensors are checked against the config "
                + "(spec/architectures.md); missing or unexpected tensors are only noted on stderr."))
        var noArchitectureCheck = false

        @Flag(help: "Print a JSON object (name, tag, digest) instead of text.")
        var json = false

        @Option(help: ArgumentHelp("Require PATH/model.sig signed by this PEM public key.", valueName: "public.pem"),
                completion: .file())
        var key: String?

        /// What happens to a `NAME:TAG` that names another model.
        private var names: NamePolicy { force ? .replace : .keepExisting }

        func validate() throws {
            if revision != nil, !path.hasPrefix("hf://"), HuggingFaceCache.location(of: path) == nil {
                throw ValidationError("--revision applies to hf:// ids and Hugging Face cache folders (models--ORG--NAME), not \(path).")
            }
            if key != nil, path.hasPrefix("hf://") || FileSystem.kind(of: path + "/.") != .directory {
                throw ValidationError("--key checks PATH/model.sig: PATH must be a folder (got \(path)).")
            }
            if let name, name.nameAndTag == nil {
                throw ValidationError("--name takes NAME[:TAG], not a digest (got \(name)).")
            }
        }

        func run() throws {
            let store = global.openStore
            // Before anything is read for the store: who signed the folder, and that it covers every file.
            var signature: ModelSignature?
            var signer: VerifyingKey?
            if let key {
                let verifyingKey = try VerifyingKey(pemFile: key)
                let found = try ModelSignature(file: path + "/" + SignedFolder.signatureFileName)
                try found.verify(with: verifyingKey, against: SignedFolder.files(in: path))
                signature = found
                signer = verifyingKey
            }
            Reclaiming.run(store, output: global.output)
            var keptSignature = false
            let digest: SHA256Digest
            let stored: ModelReference
            if let snapshot = try HuggingFaceCacheInput.snapshot(path: path, revision: revision) {
                stored = try name ?? ModelReference(name: ModelReference.sanitizedName(snapshot.defaultName) ?? "imported",
                                                    tag: snapshot.defaultTag)
                digest = try importForeign(into: store, as: stored) { _ in try snapshot.model() }.digest
            } else {
                switch try InputError.format(of: path) {
                case .checkpointFolder:
                    let checkpoint = try Checkpoint(directory: path)
                    // The manifest as opened must be the signed one: the import checks every byte against it.
                    let folderForm = SignedFile.folderForm(of: checkpoint.manifest)
                    if let signature, !Set(folderForm).isSubset(of: Set(signature.files)) {
                        throw SigningError(file: path, reason: .filesDiffer(
                            missing: [], extra: [],
                            changed: folderForm.filter { !signature.files.contains($0) }.map(\.path)))
                    }
                    stored = try target(for: checkpoint.manifest, format: .checkpointFolder)
                    digest = try importOpened(checkpoint, as: stored, into: store)
                    if let signature, dtype == nil, Set(folderForm) == Set(signature.files), folderForm.count == signature.files.count {
                        try store.addSignature(signature.bundle, for: digest)
                        keptSignature = true
                    }
                case .archive:
                    let checkpoint = try CheckpointArchive.open(path)
                    stored = try target(for: checkpoint.manifest, format: .archive)
                    digest = try importOpened(checkpoint, as: stored, into: store)
                case .compressedArchive:
                    let stagingArea = try store.makeStagingDirectory(prefix: "extract")
                    defer { stagingArea.remove() }
                    let staging = stagingArea.path
                    let manifest = try watching(staging, label: "extracting", total: nil) {
                        try CheckpointArchive.extract(path, to: staging + "/checkpoint")
                    }
                    stored = try target(for: manifest, format: .compressedArchive)
                    digest = try importStaged(staging + "/checkpoint", manifest: manifest, as: stored, into: store)
                case let format:
                    (digest, stored) = try importForeign(into: store, as: nil, format: format) { staging in
                        try ForeignModel.open(path, format: format, scratchDirectory: staging)
                    }
                }
            }
            let (name, tag) = stored.nameAndTag ?? (stored.description, ModelReference.defaultTag)
            if signature != nil, !keptSignature {
                global.output.note("note: \(path)/model.sig verified; it covers the folder's files, not the stored model's folder "
                    + "form, so it is not kept (zoo sign \(name):\(tag) --key PRIVATE.pem signs the stored model)")
            }
            if json {
                var object: [String: JSONValue] = ["name": .string(name), "tag": .string(tag), "digest": .string(digest.description)]
                if let signature {
                    object["signature"] = .object(["key": .optionalString(signer?.fingerprint), "files": .int(signature.files.count),
                                                    "kept": .bool(keptSignature)])
                }
                JSONOutput.print(.object(object))
            } else {
                if let signature, let signer {
                    global.output.result("Verified \(path)/\(SignedFolder.signatureFileName): \(signature.files.count) files signed by "
                        + "\(signer.curveName) key \(signer.fingerprint)" + (keptSignature ? "; kept with the model" : ""), quiet: nil)
                }
                global.output.result("Imported \(name):\(tag) \(digest)", quiet: digest.description)
            }
        }

        /// A foreign model: validated whole, then written once (converted on the way with --dtype),
        /// stored as `fixed` or else as ``target(for:format:)`` names it.
        private func importForeign(into store: Store, as fixed: ModelReference?, format: ModelFormat = .huggingFaceFolder,
                                   _ open: (String) throws -> ForeignModel) throws -> (digest: SHA256Digest, stored: ModelReference)
        {
            let stagingArea = try store.makeStagingDirectory(prefix: "convert")
            defer { stagingArea.remove() }
            let staging = stagingArea.path
            var model = try open(staging)
            if !model.leftOut.isEmpty {
                global.output.note("note: not imported (weights the import does not read): " + model.leftOut.joined(separator: ", "))
            }
            let conversion = ConversionReport()
            if let dtype { model = model.converted(to: dtype.dtype, report: conversion) }
            let manifest = try watching(staging, label: "converting", total: model.tensorByteCount) {
                try model.write(to: staging + "/checkpoint")
            }
            Zoo.Convert.warn(conversion.overflows)
            global.output.detail("read \(model.format.rawValue): \(model.tensors.tensorDescriptors.count) tensors, "
                + "\(model.assets.count) assets; wrote:")
            global.output.detailFiles(of: manifest)
            let stored = try fixed ?? target(for: manifest, format: format)
            try checkArchitecture(manifest)
            let digest = try store.importStaged(directory: staging + "/checkpoint", name: stored, options: .trustDigests,
                                                names: names)
            return (digest, stored)
        }

        /// Refuses a manifest whose tensors contradict its known architecture (unless
        /// --no-architecture-check); notes missing and unexpected tensors on stderr.
        private func checkArchitecture(_ manifest: Manifest) throws {
            guard !noArchitectureCheck else { return }
            let report = ArchitectureCheck.run(on: manifest)
            guard report.isConsistent else { throw ArchitectureMismatch(path: path, report: report) }
            for kind in [ArchitectureFinding.Kind.missing, .unexpected] where !report.findings(kind).isEmpty {
                global.output.note("note: architecture check (\(report.verdict)): "
                    + ArchitectureReport.listing(report.findings(kind), limit: ArchitectureText.listed))
            }
        }

        private func importOpened(_ checkpoint: Checkpoint, as target: ModelReference, into store: Store) throws -> SHA256Digest {
            try checkArchitecture(checkpoint.manifest)
            if let dtype { return try importConverted(checkpoint, to: dtype, as: target, into: store) }
            let bar = global.output.progressBar(label: "importing",
                                  total: checkpoint.manifest.totalByteCount + checkpoint.manifest.canonicalBytes.count)
            defer { bar.finish() }
            global.output.detailFiles(of: checkpoint.manifest)
            return try store.importCheckpoint(checkpoint, name: target, names: names, progress: bar.callback)
        }

        /// A folder the archive extractor just wrote: its files are renamed into the store. The
        /// extractor checked each member against its shard digest only, so the store checks
        /// every tensor digest (which re-reads the files: digests from outside are not trusted).
        private func importStaged(_ directory: String, manifest: Manifest, as target: ModelReference, into store: Store)
            throws -> SHA256Digest
        {
            try checkArchitecture(manifest)
            if let dtype { return try importConverted(try Checkpoint(directory: directory), to: dtype, as: target, into: store) }
            let bar = global.output.progressBar(label: "checking", total: manifest.totalByteCount + manifest.canonicalBytes.count)
            defer { bar.finish() }
            global.output.detailFiles(of: manifest)
            return try store.importStaged(directory: directory, name: target, names: names, progress: bar.callback)
        }

        /// `--dtype`: stores `checkpoint` converted. Its lineage names the unconverted checkpoint (not
        /// stored) as parent, and keeps that checkpoint's own lineage in the recipe.
        private func importConverted(_ checkpoint: Checkpoint, to dtype: TargetDType, as target: ModelReference,
                                     into store: Store) throws -> SHA256Digest
        {
            let source = checkpoint.manifest
            // The converter reads the tensors, not the digests: check the input as a plain import does.
            do {
                let bar = global.output.progressBar(label: "checking", total: source.totalByteCount)
                defer { bar.finish() }
                try Store.checkInput(checkpoint, progress: bar.callback)
            }
            var lineage = DTypeConverter.lineage(parent: checkpoint.digest, parentName: source.name, target: dtype.dtype)
            if let earlier = source.lineage, case var .object(recipe)? = lineage.recipe {
                recipe["parentLineage"] = ["parent": earlier.parent.map { .string($0.description) } ?? .null, "recipe": earlier.recipe ?? .null]
                lineage.recipe = .object(recipe)
            }
            return try Zoo.Convert.convertAndStore(checkpoint, to: dtype, lineage: lineage, name: target, names: names,
                                                   output: global.output, in: store)
        }

        /// Runs `body` (a library call without a progress hook) with a bar fed by the bytes
        /// appearing under `directory`.
        private func watching<T>(_ directory: String, label: String, total: Int?, _ body: () throws -> T) rethrows -> T {
            let bar = global.output.progressBar(label: label, total: total)
            let watch = bar.watch(directory)
            defer {
                watch.stop()
                bar.finish()
            }
            return try body()
        }

        /// `--name`; else, for a zoo checkpoint, its manifest's name (zoo chose it), then the
        /// path's; else the path's name (``SourceName``), then the name the file records.
        /// Each sanitised; the format's name when none survives.
        private func target(for manifest: Manifest, format: ModelFormat = .checkpointFolder) throws -> ModelReference {
            if let name { return name }
            let fromPath = SourceName.suggested(forPath: path)
            let candidates = format.isCheckpoint ? [manifest.name, fromPath] : [fromPath, manifest.name]
            let chosen = candidates.lazy.compactMap { $0.flatMap(ModelReference.sanitizedName) }.first
            return try ModelReference(name: chosen ?? ModelReference.sanitizedName(format.rawValue) ?? "imported")
        }
    }
}
