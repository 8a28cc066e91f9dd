import ZooFormat

/// Checks a shard's bytes, fed in order in chunks, against what a manifest says of them
/// beyond the shard digest: each tensor's digest, and zero bytes in the alignment padding
/// before each tensor.
///
/// An import runs one of these beside the shard hash (``BlobCopier``), so an input whose
/// manifest names tensor digests its bytes do not have never enters the store, whatever the
/// store already holds. Use from one thread at a time; successive chunks may come from
/// different threads when a join separates them.
final class ShardContentCheck: @unchecked Sendable {
    /// A tensor of the shard: its byte range in the shard and its declared digest.
    private struct Span {
        let name: String
        let start: Int
        let end: Int
        let digest: SHA256Digest
    }

    /// The first disagreement found, in shard byte order.
    enum Failure: Equatable {
        /// The tensor's bytes hash to `actual`; `offset` is where it starts in the file.
        case tensor(name: String, offset: Int, expected: SHA256Digest, actual: SHA256Digest)
        /// A non-zero padding byte at `offset` in the file.
        case padding(offset: Int)
    }

    /// The shard's manifest path, the file its bytes are read from, and where they start there.
    let shardPath: String
    let file: String
    let fileOffset: Int
    private let spans: [Span]
    private var next = 0
    private var hasher: SHA256?
    private var position = 0
    private(set) var failure: Failure?

    /// A check of shard `index` of `manifest`, whose bytes are read from `file` at `fileOffset`
    /// (for messages). The manifest is validated: tensors follow one another in offset order.
    init(manifest: Manifest, shard index: Int, file: String, fileOffset: Int) {
        shardPath = manifest.shards[index].path
        self.file = file
        self.fileOffset = fileOffset
        spans = manifest.tensors.filter { $0.shard == index }
            .map { Span(name: $0.name, start: $0.offset, end: $0.offset + $0.length, digest: $0.digest) }
            .sorted { ($0.start, $0.end) < ($1.start, $1.end) }
    }

    /// Whether the shard has tensors to check (a shard-level digest covers the rest).
    var isEmpty: Bool { spans.isEmpty }

    /// Takes the next `chunk` of the shard. Stops looking once a failure is found.
    func consume(_ chunk: UnsafeRawBufferPointer) {
        let end = position + chunk.count
        defer { position = end }
        guard failure == nil else { return }
        var at = position
        while at < end || (next < spans.count && spans[next].start == at && spans[next].end == at) {
            guard next < spans.count else { return }  // after the last tensor: the shard digest covers it
            let span = spans[next]
            if at < span.start {
                // Padding before the tensor: must be zero.
                let stop = min(end, span.start)
                let bytes = UnsafeRawBufferPointer(rebasing: chunk[(at - position)..<(stop - position)])
                if let bad = bytes.firstIndex(where: { $0 != 0 }) {
                    failure = .padding(offset: fileOffset + at + bad)
                    return
                }
                at = stop
                continue
            }
            let hasher = self.hasher ?? SHA256()
            self.hasher = hasher
            let stop = min(end, span.end)
            if stop > at { hasher.update(UnsafeRawBufferPointer(rebasing: chunk[(at - position)..<(stop - position)])) }
            at = stop
            if at == span.end {
                let actual = hasher.finalize()
                self.hasher = nil
                next += 1
                if actual != span.digest {
                    failure = .tensor(name: span.name, offset: fileOffset + span.start, expected: span.digest, actual: actual)
                    return
                }
            }
        }
    }

    /// Call after the last chunk: the first failure, if any. Tensors the bytes never reached
    /// (the shard was shorter than declared) fail too.
    func finish() -> Failure? {
        consume(UnsafeRawBufferPointer(start: nil, count: 0))  // zero-length tensors at the very end
        if failure == nil, next < spans.count {
            let span = spans[next]
            failure = .tensor(name: span.name, offset: fileOffset + span.start, expected: span.digest,
                              actual: (hasher ?? SHA256()).finalize())
        }
        return failure
    }

    /// The failure as the error an import throws.
    static func error(_ failure: Failure, shard: String, file: String) -> StoreError {
        switch failure {
        case let .tensor(name, offset, expected, actual):
            StoreError(.inconsistentInput(file: file, tensor: name, offset: offset, expected: expected, actual: actual))
        case let .padding(offset):
            StoreError(.nonZeroPadding(file: file, shard: shard, offset: offset))
        }
    }
}
