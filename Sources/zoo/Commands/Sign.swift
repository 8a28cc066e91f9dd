import ArgumentParser
import ZooFormat
import ZooSigning
import ZooStore

extension Zoo {
    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a stored model with a private key and keep the signature in the store.",
            discussion: """
                The signature is an OpenSSF Model Signing bundle (what `model_signing sign key` writes) over the \
                model's folder form: manifest.json, shards/ and assets/, exactly as `zoo export --format folder` \
                writes them. It is computed from the stored digests, so no shard is read. KEY is an unencrypted \
                PEM ECDSA private key on P-256 or P-384 (PKCS#8 or EC PRIVATE KEY), e.g. from \
                `openssl ecparam -name prime256v1 -genkey -noout -out key.pem`. `zoo show` lists signatures; \
                `zoo verify REF --key PUBLIC.pem` checks them; `zoo export --format folder` writes the newest \
                as model.sig.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The model: NAME[:TAG], a digest or a digest prefix.", valueName: "ref"),
                  transform: { try ModelReference(parsing: $0) })
        var reference: ModelReference

        @Option(help: ArgumentHelp("The PEM private key to sign with.", valueName: "private.pem"), completion: .file())
        var key: String

        @Flag(help: "Print a JSON object (model, key, bundle digest, time) instead of text.")
        var json = false

        func run() throws {
            let store = global.openStore
            let key = try SigningKey(pemFile: key)
            let digest = try store.resolve(reference)
            let manifest = try store.manifest(for: digest)
            let files = SignedFile.folderForm(of: manifest, modelDigest: digest)
            let signature = try ModelSignature.sign(files, modelName: manifest.name, with: key)
            let stored = try store.addSignature(signature.bundle, for: digest)
            let entry = ModelSignatures.Entry(stored: stored, parsed: signature, parseError: nil)
            if json {
                var object = ModelSignatures.json(entry)
                if case var .object(members) = object {
                    members["model"] = .string(digest.description)
                    members["files"] = .int(files.count)
                    object = .object(members)
                }
                JSONOutput.print(object)
            } else {
                // -q: the signature's name in the store (the bundle's digest).
                global.output.result("Signed \(reference) \(digest) (\(files.count) files) with \(key.publicKey.curveName) key "
                                     + key.publicKey.fingerprint, quiet: stored.digest.description)
            }
        }
    }
}
