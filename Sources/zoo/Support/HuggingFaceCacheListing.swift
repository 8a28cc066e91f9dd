import ZooConverters
import ZooFormat
import ZooStore

/// `zoo list --hf`: the revisions in the Hugging Face hub cache and whether each is imported.
///
/// "Imported" means a stored model records that repo and commit under the manifest metadata
/// `source.huggingface` (what `zoo import` of a cache folder or hf:// id writes); a model
/// imported from a plain copy of the files does not count. Every stored manifest is read once
/// (no tensor is hashed), and the cache's blobs are not hashed either: the listing is cheap and
/// says what was imported, not whether the bytes still agree (`zoo import` checks that).
enum HuggingFaceCacheListing {
    static func print(store: Store, json: Bool) throws {
        let root = HuggingFaceCacheInput.cacheRoot
        let entries = try HuggingFaceCache.scan(root: root)
        var imported: [String: [String]] = [:]  // "repo@commit" -> ["name:tag"]
        var manifests: [SHA256Digest: String?] = [:]
        for entry in (try? store.list()) ?? [] {
            if manifests[entry.digest] == nil { manifests[entry.digest] = source(of: entry.digest, in: store) }
            if let key = manifests[entry.digest] ?? nil { imported[key, default: []].append(entry.ref.description) }
        }
        if json {
            JSONOutput.print(.array(entries.map { entry in
                let snapshot = try? entry.snapshot.get()
                return .object([
                    "repo": .string(entry.repoID), "revision": .string(entry.commit),
                    "refs": .array(entry.refs.map { .string($0) }),
                    "size": snapshot.map { .int($0.byteCount) } ?? .null,
                    "files": snapshot.map { .int($0.files.count) } ?? .null,
                    "imported": .array((imported[entry.repoID + "@" + entry.commit] ?? []).map { .string($0) }),
                    "problem": .optionalString(entry.problem),
                ])
            }))
            return
        }
        guard !entries.isEmpty else {
            Swift.print("No models in the Hugging Face cache \(root).")
            return
        }
        var rows = [["REPO", "REVISION", "REFS", "SIZE", "FILES", "IMPORTED AS"]]
        for entry in entries {
            let snapshot = try? entry.snapshot.get()
            let names = imported[entry.repoID + "@" + entry.commit] ?? []
            rows.append([entry.repoID, String(entry.commit.prefix(12)), entry.refs.isEmpty ? "-" : entry.refs.joined(separator: ","),
                         snapshot.map { Formatting.bytes($0.byteCount) } ?? "-", snapshot.map { String($0.files.count) } ?? "-",
                         entry.problem.map { "unusable: \($0)" } ?? (names.isEmpty ? "-" : names.joined(separator: ", "))])
        }
        Swift.print(Formatting.table(rows))
    }

    /// `repo@commit` from a stored manifest's `source.huggingface`, if it has one.
    private static func source(of digest: SHA256Digest, in store: Store) -> String? {
        guard let manifest = try? store.manifest(for: digest),
            case let .object(source)? = manifest.metadata[HuggingFaceSnapshot.sourceMetadataKey],
            let repo = source["repo"]?.stringValue, let revision = source["revision"]?.stringValue
        else { return nil }
        return repo + "@" + revision
    }
}

extension HuggingFaceCacheEntry {
    var problem: String? {
        if case let .failure(error) = snapshot { return error.description }
        return nil
    }
}
