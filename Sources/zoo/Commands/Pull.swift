import ArgumentParser
import ZooFormat
import ZooRemote
import ZooStore

extension Zoo {
    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pull a model from a registry or a folder into the store.",
            discussion: """
                SOURCE is one of:
                  oci://HOST[:PORT]/REPO[:TAG|@sha256:DIGEST]
                      a repository of any OCI registry (https; --insecure allows http)
                  REMOTE:NAME[:TAG|@sha256:DIGEST]
                      model NAME of a remote added with `zoo remote add`
                  FOLDER:NAME[:TAG]  (or file://PATH:NAME[:TAG])
                      model NAME of a folder holding an OCI image layout; in a clone
                      of the zoo repository, `zoo pull zoo:bert-tiny` reads the
                      bundled catalog zoo/

                The tag defaults to "latest". Blobs the store already has are re-hashed, not \
                fetched again; the others are fetched several at a time, hashed as they stream, \
                and a pull that was interrupted continues where it stopped. The name is written \
                only once the whole model is verified. Registry credentials come from \
                ZOO_REGISTRY_USER and ZOO_REGISTRY_PASSWORD, or from the credentials file (see \
                `zoo remote --help`).

                With --key (repeatable), or when a rule of the trust policy covers SOURCE \
                (`zoo trust --help`), the model must carry a signature by one of the keys (an \
                OpenSSF Model Signing bundle, referring to its OCI manifest) that covers exactly \
                its files; this is checked before anything is fetched, and a model that fails \
                stores nothing. Accepted signatures are stored with the model.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("Where to pull from (see above).", valueName: "source"))
        var source: String

        @Option(help: ArgumentHelp("Store it as NAME[:TAG] (default: the remote name and tag).", valueName: "name[:tag]"),
                transform: { try ModelReference(parsing: $0) })
        var name: ModelReference?

        @Option(name: .customLong("key"),
                help: ArgumentHelp("Require a signature by this public key (PEM); repeat to accept any of several.",
                                   valueName: "public.pem"))
        var keys: [String] = []

        @OptionGroup var transfer: TransferOptions

        @Flag(help: "Print a JSON object instead of text.")
        var json = false

        func validate() throws {
            if let name, name.nameAndTag == nil {
                throw ValidationError("--name takes NAME[:TAG], not a digest (got \(name)).")
            }
            try transfer.validate()
        }

        func run() throws {
            let store = global.openStore
            Reclaiming.run(store, output: global.output)
            let client = transfer.client(store: store)
            let target = try client.target(source)
            var requirements = try TrustPolicy.load().requirements(for: target, remotes: try client.remotes.load())
            if !keys.isEmpty {
                let directory = RemoteClient.currentDirectory()
                requirements.append(SignatureRequirement(keyFiles: keys.map { $0.hasPrefix("/") ? $0 : directory + "/" + $0 },
                                                         origin: "--key"))
            }
            let progress = global.output.transferProgress(label: "pulling")
            let report: PullReport
            do {
                report = try client.pull(target, as: name, requiring: requirements, observer: progress.observer)
            } catch {
                progress.finish()
                throw error
            }
            progress.finish()
            if json {
                JSONOutput.print(.object([
                    "source": .string(report.source), "name": .string(report.stored.name), "tag": .optionalString(report.stored.tag),
                    "digest": .string(report.stored.digest.description), "manifestDigest": .string(report.manifestDigest.description),
                    "size": .int(report.totalByteCount), "transferred": .int(report.transferredByteCount),
                    "resumed": .int(report.resumedByteCount), "reused": .int(report.reusedByteCount),
                    "fetchedBlobs": .int(report.fetchedBlobCount), "reusedBlobs": .int(report.reusedBlobCount),
                    "repairedBlobs": .int(report.repairedBlobCount), "seconds": .number(report.seconds),
                    "signatures": .array(report.signatures.map {
                        .object(["key": .string($0.keyFile), "fingerprint": .string($0.fingerprint),
                                 "artifact": .string($0.artifactDigest.description)])
                    }),
                ]))
                return
            }
            // An untagged ref already shows its digest.
            global.output.result(report.stored.tag == nil ? "Pulled \(report.stored)" : "Pulled \(report.stored) (\(report.stored.digest))",
                                 quiet: report.stored.description)
            var detail = "\(report.fetchedBlobCount) blob\(report.fetchedBlobCount == 1 ? "" : "s") fetched, "
                + "\(report.reusedBlobCount) already stored (\(Formatting.bytes(report.reusedByteCount)))"
            if report.repairedBlobCount > 0 { detail += ", \(report.repairedBlobCount) damaged and replaced" }
            if report.resumedByteCount > 0 { detail += ", \(Formatting.bytes(report.resumedByteCount)) resumed" }
            global.output.result(detail + "; \(Formatting.bytes(report.transferredByteCount)) received in "
                + Formatting.seconds(report.seconds), quiet: nil)
            for signature in report.signatures {
                global.output.result("Signature verified: key \(signature.fingerprint.prefix(16)) (\(signature.keyFile))", quiet: nil)
            }
        }
    }
}

/// Options shared by `zoo pull` and `zoo push`.
struct TransferOptions: ParsableArguments {
    @Flag(help: "Allow plain http to an oci:// registry (https otherwise).")
    var insecure = false

    @Option(help: ArgumentHelp("Blobs transferred at once.", valueName: "n"))
    var jobs = 4

    @Option(help: ArgumentHelp("Cap each blob transfer at this many bytes per second, e.g. 50MB.", valueName: "rate"))
    var limitRate: ByteSize?

    func validate() throws {
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64 (got \(jobs)).") }
    }

    func client(store: Store) -> RemoteClient {
        var client = RemoteClient(store: store)
        RemoteSettings.noteShadowed(client.remotes)
        client.insecure = insecure
        client.concurrency = jobs
        client.bytesPerSecond = limitRate?.bytes
        return client
    }
}

extension Formatting {
    /// `0.4 s`, `12.0 s`.
    static func seconds(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
