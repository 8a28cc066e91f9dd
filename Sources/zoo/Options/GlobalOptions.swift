import ArgumentParser
import ZooStore

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The store directory (default: $ZOO_HOME, else $XDG_DATA_HOME/zoo, else ~/.local/share/zoo).",
        valueName: "path"))
    var store: String?

    /// The store the command works on.
    var openStore: Store { Store(root: store ?? Store.defaultRoot()) }
}
