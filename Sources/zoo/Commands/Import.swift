import ArgumentParser
import ZooConverters
import ZooFormat
import ZooStore

extension Zoo {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a model into the store and print its digest.",
            discussion: """
                PATH is recognised by its content: a .safetensors file, a Hugging Face model folder \
                (model.safetensors or model.safetensors.index.json; also a Hugging Face cache folder \
                models--ORG--NAME or its snapshots/<commit>, and hf://ORG/NAME[@REVISION] looked up in the local \
                cache), a PyTorch checkpoint (torch.save zip: \
                pytorch_model.bin, .pt, .pth), a GGUF file, a NumPy .npy or .npz file, a .zoo archive (plain or \
                zstd) or a checkpoint folder (manifest.json). With --dtype, floating-point tensors are converted \
                while they are written (see zoo convert) and the lineage records it: for a zoo checkpoint \
                with the unconverted model's digest as parent, for another format with that format. \
                The default name is the model's name from its manifest, \
                else the file name, lowercased with other characters folded into "-".
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The file or folder to import.", valueName: "path"))
        var path: String

        @Option(help: ArgumentHelp("Store it as NAME[:TAG] (tag \"latest\" by default).", valueName: "name[:tag]"),
                transform: { try ModelReference(parsing: $0) })
        var name: ModelReference?

        @Option(help: "Convert floating-point tensors to this dtype on the way in.")
        var dtype: TargetDType?

        @Option(help: ArgumentHelp("For a Hugging Face cache folder or hf:// id: a ref (default main) or commit hash.",
                                   valueName: "revision"))
        var revision: String?

        func validate() throws {
            if revision != nil, !path.hasPrefix("hf://"), HuggingFaceCache.location(of: path) == nil {
                throw ValidationError("--revision applies to hf:// ids and Hugging Face cache folders (models--ORG--NAME), not \(path).")
            }
            if let name, name.nameAndTag == nil {
                throw ValidationError("--name takes NAME[:TAG], not a digest (got \(name)).")
            }
        }

        func run() throws {
            let store = global.openStore
            Reclaiming.run(store)
            let digest: SHA256Digest
            if let snapshot = try HuggingFaceCacheInput.snapshot(path: path, revision: revision) {
                digest = try importForeign({ _ in try snapshot.model() }, into: store,
                                           defaultTag: snapshot.defaultTag)
                print(digest)
                return
            }
            switch try InputError.format(of: path) {
            case .checkpointFolder:
                digest = try importOpened(try Checkpoint(directory: path), into: store)
            case .archive:
                digest = try importOpened(try CheckpointArchive.open(path), into: store)
            case .compressedArchive:
                let stagingArea = try store.makeStagingDirectory(prefix: "extract")
                defer { stagingArea.remove() }
                let staging = stagingArea.path
                let manifest = try watching(staging, label: "extracting", total: nil) {
                    try CheckpointArchive.extract(path, to: staging + "/checkpoint")
                }
                digest = try importStaged(staging + "/checkpoint", manifest: manifest, into: store)
            case let format:
                // A foreign format: validated whole, then written once (converted on the way with --dtype).
                let stagingArea = try store.makeStagingDirectory(prefix: "convert")
                defer { stagingArea.remove() }
                let staging = stagingArea.path
                var model = try ForeignModel.open(path, format: format, scratchDirectory: staging)
                let conversion = ConversionReport()
                if let dtype { model = model.converted(to: dtype.dtype, report: conversion) }
                let manifest = try watching(staging, label: "converting", total: model.tensorByteCount) {
                    try model.write(to: staging + "/checkpoint")
                }
                Zoo.Convert.warn(conversion.overflows)
                digest = try store.importStaged(
                    directory: staging + "/checkpoint", name: try target(for: manifest), options: .trustDigests)
            }
            print(digest)
        }

        /// A foreign model: validated whole, then written once (converted on the way with --dtype).
        private func importForeign(_ open: (String) throws -> ForeignModel, into store: Store, defaultTag: String?) throws -> SHA256Digest {
            let stagingArea = try store.makeStagingDirectory(prefix: "convert")
            defer { stagingArea.remove() }
            let staging = stagingArea.path
            var model = try open(staging)
            let conversion = ConversionReport()
            if let dtype { model = model.converted(to: dtype.dtype, report: conversion) }
            let manifest = try watching(staging, label: "converting", total: model.tensorByteCount) {
                try model.write(to: staging + "/checkpoint")
            }
            Zoo.Convert.warn(conversion.overflows)
            var reference = try target(for: manifest)
            if name == nil, let defaultTag, let tagged = try? ModelReference(name: reference.nameAndTag?.name ?? "", tag: defaultTag) {
                reference = tagged
            }
            return try store.importStaged(directory: staging + "/checkpoint", name: reference, options: .trustDigests)
        }

        private func importOpened(_ checkpoint: Checkpoint, into store: Store) throws -> SHA256Digest {
            if let dtype { return try importConverted(checkpoint, to: dtype, into: store) }
            let bar = ProgressBar(label: "importing",
                                  total: checkpoint.manifest.totalByteCount + checkpoint.manifest.canonicalBytes.count)
            defer { bar.finish() }
            return try store.importCheckpoint(checkpoint, name: try target(for: checkpoint.manifest), progress: bar.callback)
        }

        /// A folder the archive extractor just wrote: its files are renamed into the store. The
        /// extractor checked each member against its shard digest only, so the store checks
        /// every tensor digest (which re-reads the files: digests from outside are not trusted).
        private func importStaged(_ directory: String, manifest: Manifest, into store: Store) throws -> SHA256Digest {
            if let dtype { return try importConverted(try Checkpoint(directory: directory), to: dtype, into: store) }
            let bar = ProgressBar(label: "checking", total: manifest.totalByteCount + manifest.canonicalBytes.count)
            defer { bar.finish() }
            return try store.importStaged(directory: directory, name: try target(for: manifest), progress: bar.callback)
        }

        /// `--dtype`: stores `checkpoint` converted. Its lineage names the unconverted checkpoint (not
        /// stored) as parent, and keeps that checkpoint's own lineage in the recipe.
        private func importConverted(_ checkpoint: Checkpoint, to dtype: TargetDType, into store: Store) throws -> SHA256Digest {
            let source = checkpoint.manifest
            // The converter reads the tensors, not the digests: check the input as a plain import does.
            do {
                let bar = ProgressBar(label: "checking", total: source.totalByteCount)
                defer { bar.finish() }
                try Store.checkInput(checkpoint, progress: bar.callback)
            }
            var lineage = DTypeConverter.lineage(parent: checkpoint.digest, parentName: source.name, target: dtype.dtype)
            if let earlier = source.lineage, case var .object(recipe)? = lineage.recipe {
                recipe["parentLineage"] = ["parent": earlier.parent.map { .string($0.description) } ?? .null, "recipe": earlier.recipe ?? .null]
                lineage.recipe = .object(recipe)
            }
            return try Zoo.Convert.convertAndStore(checkpoint, to: dtype, lineage: lineage, name: try target(for: source), in: store)
        }

        /// Runs `body` (a library call without a progress hook) with a bar fed by the bytes
        /// appearing under `directory`.
        private func watching<T>(_ directory: String, label: String, total: Int?, _ body: () throws -> T) rethrows -> T {
            let bar = ProgressBar(label: label, total: total)
            let watch = bar.watch(directory)
            defer {
                watch.stop()
                bar.finish()
            }
            return try body()
        }

        /// `--name`, else the manifest's name sanitised, else the file's base name sanitised.
        private func target(for manifest: Manifest) throws -> ModelReference {
            if let name { return name }
            let candidates = [manifest.name, Self.baseName(of: path)]
            let chosen = candidates.lazy.compactMap(ModelReference.sanitizedName).first ?? "model"
            return try ModelReference(name: chosen)
        }

        /// `bert.zoo.zst` -> `bert`; `models/bert-tiny/` -> `bert-tiny`.
        static func baseName(of path: String) -> String {
            var base = path.split(separator: "/").last.map(String.init) ?? path
            for suffix in [".zst", ".zoo", ".safetensors", ".json"] where base.hasSuffix(suffix) && base.count > suffix.count {
                base.removeLast(suffix.count)
            }
            return base
        }
    }
}
