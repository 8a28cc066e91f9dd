import ArgumentParser

/// The `zoo` command: configuration only; each subcommand lives in `Commands/`.
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "Store, convert and check model checkpoints.",
        discussion: """
            Models live in a local content-addressed store: $ZOO_HOME, else $XDG_DATA_HOME/zoo, \
            else ~/.local/share/zoo (--store overrides). Refer to a stored model as NAME[:TAG] \
            (tag "latest" by default), by digest (sha256:<hex>) or by a unique digest prefix of \
            at least 4 hex digits.

            Exit status: 0 on success, 1 when the operation failed or an input is invalid, 2 on \
            a usage error.
            """,
        version: ZooVersion.description,
        subcommands: [Import.self, Export.self, Convert.self, List.self, Show.self, Verify.self, Sign.self, Remove.self,
                      Embed.self, Generate.self, Diff.self, Pull.self, Push.self, Remote.self, Trust.self, Tag.self,
                      GC.self, DiskUsage.self])
}
