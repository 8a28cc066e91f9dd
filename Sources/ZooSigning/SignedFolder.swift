import ZooFormat

/// Hashes a model folder the way `model_signing`'s `files` serialization does: every regular
/// file below the folder, by `/`-separated relative path, except the ignored paths (each
/// ignores itself and everything under it, relative to the folder's top). Like the official
/// tool with its defaults, a symbolic link or a special file anywhere in the folder, ignored
/// parts included, is refused.
public enum SignedFolder {
    /// `model_signing`'s defaults: its signature file `model.sig`, and git's `.git`,
    /// `.gitattributes`, `.github`, `.gitignore`.
    public static let defaultIgnoredPaths: Set<String> = Set(InTotoStatement.defaultIgnorePaths)

    /// The signature file a signed folder holds.
    public static let signatureFileName = "model.sig"

    /// Bound on the files of one folder, as for a statement's resources.
    static let maxFiles = InTotoStatement.maxResources

    /// The files below `folder` with their SHA-256, sorted by path.
    public static func files(in folder: String, ignoring ignored: Set<String> = defaultIgnoredPaths) throws(SigningError) -> [SignedFile] {
        var paths: [String] = []
        try walk(folder: folder, relative: "", ignored: ignored, into: &paths)
        var files: [SignedFile] = []
        files.reserveCapacity(paths.count)
        for path in paths { files.append(SignedFile(path: path, digest: try hash(folder + "/" + path))) }
        return files.sorted { SignedFile.precedes($0.path, $1.path) }
    }

    private static func walk(folder: String, relative: String, ignored: Set<String>, into paths: inout [String]) throws(SigningError) {
        let directory = relative.isEmpty ? folder : folder + "/" + relative
        let names: [String]
        do { names = try FileSystem.listDirectory(directory) } catch { throw SigningError(file: folder, reason: .io(error)) }
        for name in names {
            let path = relative.isEmpty ? name : relative + "/" + name
            let skip = isIgnored(path, ignored)
            switch FileSystem.kind(of: folder + "/" + path) {
            case .regular:
                if skip { continue }
                guard SignedFile.isSafe(path) else { throw SigningError(file: folder, reason: .invalidResourceName(path)) }
                paths.append(path)
                guard paths.count <= maxFiles else {
                    throw SigningError(file: folder, reason: .tooLarge(size: paths.count, limit: maxFiles))
                }
            case .directory: try walk(folder: folder, relative: path, ignored: ignored, into: &paths)
            case .symbolicLink: throw SigningError(file: folder, reason: .symbolicLink(path))
            case .missing: continue  // removed while we walked: not part of the model
            case .other: throw SigningError(file: folder, reason: .notRegularFile(path))
            }
        }
    }

    /// Whether `path` is an ignored path or lies below one.
    static func isIgnored(_ path: String, _ ignored: Set<String>) -> Bool {
        if ignored.contains(path) { return true }
        var prefix = Substring(path)
        while let slash = prefix.lastIndex(of: "/") {
            prefix = prefix[..<slash]
            if ignored.contains(String(prefix)) { return true }
        }
        return false
    }

    /// The SHA-256 of the file at `path`, read in 1 MiB pieces.
    static func hash(_ path: String) throws(SigningError) -> SHA256Digest {
        let fd: Int32
        do { fd = try FileSystem.openForReading(path) } catch { throw SigningError(file: path, reason: .io(error)) }
        defer { _ = try? FileSystem.close(fd, path: path) }
        let hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do { count = try FileSystem.read(fd, into: buffer, path: path) } catch { throw SigningError(file: path, reason: .io(error)) }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        return hasher.finalize()
    }
}
