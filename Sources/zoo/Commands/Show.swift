import ArgumentParser
import ZooFormat
import ZooStore

extension Zoo {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe a stored model: digest, architecture, size, shards, assets, metadata, lineage.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The model: NAME[:TAG], a digest or a digest prefix.", valueName: "ref"),
                  transform: { try ModelReference(parsing: $0) })
        var reference: ModelReference

        @Flag(help: "Print JSON with everything (tensors included).")
        var json = false

        @Flag(help: "Also list every tensor: name, dtype, shape.")
        var tensors = false

        func run() throws {
            let store = global.openStore
            let digest = try store.resolve(reference)
            let manifest = try store.manifest(for: digest)
            let refs = try store.refs(pointingTo: digest).map(\.description)
            let chain = LineageChain(digest: digest, manifest: manifest, store: store)
            if json {
                JSONOutput.print(Self.json(manifest, digest: digest, refs: refs, chain: chain))
            } else {
                print(Self.text(manifest, digest: digest, refs: refs, tensors: tensors, chain: chain))
            }
        }

        static func text(_ manifest: Manifest, digest: SHA256Digest, refs: [String], tensors: Bool,
                         chain: LineageChain? = nil) -> String {
            let architecture = manifest.architecture
            let size = manifest.totalByteCount + manifest.canonicalBytes.count
            var rows: [[String]] = [
                ["digest:", digest.description],
                ["name:", manifest.name],
                ["refs:", refs.isEmpty ? "(none)" : refs.joined(separator: ", ")],
                ["format:", manifest.formatVersion.description],
                ["architecture:", "\(architecture.type) (\(architecture.family.rawValue))"],
                ["parameters:", "\(Formatting.count(architecture.parameterCount)) (\(architecture.parameterCount))"],
                ["dtypes:", manifest.dtypes.map(\.rawValue).joined(separator: ", ")],
                ["tensors:", "\(manifest.tensors.count)"],
                ["size:", "\(Formatting.bytes(size)) (\(size) bytes)"],
                ["shards:", "\(manifest.shards.count)"],
            ]
            for shard in manifest.shards {
                rows.append(["", "\(shard.path)  \(Formatting.bytes(shard.length))  \(shard.digest)"])
            }
            rows.append(["assets:", "\(manifest.assets.count)"])
            for asset in manifest.assets {
                rows.append(["", "\(asset.path)  \(Formatting.bytes(asset.length))  \(asset.digest)"])
            }
            let keys = manifest.metadata.keys.sorted()
            rows.append(["metadata:", keys.isEmpty ? "(none)" : keys.joined(separator: ", ")])
            if let lineage = manifest.lineage {
                rows.append(["lineage:", "parent \(lineage.parent?.description ?? "(none)")"])
                if let recipe = lineage.recipe {
                    rows.append(["", "recipe " + String(decoding: recipe.canonicalBytes, as: UTF8.self)])
                }
                if lineage.parent != nil, let chain { rows += chain.rows }
            }
            var text = Formatting.table(rows.map { [$0[0], $0[1]] })
            if tensors {
                var table = [["NAME", "DTYPE", "SHAPE"]]
                for tensor in manifest.tensorsInSourceOrder {
                    table.append([tensor.name, tensor.dtype.rawValue,
                                  "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]"])
                }
                text += "\n\n" + Formatting.table(table)
            }
            return text
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
