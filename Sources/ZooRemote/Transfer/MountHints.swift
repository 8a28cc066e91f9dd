import ZooFormat
import ZooStore

/// Which repository of a registry holds which blob, as far as this store has seen (blobs it
/// pushed or pulled). A push asks the registry to mount a missing blob from such a repository
/// instead of uploading it (OCI cross-repository mount), so pushing a fine-tune to a new
/// repository sends only the layers that changed.
///
/// A cache: `<store>/hints/<HOST[:PORT]>`, one `<hex> <repository>` line per blob, the newest
/// last. Losing it (or a concurrent writer winning) only costs an upload.
struct MountHints {
    let path: String
    /// Lines kept per registry; older ones are dropped.
    static let limit = 100_000

    init(store: Store, host: String) {
        path = store.root + "/hints/" + host
    }

    /// Repository per blob hex.
    func load() -> [String: String] {
        guard let bytes = try? FileSystem.readFile(path, limit: 64 << 20) else { return [:] }
        var hints: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, SHA256Digest(hex: String(parts[0])) != nil { hints[String(parts[0])] = String(parts[1]) }
        }
        return hints
    }

    /// Records that `repository` holds `blobs`.
    func record(_ blobs: [SHA256Digest], repository: String) {
        var lines: [String] = []
        if let bytes = try? FileSystem.readFile(path, limit: 64 << 20) {
            let wanted = Set(blobs.map(\.hex))
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let hex = line.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
                if !wanted.contains(hex) { lines.append(String(line)) }
            }
        }
        lines += blobs.map { "\($0.hex) \(repository)" }
        if lines.count > Self.limit { lines.removeFirst(lines.count - Self.limit) }
        try? FileSystem.makeDirectories(FileSystem.parentDirectory(of: path))
        try? FileSystem.writeAtomically(Array((lines.joined(separator: "\n") + "\n").utf8), to: path)
    }
}
