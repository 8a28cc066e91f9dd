/// A subcommand that takes ``GlobalOptions`` (every one does), so the entry point can read
/// `-v` after parsing and time the whole command (``ZooMain``).
protocol CommandWithGlobalOptions {
    var global: GlobalOptions { get }
}

extension Zoo.Import: CommandWithGlobalOptions {}
extension Zoo.Export: CommandWithGlobalOptions {}
extension Zoo.Convert: CommandWithGlobalOptions {}
extension Zoo.List: CommandWithGlobalOptions {}
extension Zoo.Show: CommandWithGlobalOptions {}
extension Zoo.Verify: CommandWithGlobalOptions {}
extension Zoo.Remove: CommandWithGlobalOptions {}
extension Zoo.Embed: CommandWithGlobalOptions {}
extension Zoo.Diff: CommandWithGlobalOptions {}
extension Zoo.Pull: CommandWithGlobalOptions {}
extension Zoo.Push: CommandWithGlobalOptions {}
extension Zoo.Remote.Add: CommandWithGlobalOptions {}
extension Zoo.Remote.Remove: CommandWithGlobalOptions {}
extension Zoo.Remote.List: CommandWithGlobalOptions {}
extension Zoo.Tag: CommandWithGlobalOptions {}
extension Zoo.GC: CommandWithGlobalOptions {}
extension Zoo.DiskUsage: CommandWithGlobalOptions {}
