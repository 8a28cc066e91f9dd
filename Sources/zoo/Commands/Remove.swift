import ArgumentParser
import ZooStore

extension Zoo {
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Remove a model from the store.",
            discussion: """
                NAME:TAG removes that tag; a digest or digest prefix removes every tag of the model. \
                Blobs no remaining model needs are deleted.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The model: NAME[:TAG], a digest or a digest prefix.", valueName: "ref"),
                  transform: { try ModelReference(parsing: $0) })
        var reference: ModelReference

        func run() throws {
            let report = try global.openStore.remove(reference)
            for ref in report.removedRefs { print("Untagged: \(ref) (\(ref.digest))") }
            print("Deleted \(report.deletedBlobs.count) blob\(report.deletedBlobs.count == 1 ? "" : "s") "
                + "(\(Formatting.bytes(report.freedByteCount)))")
        }
    }
}
