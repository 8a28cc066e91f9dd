#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// A model repository as huggingface_hub caches it: `models--ORG--NAME/` with `blobs/<hash>`
/// (the file contents, named by their sha256 for LFS files and by their git blob sha1
/// otherwise), `refs/<ref>` (a commit hash) and `snapshots/<commit>/<file>`, each a relative
/// link into `../../blobs/`.
///
/// Reading a snapshot follows a link only when it lands on a regular file directly inside
/// this repo folder's `blobs/` (checked both on the link text and with `realpath`); anything
/// else is refused naming the link. A regular file inside the snapshot (a cache written
/// without symlinks) is read in place, unchecked by name.
///
/// ```swift
/// let snapshot = try HuggingFaceCache.snapshot(at: "~/.cache/huggingface/hub/models--org--bert", revision: nil)
/// try snapshot.verifyBlobs()
/// let model = try snapshot.model()
/// ```
public enum HuggingFaceCache {
    /// The most entries a snapshot may hold (real repos have tens), and the deepest nesting.
    static let maxEntries = 10_000
    static let maxDepth = 16

    /// The cache folders to look in, in order: `HF_HUB_CACHE`, else `HF_HOME/hub`, else
    /// `~/.cache/huggingface/hub` (huggingface_hub's own rule).
    public static func cacheRoot(environment: [String: String]) -> String {
        if let hub = environment["HF_HUB_CACHE"], !hub.isEmpty { return hub }
        if let home = environment["HF_HOME"], !home.isEmpty { return home + "/hub" }
        return (environment["HOME"] ?? "") + "/.cache/huggingface/hub"
    }

    /// `org/name` -> `models--org--name` (huggingface_hub's folder name).
    public static func folderName(repoID: String) -> String {
        "models--" + repoID.replacing("/", with: "--")
    }

    /// `models--org--name` -> `org/name`; nil for another name.
    public static func repoID(folderName: String) -> String? {
        guard folderName.hasPrefix("models--"), folderName.count > "models--".count else { return nil }
        return String(folderName.dropFirst("models--".count)).replacing("--", with: "/")
    }

    /// Parses `hf://ORG/NAME[@REVISION]` into the repo id and revision.
    public static func parseReference(_ text: String) throws(HuggingFaceCacheError) -> (repo: String, revision: String?) {
        guard text.hasPrefix("hf://") else { throw HuggingFaceCacheError(path: text, reason: .invalidReference(text)) }
        let rest = text.dropFirst("hf://".count)
        let parts = rest.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let repo = String(parts[0])
        let revision = parts.count == 2 ? String(parts[1]) : nil
        let pieces = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(pieces.count), pieces.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
            !repo.contains("--"), revision.map({ !$0.isEmpty && HuggingFace.isSafeRelativePath($0) }) ?? true
        else { throw HuggingFaceCacheError(path: text, reason: .invalidReference(text)) }
        return (repo, revision)
    }

    /// The repo folder and the revision that `path` names, when it is a cache folder:
    /// `models--ORG--NAME` (revision nil), or `models--ORG--NAME/snapshots/<commit>`.
    public static func location(of path: String) -> (repoFolder: String, revision: String?)? {
        let trimmed = FileSystem.trimmingTrailingSlashes(path)
        let last = FileSystem.lastComponent(of: trimmed)
        if repoID(folderName: last) != nil, FileSystem.kind(of: trimmed + "/snapshots") == .directory {
            return (trimmed, nil)
        }
        let snapshots = FileSystem.parentDirectory(of: trimmed)
        let repo = FileSystem.parentDirectory(of: snapshots)
        if FileSystem.lastComponent(of: snapshots) == "snapshots", repoID(folderName: FileSystem.lastComponent(of: repo)) != nil,
            FileSystem.kind(of: trimmed) == .directory
        {
            return (repo, last)
        }
        return nil
    }

    /// The snapshot of `repoFolder` for `revision`: a ref name (`refs/<revision>`) or a commit
    /// hash (a `snapshots/` folder); nil means `main`. Every entry is resolved and checked.
    public static func snapshot(at repoFolder: String, revision: String?) throws(HuggingFaceCacheError) -> HuggingFaceSnapshot {
        let repoFolder = FileSystem.trimmingTrailingSlashes(repoFolder)
        guard let repo = repoID(folderName: FileSystem.lastComponent(of: repoFolder)),
            FileSystem.kind(of: repoFolder) == .directory
        else { throw HuggingFaceCacheError(path: repoFolder, reason: .notACacheFolder) }
        let wanted = revision ?? "main"
        var ref: String? = nil
        var commit = wanted
        let refPath = repoFolder + "/refs/" + wanted
        if HuggingFace.isSafeRelativePath(wanted), FileSystem.kind(of: refPath) == .regular {
            commit = try readRef(refPath, name: wanted)
            ref = wanted
        } else if !isCommitHash(wanted) || FileSystem.kind(of: repoFolder + "/snapshots/" + wanted) != .directory {
            throw HuggingFaceCacheError(path: repoFolder, reason: .unknownRevision(
                wanted, looked: ["refs/\(wanted)", isCommitHash(wanted) ? "snapshots/\(wanted)" : nil].compactMap { $0 }))
        }
        let snapshotFolder = repoFolder + "/snapshots/" + commit
        guard FileSystem.kind(of: repoFolder + "/snapshots") == .directory, FileSystem.kind(of: snapshotFolder) == .directory else {
            throw HuggingFaceCacheError(path: repoFolder, reason: .unknownRevision(commit, looked: ["snapshots/\(commit)"]))
        }
        let files = try resolveEntries(snapshotFolder: snapshotFolder, repoFolder: repoFolder)
        let mainCommit = ref == "main" ? commit : (try? readRef(repoFolder + "/refs/main", name: "main"))
        return HuggingFaceSnapshot(repoFolder: repoFolder, repoID: repo, commit: commit, ref: ref,
                                   isMain: mainCommit == commit, folder: snapshotFolder, files: files)
    }

    /// Whether `text` is a full commit hash (40 lowercase hex).
    static func isCommitHash(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// The commit a `refs/` file names (huggingface_hub writes it without a newline).
    static func readRef(_ path: String, name: String) throws(HuggingFaceCacheError) -> String {
        guard FileSystem.kind(of: path) == .regular else {
            throw HuggingFaceCacheError(path: path, reason: .unknownRevision(name, looked: ["refs/\(name)"]))
        }
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path, limit: 256) } catch { throw HuggingFaceCacheError(path: path, reason: .io(error)) }
        let text = String(decoding: bytes ?? [], as: UTF8.self).trimmingWhitespace
        guard isCommitHash(text) else { throw HuggingFaceCacheError(path: path, reason: .invalidRef(name)) }
        return text
    }

    /// Every file of the snapshot (relative path -> the regular file to read), links checked.
    static func resolveEntries(snapshotFolder: String, repoFolder: String) throws(HuggingFaceCacheError) -> [String: String] {
        let blobs = repoFolder + "/blobs"
        let realBlobs = realPath(blobs)
        var files: [String: String] = [:]
        var pending: [(relative: String, depth: Int)] = [("", 0)]
        var count = 0
        while let (relative, depth) = pending.popLast() {
            let folder = relative.isEmpty ? snapshotFolder : snapshotFolder + "/" + relative
            let names: [String]
            do { names = try FileSystem.listDirectory(folder) } catch { throw HuggingFaceCacheError(path: folder, reason: .io(error)) }
            for name in names {
                count += 1
                guard count <= maxEntries, depth < maxDepth else {
                    throw HuggingFaceCacheError(path: snapshotFolder, reason: .tooManyEntries(limit: maxEntries))
                }
                let entry = relative.isEmpty ? name : relative + "/" + name
                let path = snapshotFolder + "/" + entry
                switch FileSystem.kind(of: path) {
                case .directory: pending.append((entry, depth + 1))
                case .regular: files[entry] = path
                case .symbolicLink:
                    files[entry] = try resolveLink(path, depth: depth, blobs: blobs, realBlobs: realBlobs, repoFolder: repoFolder)
                default:
                    throw HuggingFaceCacheError(path: path, reason: .unexpectedEntry(path))
                }
            }
        }
        return files
    }

    /// The blob a snapshot link names. Its text must lead, by `..` back to the repo folder,
    /// to `blobs/<name>`, and the real path must agree (no link on the way).
    static func resolveLink(_ link: String, depth: Int, blobs: String, realBlobs: String?, repoFolder: String)
        throws(HuggingFaceCacheError) -> String
    {
        guard let target = readLink(link) else {
            throw HuggingFaceCacheError(path: repoFolder, reason: .danglingLink(link: link, target: "?"))
        }
        // snapshots/<commit>/<depth folders>/<file>: depth + 2 levels up is the repo folder.
        let parts = target.split(separator: "/", omittingEmptySubsequences: false)
        let ups = depth + 2
        guard !target.hasPrefix("/"), parts.count == ups + 2, parts.prefix(ups).allSatisfy({ $0 == ".." }),
            parts[ups] == "blobs", HuggingFace.isSafeRelativePath(String(parts[ups + 1]))
        else { throw HuggingFaceCacheError(path: repoFolder, reason: .linkOutsideBlobs(link: link, target: target)) }
        let blob = blobs + "/" + parts[ups + 1]
        // A linked blobs/ folder would put the contents outside the repo folder.
        guard FileSystem.kind(of: blobs) == .directory else {
            throw HuggingFaceCacheError(path: repoFolder, reason: .linkOutsideBlobs(link: link, target: target))
        }
        switch FileSystem.kind(of: blob) {
        case .regular: break
        case .missing: throw HuggingFaceCacheError(path: repoFolder, reason: .danglingLink(link: link, target: target))
        default: throw HuggingFaceCacheError(path: repoFolder, reason: .linkOutsideBlobs(link: link, target: target))
        }
        guard let realBlobs, let real = realPath(link), real == realBlobs + "/" + parts[ups + 1] else {
            throw HuggingFaceCacheError(path: repoFolder, reason: .linkOutsideBlobs(link: link, target: target))
        }
        return blob
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink(path, &buffer, 4096)
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
