/// Where zoo keeps the user's settings, apart from any store: the remotes (`remotes.json`) and
/// the trust policy (`trust.json`). A store is data and may be shared or thrown away; settings
/// belong to the user, as git's and docker's do.
public enum ConfigFolder {
    /// `$ZOO_CONFIG_HOME`, else `$XDG_CONFIG_HOME/zoo`, else `~/.config/zoo` (`$HOME`, else the
    /// password database's home directory). Empty variables count as unset. Nothing is created.
    public static func path(environment: [String: String] = Store.currentEnvironment()) -> String {
        if let dir = environment["ZOO_CONFIG_HOME"], !dir.isEmpty { return trimmed(dir) }
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty { return trimmed(config) + "/zoo" }
        return Store.userHome(environment: environment) + "/.config/zoo"
    }

    private static func trimmed(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
