import COpenSSL
import ZooFormat

/// One revision of a cached Hugging Face repo, every entry resolved to its blob.
public struct HuggingFaceSnapshot: Sendable, Equatable {
    /// `.../models--ORG--NAME`.
    public var repoFolder: String
    /// `ORG/NAME`.
    public var repoID: String
    /// The snapshot's commit hash.
    public var commit: String
    /// The ref it was reached through (`main`), nil when named by its commit.
    public var ref: String?
    /// Whether `refs/main` names this commit.
    public var isMain: Bool
    /// `.../snapshots/<commit>`.
    public var folder: String
    /// Relative path -> the regular file (a blob) holding it.
    public var files: [String: String]

    /// Metadata key recording where an import came from: `{"repo": ORG/NAME, "revision": commit}`.
    public static let sourceMetadataKey = "source.huggingface"

    /// The store name zoo gives it: the repo id lowercased (`Org/Name` -> `org/name`).
    public var defaultName: String { repoID }

    /// The tag zoo gives it: `latest` for the revision `refs/main` names, else the ref's name,
    /// else the commit's first 12 hex digits.
    public var defaultTag: String {
        if isMain { return "latest" }
        return ref ?? String(commit.prefix(12))
    }

    /// Total bytes of the snapshot's files.
    public var byteCount: Int {
        files.values.reduce(0) { $0 + ((try? FileSystem.fileSize($1)) ?? 0) }
    }

    /// Checks each blob against its name: a 64-hex name is the sha256 of an LFS file, a 40-hex
    /// name the git blob sha1 (`blob <size>\0` + content) of a small file. Reads every byte of
    /// every file once (at ~1 GB/s, and it warms the page cache the import then reads from);
    /// a blob with another kind of name is not checked.
    public func verifyBlobs() throws(HuggingFaceCacheError) {
        for entry in files.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let blob = files[entry]!
            let name = FileSystem.lastComponent(of: blob)
            guard blob.hasPrefix(repoFolder + "/blobs/") else { continue }
            let algorithm: BlobHash.Algorithm
            switch name.utf8.count {
            case 64: algorithm = .sha256
            case 40: algorithm = .gitSHA1
            default: continue
            }
            let actual = try BlobHash.hex(of: blob, algorithm: algorithm)
            guard actual == name else {
                throw HuggingFaceCacheError(path: folder + "/" + entry,
                                            reason: .blobDigestMismatch(file: entry, expected: name, actual: actual))
            }
        }
    }

    /// The model of the snapshot, read from the blobs as a plain Hugging Face folder is read
    /// (``HuggingFaceFolder``: safetensors, `pytorch_model.bin` sharded or not, or one `.gguf`;
    /// the same config.json and tokenizer handling), named after the repo and recording its
    /// source under ``sourceMetadataKey``. An error names the snapshot entry and its blob.
    public func model() throws -> ForeignModel {
        var model: ForeignModel
        do { model = try HuggingFaceFolder.model(folder, files: files) } catch var error as SafetensorsError {
            error.file = entryName(error.file)
            throw error
        } catch var error as PyTorchError {
            error.file = entryName(error.file)
            throw error
        } catch var error as GGUFError {
            error.file = entryName(error.file)
            throw error
        }
        model.name = defaultName
        model.metadata[Self.sourceMetadataKey] = .object(["repo": .string(repoID), "revision": .string(commit)])
        return model
    }

    /// `blobs/<hash>` as the entry the user knows: `<snapshot>/<entry> (blobs/<hash>)`; other paths as they are.
    private func entryName(_ path: String) -> String {
        guard let entry = files.first(where: { $0.value == path })?.key else { return path }
        return folder + "/" + entry + " (blobs/" + FileSystem.lastComponent(of: path) + ")"
    }
}

/// One revision found by ``HuggingFaceCache/scan(root:)``.
public struct HuggingFaceCacheEntry: Sendable {
    /// `ORG/NAME`.
    public var repoID: String
    /// The snapshot folder's name (a commit hash).
    public var commit: String
    /// The refs (`refs/<name>`) naming this commit, sorted.
    public var refs: [String]
    /// The resolved snapshot, or why it does not resolve (a link outside blobs/, a dangling link...).
    public var snapshot: Result<HuggingFaceSnapshot, HuggingFaceCacheError>
}

extension HuggingFaceCache {
    /// What a cache root holds: every revision of every `models--*` repo, by repo then commit.
    /// Links are checked (a broken revision is listed with its error) but blobs are not hashed.
    public static func scan(root: String) throws(HuggingFaceCacheError) -> [HuggingFaceCacheEntry] {
        guard FileSystem.kind(of: root) == .directory else { return [] }
        let names: [String]
        do { names = try FileSystem.listDirectory(root) } catch { throw HuggingFaceCacheError(path: root, reason: .io(error)) }
        var out: [HuggingFaceCacheEntry] = []
        for name in names.sorted() {
            guard let repo = repoID(folderName: name) else { continue }
            let folder = root + "/" + name
            var refsByCommit: [String: [String]] = [:]
            for ref in (try? FileSystem.listDirectory(folder + "/refs")) ?? [] {
                if let commit = try? readRef(folder + "/refs/" + ref, name: ref) { refsByCommit[commit, default: []].append(ref) }
            }
            let commits = (try? FileSystem.listDirectory(folder + "/snapshots"))?.sorted() ?? []
            for commit in commits {
                let result: Result<HuggingFaceSnapshot, HuggingFaceCacheError>
                do throws(HuggingFaceCacheError) { result = .success(try snapshot(at: folder, revision: commit)) } catch {
                    result = .failure(error)
                }
                out.append(HuggingFaceCacheEntry(repoID: repo, commit: commit, refs: (refsByCommit[commit] ?? []).sorted(),
                                                 snapshot: result))
            }
        }
        return out
    }
}

/// Whole-file digests of cache blobs (OpenSSL EVP), read in 1 MiB pieces.
enum BlobHash {
    enum Algorithm { case sha256, gitSHA1 }

    static func hex(of path: String, algorithm: Algorithm) throws(HuggingFaceCacheError) -> String {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, algorithm == .sha256 ? EVP_sha256() : EVP_sha1(), nil) == 1 else {
            fatalError("EVP_DigestInit_ex failed: OpenSSL is misconfigured")
        }
        do throws(IOError) {
            let fd = try FileSystem.openForReading(path)
            defer { _ = try? FileSystem.close(fd, path: path) }
            if algorithm == .gitSHA1 {
                let header = Array("blob \(try FileSystem.fileSize(path))\0".utf8)
                _ = header.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
            }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let count = try FileSystem.read(fd, into: buffer, path: path)
                if count == 0 { break }
                _ = EVP_DigestUpdate(context, buffer.baseAddress, count)
            }
        } catch {
            throw HuggingFaceCacheError(path: path, reason: .io(error))
        }
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        _ = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        let hexDigits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in out.prefix(Int(length)) { text += [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }
}
