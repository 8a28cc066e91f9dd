import ZooFormat
import ZooRemote
import ZooStore

/// `zoo show LOCATION`: a remote model described from its manifests, nothing pulled.
enum RemoteShow {
    /// What `zoo show` was asked about.
    enum Subject {
        case stored(ModelReference, SHA256Digest)
        case remote(RemoteTarget)
    }

    /// The stored model or the remote target `text` names.
    ///
    /// `oci://` and `file://` URLs, and `REMOTE:...` for a configured remote, are remote. Otherwise
    /// a reference the store resolves is local; what does not resolve is tried as a location
    /// (`HOST[:PORT]/REPO[:TAG]`, `FOLDER:NAME`), and when it is none, the store's error stands.
    static func resolve(_ text: String, store: Store, insecure: Bool) throws -> Subject {
        var client = RemoteClient(store: store)
        client.insecure = insecure
        let explicit = text.hasPrefix("oci://") || text.hasPrefix("file://")
            || text.split(separator: ":", maxSplits: 1).first.map { word in
                !word.contains("/") && ((try? client.remotes.load()) ?? []).contains { $0.name == word }
            } ?? false
        if explicit {
            RemoteSettings.noteShadowed(client.remotes)
            return .remote(try named(client.target(text), text))
        }
        let localError: Error
        do {
            let reference = try ModelReference(parsing: text)
            return .stored(reference, try store.resolve(reference))
        } catch {
            localError = error
        }
        guard let target = try? client.target(text), target.name != nil else { throw localError }
        return .remote(target)
    }

    /// Whether `text` could be a location rather than a stored model's reference.
    static func mayBeLocation(_ text: String) -> Bool {
        text.contains("/") || text.contains(":") || text.hasPrefix(".") || text.hasPrefix("~")
    }

    private static func named(_ target: RemoteTarget, _ text: String) throws -> RemoteTarget {
        guard target.name != nil else {
            throw RemoteError(.invalidLocation(text, why: "say which model: LOCATION:NAME[:TAG] (zoo list --remote lists them)"))
        }
        return target
    }

    static func print(_ target: RemoteTarget, store: Store, insecure: Bool, json: Bool, tensors: Bool) throws {
        var client = RemoteClient(store: store)
        client.insecure = insecure
        let model = try client.inspect(target)
        if json {
            guard case var .object(object) = Zoo.Show.json(model.manifest, digest: model.digest, refs: []) else { return }
            object["source"] = .string(model.source)
            object["manifestDigest"] = .string(model.manifestDigest.description)
            JSONOutput.print(.object(object))
            return
        }
        let summary = ModelSummary(manifest: model.manifest, digest: model.digest,
                                   manifestByteCount: model.manifestByteCount, storedAt: 0)
        var text = "source:         \(model.source)\nmanifest:       \(model.manifestDigest)\n"
        text += Zoo.Show.text(summary, refs: [])
        if tensors { text += "\n\n" + Zoo.Show.tensorTable(model.manifest) }
        Swift.print(text)
    }
}
