import ZooFormat

/// One file a signature covers: its path relative to the model folder (`/`-separated, no `.`
/// or `..` components) and the SHA-256 of its bytes.
public struct SignedFile: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var digest: SHA256Digest

    public init(path: String, digest: SHA256Digest) {
        self.path = path
        self.digest = digest
    }

    /// The files of a checkpoint's folder form (`manifest.json`, shards, assets), from the
    /// manifest alone (see ``FolderForm``).
    public static func folderForm(of manifest: Manifest, modelDigest: SHA256Digest? = nil) -> [SignedFile] {
        FolderForm.files(of: manifest, modelDigest: modelDigest).map { SignedFile(path: $0.path, digest: $0.digest) }
    }

    public var description: String { "\(path) \(digest)" }

    /// Whether `path` is a safe relative path: non-empty components, none `.` or `..`, no
    /// leading `/`, no NUL or backslash. Both a signature's names and folder walks are held to it.
    static func isSafe(_ path: String) -> Bool {
        guard !path.isEmpty, !path.utf8.contains(0), !path.contains("\\") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// `model_signing`'s resource order: Python's `PurePosixPath` ordering, which compares the
    /// paths component by component (so `a/b` sorts before `a.txt`), each by code points.
    static func precedes(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: "/", omittingEmptySubsequences: false)
        let y = b.split(separator: "/", omittingEmptySubsequences: false)
        for (p, q) in zip(x, y) where !p.unicodeScalars.elementsEqual(q.unicodeScalars) {
            return p.unicodeScalars.lexicographicallyPrecedes(q.unicodeScalars)
        }
        return x.count < y.count
    }
}
