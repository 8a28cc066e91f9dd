import ArgumentParser
import ZooFormat
import ZooStore

extension Zoo {
    struct DiskUsage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "du",
            abstract: "Show where the store's disk space goes.",
            discussion: """
                One line per model (all its tags together): the bytes it needs and the bytes only it \
                needs, which removing it would free. Then the totals: blobs, bytes shared between \
                models (stored once), bytes no model needs (zoo gc frees them) and bytes in tmp/.
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print a JSON object instead of a table.")
        var json = false

        func run() throws {
            let usage = try global.openStore.diskUsage()
            if json {
                JSONOutput.print(.object([
                    "models": .array(usage.models.map { model in
                        .object(["digest": .string(model.digest.description), "refs": .array(model.refs.map { .string($0) }),
                                 "size": .int(model.byteCount), "uniqueSize": .int(model.uniqueByteCount)])
                    }),
                    "blobs": .int(usage.blobCount), "blobSize": .int(usage.blobByteCount), "sharedSize": .int(usage.sharedByteCount),
                    "unreachableSize": .int(usage.unreachableByteCount), "temporarySize": .int(usage.temporaryByteCount),
                ]))
                return
            }
            var rows = [["MODEL", "DIGEST", "SIZE", "ONLY ITS OWN"]]
            for model in usage.models {
                rows.append([model.refs.joined(separator: ", "), String(model.digest.hex.prefix(12)),
                             Formatting.bytes(model.byteCount), Formatting.bytes(model.uniqueByteCount)])
            }
            print(Formatting.table(rows))
            print("\(usage.blobCount) blob\(usage.blobCount == 1 ? "" : "s"), \(Formatting.bytes(usage.blobByteCount)); "
                + "shared by several models \(Formatting.bytes(usage.sharedByteCount)); "
                + "reclaimable by zoo gc \(Formatting.bytes(usage.unreachableByteCount)); in tmp/ \(Formatting.bytes(usage.temporaryByteCount))")
        }
    }
}
