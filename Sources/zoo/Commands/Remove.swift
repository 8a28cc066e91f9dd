import ArgumentParser
import ZooFormat
import ZooStore

extension Zoo {
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Remove models from the store.",
            discussion: """
                NAME:TAG removes that tag; NAME@sha256:HEX the model under that name (untagged, or every tag \
                of that name pointing at it); a digest or digest prefix removes every ref of the model. \
                Blobs no remaining model needs are deleted. Several references are removed in turn; \
                one that fails (no such model) is reported and the others are still removed, and the \
                exit status is then 1.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The models: NAME[:TAG], NAME@sha256:HEX, a digest or a digest prefix.", valueName: "ref"),
                  transform: { try ModelReference(parsing: $0) })
        var references: [ModelReference]

        @Flag(help: "Show what would be untagged and deleted; change nothing.")
        var dryRun = false

        @Flag(help: "Print a JSON array (one object per reference removed) instead of text.")
        var json = false

        func run() throws {
            let store = global.openStore
            var failures = 0
            var reports: [JSONValue] = []
            defer { if json { JSONOutput.print(.array(reports)) } }
            for reference in references {
                do {
                    let report = try store.remove(reference, dryRun: dryRun)
                    if json {
                        reports.append(.object([
                            "reference": .string(reference.description), "dryRun": .bool(dryRun),
                            "untagged": .array(report.removedRefs.map { .object(["name": .string($0.name), "tag": .optionalString($0.tag),
                                                                                   "digest": .string($0.digest.description)]) }),
                            "deletedBlobs": .int(report.deletedBlobs.count), "freedBytes": .int(report.freedByteCount),
                        ]))
                        continue
                    }
                    let (untagged, deleted) = dryRun ? ("Would untag", "Would delete") : ("Untagged", "Deleted")
                    for ref in report.removedRefs { global.output.result("\(untagged): \(ref) (\(ref.digest))", quiet: ref.description) }
                    if !global.output.isQuiet { print("\(deleted) \(report.deletedBlobs.count) blob\(report.deletedBlobs.count == 1 ? "" : "s") "
                        + "(\(Formatting.bytes(report.freedByteCount)))") }
                } catch {
                    // One line per failed reference; the rest are still removed.
                    guard references.count > 1 else { throw error }
                    Terminal.writeError("Error: \(error)")
                    failures += 1
                }
            }
            if failures > 0 { throw ExitCode.failure }
        }
    }
}
