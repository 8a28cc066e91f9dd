import ArgumentParser
import ZooFormat
import ZooStore

extension Zoo {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the models in the store.", aliases: ["ls"])

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print a JSON array of objects instead of a table.")
        var json = false

        @Option(help: ArgumentHelp("List the models of a remote instead: a remote name, oci://HOST[:PORT][/PREFIX] or a folder.",
                                   valueName: "remote"))
        var remote: String?

        @Flag(help: "With --remote oci://...: allow plain http.")
        var insecure = false

        @Flag(name: .customLong("hf"),
              help: "List the Hugging Face cache instead (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub).")
        var huggingFace = false

        func run() throws {
            if huggingFace {
                try HuggingFaceCacheListing.print(store: global.openStore, json: json)
                return
            }
            if let remote {
                try RemoteListing.print(remote: remote, insecure: insecure, store: global.openStore, json: json)
                return
            }
            let entries = try global.openStore.list()
            if json {
                JSONOutput.print(.array(entries.map(Self.json)))
                return
            }
            var rows = [["NAME", "TAG", "DIGEST", "SIZE", "ARCHITECTURE"]]
            for entry in entries {
                let architecture: String = if let type = entry.type, let family = entry.family {
                    "\(type) (\(family.rawValue))"
                } else {
                    "unreadable: \(entry.problem ?? "?")"
                }
                rows.append([entry.name, entry.tag, String(entry.digest.hex.prefix(12)),
                             Formatting.bytes(entry.byteCount), architecture])
            }
            print(Formatting.table(rows))
        }

        static func json(_ entry: StoreEntry) -> JSONValue {
            .object([
                "name": .string(entry.name), "tag": .string(entry.tag), "digest": .string(entry.digest.description),
                "size": .int(entry.byteCount), "family": .optionalString(entry.family?.rawValue),
                "type": .optionalString(entry.type), "parameterCount": entry.parameterCount.map { .int($0) } ?? .null,
                "problem": .optionalString(entry.problem),
            ])
        }
    }
}
