import ArgumentParser
import ZooFormat
import ZooRemote
import ZooStore

extension Zoo {
    struct Push: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push a model from the store to a registry or a folder.",
            discussion: """
                DEST is one of:
                  oci://HOST[:PORT][/REPO[:TAG]]
                      any OCI registry (https; --insecure allows plain http)
                  REMOTE[:NAME[:TAG]]
                      a remote added with `zoo remote add`
                  FOLDER[:NAME[:TAG]]
                      a folder holding an OCI image layout, made when missing or
                      empty (write ./FOLDER for a new folder here)
                The name and tag default to the model's local ones.

                The model becomes an OCI image manifest whose config is the zoo manifest and \
                whose layers are its shards and assets (spec/oci.md), so the same checkpoint \
                always has the same manifest digest. Blobs the destination has are not sent \
                again; blobs another repository of the registry holds are mounted from it; an \
                interrupted upload continues where the registry says it stopped; the tag is \
                written last. The model's stored signatures (`zoo sign`) follow it as OCI \
                artifacts whose subject is its manifest: listed by the registry's referrers API, \
                or in the referrers tag sha256-<manifest hex> where there is none (and in folders).
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The model: NAME[:TAG], a digest or a digest prefix.", valueName: "ref"),
                  transform: { try ModelReference(parsing: $0) })
        var reference: ModelReference

        @Argument(help: ArgumentHelp("Where to push to (see above).", valueName: "dest"))
        var destination: String

        @OptionGroup var transfer: TransferOptions

        @Flag(help: "Print a JSON object instead of text.")
        var json = false

        func validate() throws {
            try transfer.validate()
        }

        func run() throws {
            let client = transfer.client(store: global.openStore)
            let target = try client.target(destination)
            let progress = global.output.transferProgress(label: "pushing")
            let report: PushReport
            do {
                report = try client.push(reference, to: target, observer: progress.observer)
            } catch {
                progress.finish()
                throw error
            }
            progress.finish()
            if json {
                JSONOutput.print(.object([
                    "destination": .string(report.destination), "digest": .string(report.modelDigest.description),
                    "manifestDigest": .string(report.manifestDigest.description), "size": .int(report.totalByteCount),
                    "uploaded": .int(report.uploadedByteCount), "resumed": .int(report.resumedByteCount),
                    "skipped": .int(report.skippedByteCount), "mounted": .int(report.mountedByteCount),
                    "uploadedBlobs": .int(report.uploadedBlobCount), "skippedBlobs": .int(report.skippedBlobCount),
                    "mountedBlobs": .int(report.mountedBlobCount), "signatures": .int(report.signatureCount),
                    "seconds": .number(report.seconds),
                ]))
                return
            }
            global.output.result("Pushed \(report.modelDigest) to \(report.destination) (manifest \(report.manifestDigest))",
                                 quiet: report.destination)
            var detail = "\(report.uploadedBlobCount) blob\(report.uploadedBlobCount == 1 ? "" : "s") sent, "
                + "\(report.skippedBlobCount) already there (\(Formatting.bytes(report.skippedByteCount)))"
            if report.mountedBlobCount > 0 {
                detail += ", \(report.mountedBlobCount) mounted (\(Formatting.bytes(report.mountedByteCount)))"
            }
            if report.resumedByteCount > 0 { detail += ", \(Formatting.bytes(report.resumedByteCount)) resumed" }
            global.output.result(detail + "; \(Formatting.bytes(report.uploadedByteCount)) sent in " + Formatting.seconds(report.seconds),
                                 quiet: nil)
            if report.signatureCount > 0 {
                global.output.result("\(report.signatureCount) signature\(report.signatureCount == 1 ? "" : "s") sent as referrers of the manifest",
                                     quiet: nil)
            }
        }
    }
}
