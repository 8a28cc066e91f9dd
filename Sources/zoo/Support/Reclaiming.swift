import ZooStore

/// What import, convert and pull do first: free what interrupted imports left in the store.
enum Reclaiming {
    /// Runs ``Store/reclaimInterruptedWork()`` and says on standard error how much it freed
    /// (nothing when it freed nothing, or with `-q`). A failure only warns: the command itself can go on.
    static func run(_ store: Store, output: Output) {
        do {
            let freed = try store.reclaimInterruptedWork()
            if freed > 0 { output.note("Reclaimed \(Formatting.bytes(freed)) of interrupted imports") }
        } catch {
            output.warning("could not reclaim interrupted imports: \(error)")
        }
    }
}
