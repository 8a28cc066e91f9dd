import ArgumentParser
import ZooStore

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The store directory (default: $ZOO_HOME, else $XDG_DATA_HOME/zoo, else ~/.local/share/zoo).",
        valueName: "path"), completion: .directory)
    var store: String?

    @Flag(name: .shortAndLong, help: "Print only errors, warnings and the result's identifier (no progress, no notes).")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print more detail on standard error (the files an import stores, the bytes an export writes, the time taken).")
    var verbose = false

    /// The store the command works on.
    var openStore: Store { Store(root: store ?? Store.defaultRoot()) }

    /// How much the command says, from `-q` and `-v`.
    var output: Output { Output(level: quiet ? .quiet : verbose ? .verbose : .normal) }

    func validate() throws {
        if quiet && verbose { throw ValidationError("-q/--quiet and -v/--verbose cannot be used together.") }
    }
}

extension GlobalOptions {
    /// The flags of these options that may come before the subcommand.
    static let leadingFlags: Set<String> = ["-q", "--quiet", "-v", "--verbose"]

    /// `zoo --store PATH list` and `zoo -q pull ...` as docker and git allow them: a `--store` (or
    /// `--store=PATH`), `-q`/`--quiet` or `-v`/`--verbose` given before the subcommand is moved after
    /// the subcommand's name, where every subcommand takes it. Anything else is left as written.
    static func movingLeadingOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if first == "--store", rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--store=") || Self.leadingFlags.contains(first) {
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
