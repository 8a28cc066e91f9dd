import ZooFormat
import ZooStore

/// Which files of a new checkpoint a store already has, looked up before importing it: the
/// shards of layers a fine-tune left unchanged are byte-identical to the parent's, so they are
/// stored once.
struct BlobAccounting {
    /// A shard, asset or the manifest, with what it holds and whether the store has it.
    struct Blob {
        let entry: FileEntry
        /// `layers.0`, `encoder.layer.3`, `embeddings.*`, `assets/config.json`, `manifest`.
        let label: String
        let isStored: Bool
    }

    let blobs: [Blob]

    init(manifest: Manifest, store: Store) {
        var blobs: [Blob] = []
        for (index, shard) in manifest.shards.enumerated() {
            let first = manifest.tensors.first { $0.shard == index }?.name ?? ""
            let group = WriterOptions.layerGroup(of: first)
            let label = group.isEmpty ? (first.split(separator: ".").first.map { $0 + ".*" } ?? shard.path) : String(group)
            blobs.append(Blob(entry: shard, label: label, isStored: Self.has(store, shard.digest)))
        }
        for asset in manifest.assets {
            blobs.append(Blob(entry: asset, label: asset.path, isStored: Self.has(store, asset.digest)))
        }
        let manifestEntry = FileEntry(path: "manifest.json", length: manifest.canonicalBytes.count, digest: manifest.digest)
        blobs.append(Blob(entry: manifestEntry, label: "manifest", isStored: Self.has(store, manifest.digest)))
        self.blobs = blobs
    }

    private static func has(_ store: Store, _ digest: SHA256Digest) -> Bool {
        FileSystem.kind(of: store.blobPath(digest)) == .regular
    }

    var totalBytes: Int { blobs.reduce(0) { $0 + $1.entry.length } }
    var newBytes: Int { blobs.filter { !$0.isStored }.reduce(0) { $0 + $1.entry.length } }

    /// Two lines: the blobs already stored and the new ones, with sizes.
    var summary: [String] {
        let stored = blobs.filter(\.isStored)
        let new = blobs.filter { !$0.isStored }
        func list(_ blobs: [Blob]) -> String {
            blobs.isEmpty ? "none" : blobs.map { "\($0.label) \(Training.bytes($0.entry.length))" }.joined(separator: ", ")
        }
        return [
            "store: \(blobs.count) blobs; new bytes \(Training.bytes(newBytes)) of \(Training.bytes(totalBytes))",
            "  already stored (\(stored.count)): \(list(stored))",
            "  new (\(new.count)): \(list(new))",
        ]
    }
}
