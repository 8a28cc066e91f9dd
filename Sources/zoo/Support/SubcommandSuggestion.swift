import ArgumentParser

/// "Did you mean ...?" for a mistyped subcommand, as git and docker print: the known
/// subcommand nearest in edit distance to the first argument, when it is close enough to be a typo.
enum SubcommandSuggestion {
    /// The subcommand `arguments` probably meant, or nil when the first argument is an option, a
    /// known subcommand, or nothing near one (at most 2 edits, fewer than half its letters).
    static func suggestion(for arguments: [String], among names: [String]) -> String? {
        guard let typed = arguments.first, !typed.hasPrefix("-"), !names.contains(typed) else { return nil }
        let ranked = names.map { (name: $0, distance: editDistance(typed, $0)) }.min { $0.distance < $1.distance }
        guard let best = ranked, best.distance <= 2, best.distance * 2 < typed.count else { return nil }
        return best.name
    }

    /// The names `zoo <name>` accepts, aliases included.
    static var subcommandNames: [String] {
        Zoo.configuration.subcommands.flatMap { command in
            [command._commandName] + command.configuration.aliases
        }
    }

    /// Levenshtein distance over Unicode scalars (one row at a time).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
