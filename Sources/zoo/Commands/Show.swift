import ArgumentParser
import ZooFormat
import ZooSigning
import ZooStore

extension Zoo {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe a stored model: digest, architecture, size, shards, assets, metadata, lineage.",
            discussion: """
                A remote model (oci://HOST/REPO[:TAG], HOST/REPO[:TAG], REMOTE:NAME[:TAG], FOLDER:NAME[:TAG]) \
                is described from its manifest alone: nothing is pulled or stored. A word before ":" that \
                names a configured remote means that remote; otherwise a stored model of that reference wins.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The model: NAME[:TAG], NAME@sha256:HEX, a digest or a digest prefix; or a remote location.",
                                     valueName: "ref"))
        var argument: String

        @Flag(help: "Print JSON with everything (tensors included).")
        var json = false

        @Flag(help: "Also list every tensor: name, dtype, shape.")
        var tensors = false

        @Flag(help: "For an oci:// location: allow plain http.")
        var insecure = false

        func validate() throws {
            // A malformed reference is a usage error, unless the text may be a remote location.
            guard !RemoteShow.mayBeLocation(argument) else { return }
            do { _ = try ModelReference(parsing: argument) } catch { throw ValidationError(error.description) }
        }

        func run() throws {
            let store = global.openStore
            let (reference, digest): (ModelReference, SHA256Digest)
            switch try RemoteShow.resolve(argument, store: store, insecure: insecure) {
            case let .remote(target):
                try RemoteShow.print(target, store: store, insecure: insecure, json: json, tensors: tensors)
                return
            case let .stored(ref, model):
                (reference, digest) = (ref, model)
            }
            // The ref index names every ref of the model (and of its ancestors) from one file.
            let refs = try store.indexedRefs(confirming: (reference, digest))
            func refNames(_ model: SHA256Digest) -> [String] { refs.filter { $0.digest == model }.map(\.description) }
            if json {
                let manifest = try store.manifest(for: digest)
                let chain = LineageChain(digest: digest, summary: try store.summary(for: digest), store: store, refs: refNames)
                guard case var .object(object) = Self.json(manifest, digest: digest, refs: refNames(digest), chain: chain) else { return }
                object["signatures"] = .array(try ModelSignatures.entries(for: digest, in: store).map(ModelSignatures.json))
                JSONOutput.print(.object(object))
                return
            }
            // The text needs the summary only (it holds the architecture check's result); the tensor
            // table needs the manifest.
            let summary = try store.summary(for: digest)
            let chain = LineageChain(digest: digest, summary: summary, store: store, refs: refNames)
            let signatures = try ModelSignatures.entries(for: digest, in: store).map(ModelSignatures.text)
            var text = Self.text(summary, refs: refNames(digest), chain: chain, signatures: signatures)
            if tensors { text += "\n\n" + Self.tensorTable(try store.manifest(for: digest)) }
            print(text)
        }

        static func text(_ summary: ModelSummary, refs: [String], chain: LineageChain? = nil, signatures: [String] = []) -> String {
            var rows: [[String]] = [
                ["digest:", summary.digest.description],
                ["name:", summary.name],
                ["refs:", refs.isEmpty ? "(none)" : refs.joined(separator: ", ")],
                ["format:", summary.formatVersion.description],
                ["architecture:", "\(summary.type) (\(summary.family.rawValue))"],
                ["parameters:", "\(Formatting.count(summary.parameterCount)) (\(summary.parameterCount))"],
            ]
            // For a known architecture: "bert, 12 x 768 x 12: 109.5M — BERT-base" (the count from the
            // tensors, buffers left out), and what the check found when it is not clean.
            let check = summary.architecture
            if check.architecture != nil {
                if let line = ArchitectureText.configurationLine(check) { rows.append(["config:", line]) }
                if check.findingCount > 0 || !check.isChecked {
                    rows.append(["check:", check.verdict + (check.findingCount > 0 ? " (zoo verify --deep lists them)" : "")])
                }
            }
            rows += [
                ["dtypes:", summary.dtypes.map(\.rawValue).joined(separator: ", ")],
                ["tensors:", "\(summary.tensorCount)"],
                ["size:", "\(Formatting.bytes(summary.byteCount)) (\(summary.byteCount) bytes)"],
                ["shards:", "\(summary.shards.count)"],
            ]
            for shard in summary.shards {
                rows.append(["", "\(shard.path)  \(Formatting.bytes(shard.length))  \(shard.digest)"])
            }
            rows.append(["assets:", "\(summary.assets.count)"])
            for asset in summary.assets {
                rows.append(["", "\(asset.path)  \(Formatting.bytes(asset.length))  \(asset.digest)"])
            }
            let keys = summary.metadataKeys
            rows.append(["metadata:", keys.isEmpty ? "(none)" : keys.joined(separator: ", ")])
            if let lineage = summary.lineage {
                rows.append(["lineage:", "parent \(lineage.parent?.description ?? "(none)")"])
                if let recipe = lineage.recipe {
                    rows.append(["", "recipe " + String(decoding: recipe.canonicalBytes, as: UTF8.self)])
                }
                if lineage.parent != nil, let chain { rows += chain.rows }
            }
            // Listed only when there are some, so unsigned models print as before.
            for (i, signature) in signatures.enumerated() { rows.append([i == 0 ? "signatures:" : "", signature]) }
            return Formatting.table(rows.map { [$0[0], $0[1]] })
        }

        /// NAME, DTYPE, SHAPE of every tensor, in the source's order.
        static func tensorTable(_ manifest: Manifest) -> String {
            var table = [["NAME", "DTYPE", "SHAPE"]]
            for tensor in manifest.tensorsInSourceOrder {
                table.append([tensor.name, tensor.dtype.rawValue,
                              "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]"])
            }
            return Formatting.table(table)
        }

        static func json(_ manifest: Manifest, digest: SHA256Digest, refs: [String], chain: LineageChain? = nil) -> JSONValue {
            func file(_ entry: FileEntry) -> JSONValue {
                .object(["path": .string(entry.path), "length": .int(entry.length), "digest": .string(entry.digest.description)])
            }
            let architecture = manifest.architecture
            var object: [String: JSONValue] = [
                "digest": .string(digest.description),
                "name": .string(manifest.name),
                "refs": .array(refs.map { .string($0) }),
                "formatVersion": .string(manifest.formatVersion.description),
                "architecture": .object([
                    "family": .string(architecture.family.rawValue), "type": .string(architecture.type),
                    "config": .object(architecture.config),
                ]),
                "parameterCount": .int(architecture.parameterCount),
                "dtypes": .array(manifest.dtypes.map { .string($0.rawValue) }),
                "size": .int(manifest.totalByteCount + manifest.canonicalBytes.count),
                "shards": .array(manifest.shards.map(file)),
                "assets": .array(manifest.assets.map(file)),
                "metadata": .object(manifest.metadata),
                "tensors": .array(manifest.tensorsInSourceOrder.map { tensor in
                    .object([
                        "name": .string(tensor.name), "dtype": .string(tensor.dtype.rawValue),
                        "shape": .array(tensor.shape.map { .int($0) }), "shard": .int(tensor.shard),
                        "offset": .int(tensor.offset), "length": .int(tensor.length),
                        "digest": .string(tensor.digest.description),
                    ])
                }),
            ]
            object["architectureCheck"] = ArchitectureText.json(ArchitectureCheck.run(on: manifest))
            if let lineage = manifest.lineage {
                object["lineage"] = .object([
                    "parent": .optionalString(lineage.parent?.description), "recipe": lineage.recipe ?? .null,
                ])
                if let chain { object["chain"] = chain.json }
            } else {
                object["lineage"] = .null
            }
            return .object(object)
        }
    }
}
