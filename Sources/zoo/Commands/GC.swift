import ArgumentParser
import ZooFormat
import ZooStore

extension Zoo {
    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Delete unreferenced blobs and stale partial downloads, and print what was freed.",
            discussion: """
                Deletes blobs no model name needs, partial downloads and upload states of transfers that \
                are no longer running (an interrupted pull loses its head start), and staging folders left \
                by processes that are gone. A pull or push running meanwhile keeps everything it needs.
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Show what would be deleted; delete nothing.")
        var dryRun = false

        @Flag(help: "Print a JSON object instead of text.")
        var json = false

        func run() throws {
            let report = try global.openStore.collectGarbage(dryRun: dryRun)
            if json {
                JSONOutput.print(.object([
                    "dryRun": .bool(dryRun),
                    "blobs": .array(report.deletedBlobs.map { .string($0.description) }), "blobBytes": .int(report.blobByteCount),
                    "partials": .array(report.deletedPartials.map { .string($0) }), "partialBytes": .int(report.partialByteCount),
                    "staging": .array(report.deletedStaging.map { .string($0) }), "stagingBytes": .int(report.stagingByteCount),
                    "liveTransfers": .int(report.liveTransferCount), "livePartials": .int(report.livePartialCount),
                    "freed": .int(report.freedByteCount),
                ]))
                return
            }
            let verb = dryRun ? "Would delete" : "Deleted"
            guard !global.output.isQuiet else { return print(Formatting.bytes(report.freedByteCount)) }
            func plural(_ count: Int, _ word: String, _ words: String? = nil) -> String {
                "\(count) " + (count == 1 ? word : words ?? word + "s")
            }
            print("\(verb) \(plural(report.deletedBlobs.count, "unreferenced blob")) (\(Formatting.bytes(report.blobByteCount)))")
            print("\(verb) \(plural(report.deletedPartials.count, "stale partial transfer")) "
                + "(\(Formatting.bytes(report.partialByteCount)))")
            print("\(verb) \(plural(report.deletedStaging.count, "stale staging entry", "stale staging entries")) "
                + "(\(Formatting.bytes(report.stagingByteCount)))")
            if report.liveTransferCount > 0 || report.livePartialCount > 0 {
                print("Kept \(plural(report.liveTransferCount, "running transfer")) and "
                    + "\(plural(report.livePartialCount, "partial file")) in use")
            }
            print("\(dryRun ? "Would free" : "Freed") \(Formatting.bytes(report.freedByteCount))")
        }
    }
}
