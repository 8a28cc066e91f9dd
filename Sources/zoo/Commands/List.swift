#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ZooFormat
import ZooStore

extension Zoo {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the models in the store.", aliases: ["ls"])

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("Only models whose NAME or NAME:TAG matches this shell pattern (* ? [...]), e.g. 'bert*'.",
                                     valueName: "pattern"))
        var pattern: String?

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
            let entries = try global.openStore.list().filter { entry in
                guard let pattern else { return true }
                return Self.matches(pattern, entry.name) || Self.matches(pattern, entry.ref.description)
            }
            if json {
                JSONOutput.print(.array(entries.map(Self.json)))
                return
            }
            if global.output.isQuiet {  // -q: the references only, as `docker images -q` gives the ids
                for entry in entries { print(entry.ref.description) }
                return
            }
            let now = Int(time(nil))
            var rows = [["NAME", "TAG", "DIGEST", "SIZE", "CREATED", "USED", "ARCHITECTURE"]]
            for entry in entries {
                let architecture: String = if let type = entry.type, let family = entry.family {
                    "\(type) (\(family.rawValue))"
                } else {
                    "unreadable: \(entry.problem ?? "?")"
                }
                rows.append([entry.name, entry.tag ?? "<none>", String(entry.digest.hex.prefix(12)),
                             Formatting.bytes(entry.byteCount), RelativeTime.text(entry.created, now: now),
                             entry.lastUsed.map { RelativeTime.text($0, now: now) } ?? "-", architecture])
            }
            print(Formatting.table(rows))
        }

        /// Shell-style matching (fnmatch(3)); `/` in names is an ordinary character here.
        static func matches(_ pattern: String, _ text: String) -> Bool { fnmatch(pattern, text, 0) == 0 }

        func validate() throws {
            if pattern != nil, remote != nil || huggingFace {
                throw ValidationError("a PATTERN filters the store's models; it cannot be combined with --remote or --hf")
            }
        }

        static func json(_ entry: StoreEntry) -> JSONValue {
            .object([
                "name": .string(entry.name), "tag": .optionalString(entry.tag), "digest": .string(entry.digest.description),
                "reference": .string(entry.ref.description), "created": .string(RelativeTime.iso8601(entry.created)),
                "lastUsed": .optionalString(entry.lastUsed.map(RelativeTime.iso8601)),
                "size": .int(entry.byteCount), "family": .optionalString(entry.family?.rawValue),
                "type": .optionalString(entry.type), "parameterCount": entry.parameterCount.map { .int($0) } ?? .null,
                "problem": .optionalString(entry.problem),
            ])
        }
    }
}
