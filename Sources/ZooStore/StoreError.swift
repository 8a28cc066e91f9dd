import ZooFormat

/// Why a store operation failed. The reason names the model, blob or file involved.
///
/// ```swift
/// do { _ = try store.resolve(reference) } catch let error as StoreError {
///     if case .noSuchModel = error.reason { ... }
/// }
/// ```
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The text is not `NAME[:TAG]`, a digest or a digest prefix.
        case invalidReference(String, why: String)
        /// The model name breaks the naming rule.
        case invalidName(String, why: String)
        /// The tag breaks the tagging rule.
        case invalidTag(String, why: String)
        /// No model has this reference (a `NAME:TAG`, digest or prefix, as written).
        case noSuchModel(String)
        /// The digest prefix matches more than one model.
        case ambiguousDigest(prefix: String, candidates: [SHA256Digest])
        /// `NAME:TAG` cannot be stored because a path component is already taken by another
        /// model's tag (`a:b` and `a/b:latest` would both need `refs/a/b`).
        case nameConflict(String, with: String)
        /// `NAME:TAG` already names another model (`holding`), and the import was asked not to
        /// move names (``NamePolicy/keepExisting``).
        case nameTaken(String, holding: SHA256Digest, wanted: SHA256Digest)
        /// A ref file does not hold `sha256:<hex>`.
        case corruptRef(path: String)
        /// The manifest blob does not hash to the model digest, or is not a valid manifest.
        case corruptManifestBlob(digest: SHA256Digest, why: String)
        /// A blob the model needs is missing from the store.
        case missingBlob(name: String, digest: SHA256Digest)
        /// A blob's size differs from what the manifest declares.
        case blobSizeMismatch(name: String, digest: SHA256Digest, expected: Int, actual: Int)
        /// Bytes being imported do not hash to the manifest's digest. `name` is the shard or
        /// asset path, `file` and `offset` where its bytes were read.
        case blobDigestMismatch(name: String, file: String, offset: Int, expected: SHA256Digest, actual: SHA256Digest)
        /// A tensor of the input being imported does not hash to the digest its manifest
        /// declares: the input is inconsistent (its shard digest may still match). `offset` is
        /// where the tensor starts in `file`.
        case inconsistentInput(file: String, tensor: String, offset: Int, expected: SHA256Digest, actual: SHA256Digest)
        /// The input being imported has a non-zero byte in the alignment padding of `shard`, at
        /// `offset` in `file`: bytes outside tensors must be zero.
        case nonZeroPadding(file: String, shard: String, offset: Int)
        /// A stored blob does not hold what the manifest says: `item` is the tensor (or, when no
        /// tensor differs, the shard or asset path) whose bytes differ, read from `file` at
        /// `offset`. Nothing was handed out; the model needs re-importing or re-pulling.
        case damagedBlob(item: String, digest: SHA256Digest, file: String, offset: Int, expected: SHA256Digest,
                         actual: SHA256Digest?)
        /// ``Store/importStaged(directory:name:options:names:progress:)`` was given a folder outside the
        /// store's `tmp/` (its files would be moved away from where the caller left them).
        case notInStagingArea(String, tmp: String)
        /// A signature bundle to keep beside a model is larger than ``Store/maxSignatureByteCount``.
        case signatureTooLarge(size: Int, limit: Int)
        /// The checkpoint itself was rejected.
        case format(FormatError)
        /// A system call failed.
        case io(IOError)
    }

    public var reason: Reason

    public init(_ reason: Reason) {
        self.reason = reason
    }

    public var description: String { reason.description }
}

extension StoreError.Reason: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .invalidReference(text, why): "invalid model reference \"\(text)\": \(why)"
        case let .invalidName(name, why): "invalid model name \"\(name)\": \(why)"
        case let .invalidTag(tag, why): "invalid tag \"\(tag)\": \(why)"
        case let .noSuchModel(reference): "no model \(reference) in the store"
        case let .ambiguousDigest(prefix, candidates):
            "digest prefix \(prefix) matches \(candidates.count) models: "
                + candidates.map(\.description).joined(separator: ", ") + "; give more digits"
        case let .nameConflict(reference, other):
            "cannot store \(reference): its name collides with the stored model \(other)"
        case let .nameTaken(reference, holding, wanted):
            "\(reference) already names model \(holding), not \(wanted): give another --name, or --force to move \(reference) to the new model"
        case let .corruptRef(path): "\(path): ref file does not hold a sha256 digest"
        case let .corruptManifestBlob(digest, why): "manifest blob \(digest) is corrupt: \(why)"
        case let .missingBlob(name, digest): "\(name): blob \(digest) is missing from the store"
        case let .blobSizeMismatch(name, digest, expected, actual):
            "\(name): blob \(digest) is \(actual) bytes, the manifest declares \(expected)"
        case let .blobDigestMismatch(name, file, offset, expected, actual):
            "\(name) (\(file), byte \(offset)): content hashes to \(actual), the manifest declares \(expected)"
        case let .inconsistentInput(file, tensor, offset, expected, actual):
            "\(file), byte \(offset): tensor '\(tensor)' hashes to \(actual), its manifest declares \(expected); "
                + "the input is inconsistent and was not imported"
        case let .nonZeroPadding(file, shard, offset):
            "\(file), byte \(offset): non-zero byte in the padding of \(shard) (bytes between tensors must be zero); "
                + "the input was not imported"
        case let .damagedBlob(item, digest, file, offset, expected, actual):
            "\(item): the store's blob \(digest) is damaged (\(file), byte \(offset): "
                + (actual.map { "hashes to \($0), the manifest declares \(expected)" } ?? "unreadable")
                + "); run zoo verify, then re-import or re-pull the model"
        case let .notInStagingArea(path, tmp): "\(path) is not inside the store's staging folder \(tmp)"
        case let .signatureTooLarge(size, limit): "signature bundle of \(size) bytes is over the \(limit)-byte limit"
        case let .format(error): error.description
        case let .io(error): error.description
        }
    }
}
