import ZooFormat

/// Why a Hugging Face hub cache folder could not be read: the path involved and the reason.
public struct HuggingFaceCacheError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The folder, link or blob the problem is in.
    public var path: String
    public var reason: Reason

    public enum Reason: Sendable, Equatable {
        /// The folder is neither `models--ORG--NAME` nor one of its `snapshots/<revision>`.
        case notACacheFolder
        /// `refs/<ref>` is missing (or the revision names no snapshot).
        case unknownRevision(String, looked: [String])
        /// A `refs/` file does not hold a 40-hex commit hash.
        case invalidRef(String)
        /// A snapshot entry links outside the repo folder's `blobs/`.
        case linkOutsideBlobs(link: String, target: String)
        /// A snapshot entry links to a blob that does not exist.
        case danglingLink(link: String, target: String)
        /// A snapshot entry is neither a link, a regular file nor a folder.
        case unexpectedEntry(String)
        /// The blob's content does not have the digest its name says.
        case blobDigestMismatch(file: String, expected: String, actual: String)
        /// A snapshot holds more files (or deeper folders) than any model repo does.
        case tooManyEntries(limit: Int)
        /// `hf://ORG/NAME` is in none of the caches looked in.
        case notInCache(repo: String, looked: [String])
        /// `hf://...` is not `hf://ORG/NAME[@REVISION]`.
        case invalidReference(String)
        case io(IOError)
    }

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .notACacheFolder:
            return "\(path): not a Hugging Face cache folder (models--ORG--NAME or models--ORG--NAME/snapshots/REVISION)"
        case let .unknownRevision(revision, looked):
            return "\(path): no revision \"\(revision)\" in the cache (looked for \(looked.joined(separator: ", ")))"
        case let .invalidRef(ref):
            return "\(path): refs/\(ref) does not hold a 40-character commit hash"
        case let .linkOutsideBlobs(link, target):
            return "\(link): links to \"\(target)\", outside \(path)/blobs: refused"
        case let .danglingLink(link, target):
            return "\(link): links to \"\(target)\", which does not exist (an incomplete download?)"
        case let .unexpectedEntry(entry):
            return "\(entry): neither a link into blobs/, a file nor a folder"
        case let .blobDigestMismatch(file, expected, actual):
            return "\(path): blob of \(file) should have digest \(expected) (its name) but has \(actual): the cache is damaged"
        case let .tooManyEntries(limit):
            return "\(path): more than \(limit) entries (or folders nested deeper than 16) in the snapshot"
        case let .notInCache(repo, looked):
            return "\(repo): not in the Hugging Face cache (looked in \(looked.joined(separator: ", ")); " +
                "the cache is HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub); " +
                "download it with huggingface_hub or `hf download \(repo)` first"
        case let .invalidReference(text):
            return "\(text): not hf://ORG/NAME[@REVISION]"
        case let .io(error):
            return error.description
        }
    }
}
