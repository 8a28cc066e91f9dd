import ArgumentParser

/// `zoo-examples`: worked examples of transfer learning with zoo, run by `make demo`.
@main
struct Examples: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo-examples",
        abstract: "Transfer learning with zoo, end to end.",
        discussion: """
            pretrain trains the small glyph classifier shipped in zoo/ (run once; its output is committed). \
            transfer fine-tunes it on a new task with five labelled examples per class, against the same \
            network trained from scratch, and exports the result with its lineage. bert classifies \
            sentences by topic with all-MiniLM-L6-v2: frozen features plus a trained head, then the top \
            encoder layer fine-tuned with the lower layers frozen.

            Models are read from and written to the zoo store ($ZOO_HOME, or --store).
            """,
        subcommands: [Pretrain.self, Transfer.self, BertTopics.self])
}

/// The store option every example takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The store directory (default: $ZOO_HOME, else $XDG_DATA_HOME/zoo, else ~/.local/share/zoo).",
        valueName: "path"))
    var store: String?
}
