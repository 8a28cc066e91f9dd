import ArgumentParser
import ZooFormat
import ZooRemote
import ZooStore

extension Zoo {
    struct Remote: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage named remotes (registries and folders).",
            discussion: """
                A remote is a name for oci://HOST[:PORT][/PREFIX] (a registry, and optionally a \
                repository prefix) or for a folder holding an OCI image layout. `zoo pull REMOTE:NAME[:TAG]` \
                and `zoo push REF REMOTE[:NAME[:TAG]]` then use it; `zoo list --remote REMOTE` lists its \
                models. Remotes are kept in the user's config folder, in remotes.json ($ZOO_CONFIG_HOME, else \
                $XDG_CONFIG_HOME/zoo, else ~/.config/zoo). A store's own remotes.json (where earlier versions \
                kept them) is still read; a remote of the same name in the config folder wins.

                Registry credentials come from ZOO_REGISTRY_USER and ZOO_REGISTRY_PASSWORD, else from \
                $XDG_CONFIG_HOME/zoo/credentials.json (default ~/.config/zoo/credentials.json), which must \
                be readable by its owner only (chmod 600):
                  {"registries": {"registry.example.com":
                                  {"username": "me", "password": "..."}}}
                They are sent only to the registry (and its token server) that asks for them, and never \
                printed.
                """,
            subcommands: [Add.self, Remove.self, List.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a remote.")

            @OptionGroup var global: GlobalOptions

            @Argument(help: ArgumentHelp("Its name: lowercase letters, digits, and . _ - between them.", valueName: "name"))
            var name: String

            @Argument(help: ArgumentHelp("oci://HOST[:PORT][/PREFIX], or a folder path.", valueName: "url"))
            var url: String

            @Flag(help: "Allow plain http to this registry.")
            var insecure = false

            func run() throws {
                let list = RemoteList(store: global.openStore)
                RemoteSettings.noteShadowed(list)
                let remote = try list.add(name: name, url: url, insecure: insecure, workingDirectory: RemoteClient.currentDirectory())
                global.output.result("Added remote \(remote.name): \(remote.url)\(remote.insecure ? " (insecure: plain http allowed)" : "")",
                                     quiet: remote.name)
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a remote.")

            @OptionGroup var global: GlobalOptions

            @Argument(help: ArgumentHelp("The remote's name.", valueName: "name"))
            var name: String

            func run() throws {
                let list = RemoteList(store: global.openStore)
                RemoteSettings.noteShadowed(list)
                try list.remove(name: name)
                global.output.result("Removed remote \(name)", quiet: name)
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the remotes.",
                                                            aliases: ["ls"])

            @OptionGroup var global: GlobalOptions

            @Flag(help: "Print a JSON array instead of a table.")
            var json = false

            func run() throws {
                let list = RemoteList(store: global.openStore)
                RemoteSettings.noteShadowed(list)
                let remotes = try list.load()
                if json {
                    JSONOutput.print(.array(remotes.map {
                        .object(["name": .string($0.name), "url": .string($0.url), "insecure": .bool($0.insecure)])
                    }))
                    return
                }
                var rows = [["NAME", "URL", "INSECURE"]]
                for remote in remotes { rows.append([remote.name, remote.url, remote.insecure ? "yes" : "no"]) }
                print(Formatting.table(rows))
            }
        }
    }
}

/// Where the remotes come from, as the commands report it.
enum RemoteSettings {
    /// Says on stderr (one line) which remotes of the store's old `remotes.json` are hidden by the
    /// config folder's: the config folder wins a name clash.
    static func noteShadowed(_ list: RemoteList) {
        guard let legacy = list.legacyPath, let names = try? list.shadowedLegacyNames(), !names.isEmpty else { return }
        Terminal.writeError("Note: \(legacy) also defines \(names.joined(separator: ", ")); using \(list.path)")
    }
}

/// `zoo list --remote X`: the models a remote offers.
enum RemoteListing {
    static func print(remote: String, insecure: Bool, store: Store, json: Bool) throws {
        var client = RemoteClient(store: store)
        client.insecure = insecure
        RemoteSettings.noteShadowed(client.remotes)
        let entries = try client.list(try client.base(remote))
        if json {
            JSONOutput.print(.array(entries.map { entry in
                .object([
                    "name": .string(entry.name), "tag": .string(entry.tag), "digest": .string(entry.modelDigest.description),
                    "manifestDigest": .string(entry.manifestDigest.description), "size": .int(entry.byteCount),
                    "family": .optionalString(entry.family), "type": .optionalString(entry.type),
                    "parameterCount": entry.parameterCount.map { .int($0) } ?? .null,
                ])
            }))
            return
        }
        var rows = [["NAME", "TAG", "DIGEST", "SIZE", "ARCHITECTURE"]]
        for entry in entries {
            let architecture = [entry.type, entry.family.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
            rows.append([entry.name, entry.tag, String(entry.modelDigest.hex.prefix(12)), Formatting.bytes(entry.byteCount),
                         architecture.isEmpty ? "?" : architecture])
        }
        Swift.print(Formatting.table(rows))
    }
}
