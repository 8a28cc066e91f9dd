import ZooFormat
import ZooStore

extension RemoteClient {
    /// The zoo models a remote offers, sorted by name then tag. Entries that are not zoo
    /// checkpoints (other images in the same registry or layout) are left out.
    ///
    /// A layout lists its `index.json`; a registry its catalog (repositories under the remote's
    /// prefix), the tags of each, and each tag's manifest.
    ///
    /// - Throws: ``RemoteError``; for a registry without a catalog API, a `registry` error.
    public func list(_ base: RemoteBase) throws(RemoteError) -> [RemoteEntry] {
        var entries: [RemoteEntry] = []
        switch base {
        case let .folder(path):
            let layout = try ImageLayout(path: path)
            for entry in try layout.entries() {
                guard let (name, tag) = entry.nameAndTag, entry.manifest.mediaType == OCIMediaType.imageManifest else { continue }
                let bytes = try layout.smallBlob(entry.manifest.digest, limit: OCIImageManifest.maxByteCount)
                guard let manifest = try? OCIImageManifest(parsing: bytes, source: path),
                    (try? manifest.requireCheckpoint(source: path)) != nil
                else { continue }
                entries.append(RemoteEntry(name: name, tag: tag, manifestDigest: entry.manifest.digest, manifest: manifest))
            }
        case let .registry(address, namespace):
            let registry = registry(address)
            let connection = try registry.connect()
            guard let repositories = try connection.catalog() else {
                throw RemoteError(.registry(status: 404, code: "UNSUPPORTED", message: "the registry offers no catalog to list",
                                            method: "GET", url: registry.url("_catalog")))
            }
            let prefix = namespace.isEmpty ? "" : namespace + "/"
            for repository in repositories where repository.hasPrefix(prefix) {
                let name = String(repository.dropFirst(prefix.count))
                let scopes = [RegistryScope.pull(repository)]
                for tag in try connection.tags(repository: repository, scopes: scopes) {
                    guard let (bytes, digest) = try connection.manifest(repository: repository, version: .tag(tag), scopes: scopes),
                        let manifest = try? OCIImageManifest(parsing: bytes, source: repository),
                        (try? manifest.requireCheckpoint(source: repository)) != nil
                    else { continue }
                    entries.append(RemoteEntry(name: name, tag: tag, manifestDigest: digest, manifest: manifest))
                }
            }
        }
        return entries.sorted { ($0.name, $0.tag) < ($1.name, $1.tag) }
    }
}
