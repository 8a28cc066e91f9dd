import ArgumentParser
import ZooStore

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The store directory (default: $ZOO_HOME, else $XDG_DATA_HOME/zoo, else ~/.local/share/zoo).",
        valueName: "path"), completion: .directory)
    var store: String?

    /// The store the command works on.
    var openStore: Store { Store(root: store ?? Store.defaultRoot()) }
}

extension GlobalOptions {
    /// `zoo --store PATH list` as docker and git allow it: a `--store` (or `--store=PATH`) given
    /// before the subcommand is moved after the subcommand's name, where every subcommand takes it.
    /// Anything else is left as written.
    static func movingLeadingStore(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if first == "--store", rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--store=") {
                leading.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !leading.isEmpty, let subcommand = rest.first, !subcommand.hasPrefix("-") else { return arguments }
        // A nested subcommand (`remote add`) takes the option after its own name too.
        var names = [subcommand]
        rest = rest.dropFirst()
        if subcommand == "remote", let nested = rest.first, !nested.hasPrefix("-") {
            names.append(nested)
            rest = rest.dropFirst()
        }
        return names + leading + rest
    }
}
