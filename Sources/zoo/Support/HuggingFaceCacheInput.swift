#if canImport(Glibc)
import Glibc
#endif
import ZooConverters

/// `zoo import` of a Hugging Face hub cache: an `hf://ORG/NAME[@REVISION]` id resolved offline
/// against the local cache, or a `models--ORG--NAME` (or `snapshots/<commit>`) folder.
enum HuggingFaceCacheInput {
    /// The cache root from the environment (`HF_HUB_CACHE`, `HF_HOME/hub`, `~/.cache/huggingface/hub`).
    static var cacheRoot: String {
        var environment: [String: String] = [:]
        for key in ["HF_HUB_CACHE", "HF_HOME", "HOME"] {
            if let value = getenv(key) { environment[key] = String(cString: value) }
        }
        return HuggingFaceCache.cacheRoot(environment: environment)
    }

    /// The snapshot `path` names with every blob checked against its name, or nil when `path` is
    /// neither an `hf://` id nor a cache folder. `--revision` overrides `@REVISION` and the folder's.
    static func snapshot(path: String, revision: String?) throws -> HuggingFaceSnapshot? {
        let snapshot: HuggingFaceSnapshot
        if path.hasPrefix("hf://") {
            let (repo, atRevision) = try HuggingFaceCache.parseReference(path)
            let root = cacheRoot
            let folder = root + "/" + HuggingFaceCache.folderName(repoID: repo)
            guard HuggingFaceCache.location(of: folder) != nil else {
                throw HuggingFaceCacheError(path: path, reason: .notInCache(repo: repo, looked: [folder]))
            }
            snapshot = try HuggingFaceCache.snapshot(at: folder, revision: revision ?? atRevision)
        } else if let location = HuggingFaceCache.location(of: path) {
            snapshot = try HuggingFaceCache.snapshot(at: location.repoFolder, revision: revision ?? location.revision)
        } else {
            return nil
        }
        try snapshot.verifyBlobs()
        return snapshot
    }
}
