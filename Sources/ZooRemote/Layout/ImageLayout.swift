import ZooFormat
import ZooStore

/// One model in a layout's `index.json`: its `NAME:TAG` and manifest descriptor.
public struct LayoutEntry: Sendable, Equatable {
    /// The `org.opencontainers.image.ref.name` annotation (`NAME:TAG` for zoo's entries).
    public var reference: String
    public var manifest: OCIDescriptor

    /// The model name and tag, when ``reference`` is `NAME:TAG`.
    public var nameAndTag: (name: String, tag: String)? {
        guard let colon = reference.lastIndex(of: ":") else { return nil }
        return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.reference == rhs.reference && lhs.manifest == rhs.manifest }
}

/// A folder remote: an OCI image layout (image-spec `image-layout.md`).
///
/// ```text
/// <path>/oci-layout        {"imageLayoutVersion":"1.0.0"}
/// <path>/index.json        an image index; each zoo model is one manifest entry annotated
///                          org.opencontainers.image.ref.name = "NAME:TAG"
/// <path>/blobs/sha256/<hex>
/// ```
///
/// Blobs are written to a hidden partial file beside their final name, verified, fsynced and
/// renamed into place; `index.json` is rewritten atomically (temp file + rename) last, under an
/// exclusive lock on `oci-layout`, so concurrent pushes never lose each other's entries and a
/// reader sees the old index or the new one.
public struct ImageLayout: Sendable {
    public let path: String

    public static let layoutFile = "oci-layout"
    public static let indexFile = "index.json"
    static let layoutBytes = Array("{\"imageLayoutVersion\":\"1.0.0\"}".utf8)

    /// Opens an existing layout.
    ///
    /// - Throws: ``RemoteError/Reason/invalidLayout(path:why:)`` when `path` is not a directory
    ///   with an `oci-layout` file of version 1.x and an `index.json`.
    public init(path: String) throws(RemoteError) {
        self.path = FileSystem.trimmingTrailingSlashes(path)
        func fail(_ why: String) -> RemoteError { RemoteError(.invalidLayout(path: self.path, why: why)) }
        guard FileSystem.kind(of: self.path) == .directory else { throw fail("no such folder") }
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(self.path + "/" + Self.layoutFile, limit: 4096) } catch {
            throw fail(error.errno == 2 ? "no oci-layout file" : error.description)
        }
        guard let bytes, let json = try? JSONValue(parsing: bytes),
            let version = json["imageLayoutVersion"]?.stringValue, version.hasPrefix("1.")
        else { throw fail("oci-layout does not declare imageLayoutVersion 1.x") }
        guard FileSystem.kind(of: self.path + "/" + Self.indexFile) == .regular else { throw fail("no index.json") }
    }

    /// Opens the layout at `path`, making an empty one first when the folder is missing or empty.
    public static func openOrCreate(path: String) throws(RemoteError) -> ImageLayout {
        let path = FileSystem.trimmingTrailingSlashes(path)
        switch FileSystem.kind(of: path) {
        case .missing:
            break
        case .directory:
            if FileSystem.kind(of: path + "/" + layoutFile) != .missing { return try ImageLayout(path: path) }
            let names: [String]
            do { names = try FileSystem.listDirectory(path) } catch { throw RemoteError(.io(error)) }
            guard names.isEmpty else {
                throw RemoteError(.invalidLayout(path: path, why: "the folder is not empty and has no oci-layout file"))
            }
        default:
            throw RemoteError(.invalidLayout(path: path, why: "not a folder"))
        }
        do {
            try FileSystem.makeDirectories(path + "/blobs/sha256")
            if FileSystem.kind(of: path + "/" + indexFile) == .missing {
                try FileSystem.writeAtomically(PrettyJSON.bytes(emptyIndex), to: path + "/" + indexFile)
            }
            // oci-layout last: its presence marks a complete layout.
            try FileSystem.writeAtomically(layoutBytes, to: path + "/" + layoutFile)
        } catch {
            throw RemoteError(.io(error))
        }
        return try ImageLayout(path: path)
    }

    static var emptyIndex: JSONValue {
        .object(["schemaVersion": 2, "mediaType": .string(OCIMediaType.imageIndex), "manifests": .array([])])
    }

    /// Where the blob `digest` lives.
    public func blobPath(_ digest: SHA256Digest) -> String { path + "/blobs/sha256/" + digest.hex }

    /// The hidden file a blob is written to before it is renamed into place.
    func partialPath(_ digest: SHA256Digest) -> String { path + "/blobs/sha256/." + digest.hex + ".partial" }

    /// The size of blob `digest`, `nil` when the layout does not have it.
    public func blobSize(_ digest: SHA256Digest) -> Int? {
        guard FileSystem.kind(of: blobPath(digest)) == .regular else { return nil }
        return try? FileSystem.fileSize(blobPath(digest))
    }

    /// Reads a small blob (a manifest or config) whole and checks its digest.
    public func smallBlob(_ digest: SHA256Digest, limit: Int) throws(RemoteError) -> [UInt8] {
        let file = blobPath(digest)
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(file, limit: limit) } catch {
            if error.errno == 2 { throw RemoteError(.invalidLayout(path: path, why: "blob \(digest) is missing")) }
            throw RemoteError(.io(error))
        }
        guard let bytes else { throw RemoteError(.sizeMismatch(blob: digest.description, source: file, expected: limit, actual: limit + 1)) }
        let actual = SHA256.digest(bytes)
        guard actual == digest else {
            throw RemoteError(.digestMismatch(blob: digest.description, source: file, expected: digest, actual: actual))
        }
        return bytes
    }

    /// Every manifest entry of `index.json` with a `ref.name` annotation, in index order.
    public func entries() throws(RemoteError) -> [LayoutEntry] {
        let index = try readIndex()
        var out: [LayoutEntry] = []
        for (i, value) in (index["manifests"]?.arrayValue ?? []).enumerated() {
            let descriptor = try OCIDescriptor(json: value, path: "manifests[\(i)]", source: path + "/" + Self.indexFile)
            guard let reference = descriptor.annotations[OCIAnnotation.refName] else { continue }
            out.append(LayoutEntry(reference: reference, manifest: descriptor))
        }
        return out
    }

    /// The manifest descriptor of model `name` at `version` (a tag, or the OCI manifest digest
    /// or model digest). `nil` when the layout has no such model.
    public func find(name: String, version: RemoteVersion) throws(RemoteError) -> OCIDescriptor? {
        let all = try entries()
        switch version {
        case let .tag(tag):
            return all.last { $0.reference == "\(name):\(tag)" }?.manifest
        case let .digest(digest):
            let named = all.filter { $0.nameAndTag?.name == name }
            return (named.first { $0.manifest.digest == digest }
                ?? named.first { $0.manifest.annotations[OCIAnnotation.modelDigest] == digest.description })?.manifest
        }
    }

    /// Points `NAME:TAG` at `manifest` in `index.json` (replacing an entry with that name),
    /// atomically and under the layout's lock. Entries of other tools are kept as they are.
    public func setReference(_ reference: String, to manifest: OCIDescriptor) throws(RemoteError) {
        try locked { () throws(RemoteError) in try setReferenceLocked(reference, to: manifest) }
    }

    /// Runs `body` holding the layout's exclusive lock (on `oci-layout`), so read-modify-writes
    /// of `index.json` never lose each other's entries.
    func locked<T>(_ body: () throws(RemoteError) -> T) throws(RemoteError) -> T {
        let lock: ExclusiveFile?
        do { lock = try ExclusiveFile.open(path + "/" + Self.layoutFile, create: false, wait: true) } catch {
            throw RemoteError(.io(error))
        }
        guard let lock else { throw RemoteError(.invalidLayout(path: path, why: "oci-layout vanished")) }
        return try withExtendedLifetime(lock) { () throws(RemoteError) -> T in try body() }
    }

    /// ``setReference(_:to:)`` for a caller holding the lock.
    func setReferenceLocked(_ reference: String, to manifest: OCIDescriptor) throws(RemoteError) {
        var index = try readIndex().objectValue ?? [:]
        var manifests = (index["manifests"]?.arrayValue ?? []).filter {
            $0["annotations"]?[OCIAnnotation.refName]?.stringValue != reference
        }
        var entry = manifest
        entry.annotations[OCIAnnotation.refName] = reference
        manifests.append(entry.json)
        manifests.sort {
            ($0["annotations"]?[OCIAnnotation.refName]?.stringValue ?? "") < ($1["annotations"]?[OCIAnnotation.refName]?.stringValue ?? "")
        }
        index["manifests"] = .array(manifests)
        index["schemaVersion"] = 2
        index["mediaType"] = .string(OCIMediaType.imageIndex)
        do { try FileSystem.writeAtomically(PrettyJSON.bytes(.object(index)), to: path + "/" + Self.indexFile) } catch {
            throw RemoteError(.io(error))
        }
    }

    /// Writes a small blob (a manifest) atomically unless it is there.
    func writeSmallBlob(_ bytes: [UInt8], digest: SHA256Digest) throws(RemoteError) {
        if blobSize(digest) == bytes.count { return }
        do { try FileSystem.writeAtomically(bytes, to: blobPath(digest)) } catch { throw RemoteError(.io(error)) }
    }

    private func readIndex() throws(RemoteError) -> JSONValue {
        let file = path + "/" + Self.indexFile
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(file, limit: 64 << 20) } catch { throw RemoteError(.io(error)) }
        guard let bytes else { throw RemoteError(.invalidLayout(path: path, why: "index.json is larger than 64 MiB")) }
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch {
            throw RemoteError(.invalidLayout(path: path, why: "index.json: \(error)"))
        }
        guard json.objectValue != nil, json["schemaVersion"]?.integerValue == 2 else {
            throw RemoteError(.invalidLayout(path: path, why: "index.json is not an image index of schemaVersion 2"))
        }
        return json
    }
}
