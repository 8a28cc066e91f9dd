import ArgumentParser
import ZooFormat
import ZooRemote
import ZooSigning
import ZooStore

extension Zoo {
    struct Trust: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the trust policy: which keys must have signed what is pulled from where.",
            discussion: """
                The policy is trust.json in the config folder ($ZOO_CONFIG_HOME, else \
                $XDG_CONFIG_HOME/zoo, else ~/.config/zoo):
                  {"rules": [
                    {"remote": "hub", "keys": ["/keys/hub.pem"]},
                    {"location": "oci://registry.example.com/team", "name": "bert",
                     "keys": ["/keys/team.pem", "ci.pem"]}]}
                A rule covers the pulls from a remote (however the location is spelled) or from \
                below a location (oci://HOST[:PORT][/PREFIX] or a folder), optionally only models \
                whose name starts with "name". A pull must meet every rule that covers it: a \
                signature by one of the rule's keys that covers exactly the model's files. \
                `zoo pull --key` adds one more such requirement. Relative key paths are read \
                against the config folder. A policy that cannot be read stops every pull.
                """,
            subcommands: [List.self, Add.self, Remove.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the rules.",
                                                            aliases: ["ls"])

            @OptionGroup var global: GlobalOptions

            @Flag(help: "Print a JSON array instead of a table.")
            var json = false

            func run() throws {
                let policy = try TrustPolicy.load()
                if json {
                    JSONOutput.print(.array(policy.rules.enumerated().map { index, rule in
                        .object([
                            "rule": .int(index + 1), "remote": .optionalString(rule.remote),
                            "location": .optionalString(rule.location), "name": .optionalString(rule.name),
                            "keys": .array(rule.keys.map { .string($0) }),
                        ])
                    }))
                    return
                }
                guard !policy.rules.isEmpty else {
                    global.output.note("No trust rules in \(policy.path): pulls are verified only with --key.")
                    return
                }
                var rows = [["RULE", "COVERS", "KEYS"]]
                for (index, rule) in policy.rules.enumerated() {
                    rows.append([String(index + 1), rule.selector, rule.keys.joined(separator: ", ")])
                }
                print(Formatting.table(rows))
            }
        }

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add a rule: pulls it covers need a signature by one of its keys.")

            @OptionGroup var global: GlobalOptions

            @Option(help: ArgumentHelp("Cover the pulls from this remote (zoo remote list).", valueName: "name"))
            var remote: String?

            @Option(help: ArgumentHelp("Cover the pulls from below this location: oci://HOST[:PORT][/PREFIX] or a folder.",
                                       valueName: "location"))
            var location: String?

            @Option(help: ArgumentHelp("Cover only models whose name starts with this.", valueName: "prefix"))
            var name: String?

            @Option(name: .customLong("key"),
                    help: ArgumentHelp("A public key (PEM) whose signature is accepted; repeatable.", valueName: "public.pem"))
            var keys: [String] = []

            func validate() throws {
                guard remote != nil || location != nil || name != nil else {
                    throw ValidationError("Say what the rule covers: --remote, --location or --name.")
                }
                guard remote == nil || location == nil else { throw ValidationError("Give --remote or --location, not both.") }
                guard !keys.isEmpty else { throw ValidationError("Give at least one --key.") }
            }

            func run() throws {
                let directory = RemoteClient.currentDirectory()
                let files = keys.map { $0.hasPrefix("/") ? $0 : directory + "/" + $0 }
                // A key that cannot be read now would refuse every pull the rule covers.
                for file in files { _ = try VerifyingKey(pemFile: file) }
                var folderLocation = location
                if let location, !location.hasPrefix("oci://"), !location.hasPrefix("file://") {
                    folderLocation = location.hasPrefix("/") ? location : directory + "/" + location
                }
                var policy = try TrustPolicy.load()
                let rule = TrustRule(remote: remote, location: folderLocation, name: name, keys: files)
                try policy.add(rule)
                global.output.result("Added trust rule \(policy.rules.count): \(rule.selector) -> \(files.joined(separator: ", "))",
                                     quiet: String(policy.rules.count))
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a rule.")

            @OptionGroup var global: GlobalOptions

            @Argument(help: ArgumentHelp("The rule's number (zoo trust list).", valueName: "rule"))
            var rule: Int

            func run() throws {
                var policy = try TrustPolicy.load()
                try policy.remove(at: rule - 1)
                global.output.result("Removed trust rule \(rule)", quiet: String(rule))
            }
        }
    }
}
