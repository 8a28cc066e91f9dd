import Foundation
import ZooFormat
import ZooSigning
import ZooStore

/// The CLI's view of a stored model's signatures: parsed bundles beside their store records,
/// and how `show`, `sign`, `verify` and `export` print them.
enum ModelSignatures {
    /// A stored signature and its parse (nil when the bundle no longer parses, e.g. damaged).
    struct Entry {
        var stored: StoredSignature
        var parsed: ModelSignature?
        var parseError: SigningError?
    }

    /// The model's signatures, oldest first.
    static func entries(for model: SHA256Digest, in store: Store) throws -> [Entry] {
        try store.signatures(for: model).map { stored in
            do throws(SigningError) {
                return Entry(stored: stored, parsed: try ModelSignature(bundle: stored.bundle, source: stored.path), parseError: nil)
            } catch {
                return Entry(stored: stored, parsed: nil, parseError: error)
            }
        }
    }

    /// The folder form's files of a stored model, as ZooSigning takes them.
    static func folderFiles(for model: SHA256Digest, in store: Store) throws -> [SignedFile] {
        try store.folderFiles(for: model).map { SignedFile(path: $0.path, digest: $0.digest) }
    }

    static func time(_ date: Date) -> String {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime]
        return format.string(from: date)
    }

    /// `key <fingerprint>  added <time>` (the fingerprint is the bundle's unverified key hint).
    static func text(_ entry: Entry) -> String {
        guard let parsed = entry.parsed else { return "unreadable bundle \(entry.stored.digest.hex)  added \(time(entry.stored.added))" }
        return "key \(parsed.keyHint ?? "(not named)")  added \(time(entry.stored.added))"
    }

    static func json(_ entry: Entry) -> JSONValue {
        .object([
            "key": .optionalString(entry.parsed?.keyHint),
            "added": .string(time(entry.stored.added)),
            "bundle": .string(entry.stored.digest.description),
            "error": .optionalString(entry.parseError?.description),
        ])
    }
}
