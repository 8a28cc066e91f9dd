import ArgumentParser
import ZooFormat
import ZooStore

extension Zoo {
    struct Tag: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a stored model another name.",
            discussion: """
                DST (NAME[:TAG], tag "latest" by default) then points at the same model as SRC; an older \
                DST is replaced. Nothing is copied.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The model: NAME[:TAG], NAME@sha256:HEX, a digest or a digest prefix.", valueName: "src"),
                  transform: { try ModelReference(parsing: $0) })
        var source: ModelReference

        @Argument(help: ArgumentHelp("The new name, NAME[:TAG].", valueName: "dst"),
                  transform: { try ModelReference(parsing: $0) })
        var target: ModelReference

        @Flag(help: "Print a JSON object instead of text.")
        var json = false

        func validate() throws {
            guard target.nameAndTag != nil else {
                throw ValidationError("DST takes NAME[:TAG], not a digest (got \(target)).")
            }
        }

        func run() throws {
            let digest = try global.openStore.tag(source, as: target)
            if json {
                JSONOutput.print(.object(["tagged": .string(target.description), "digest": .string(digest.description)]))
            } else {
                global.output.result("Tagged \(target) (\(digest))", quiet: target.description)
            }
        }
    }
}
