import Dispatch
import Foundation

/// What ``Checkpoint/verify(_:progress:)`` checks.
public struct VerificationOptions: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Re-hash every shard and asset and compare with the manifest (the fast check).
    public static let files = VerificationOptions(rawValue: 1)
    /// Also re-hash every tensor, so a failure names the exact tensor.
    public static let tensors = VerificationOptions(rawValue: 2)

    /// Both: the deep check.
    public static let deep: VerificationOptions = [.files, .tensors]
}

/// One thing whose bytes do not match the manifest.
public struct VerificationFailure: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case shard, asset, tensor
        /// Non-zero bytes in the alignment padding between tensors (checked by the deep level):
        /// bytes no tensor digest covers must carry nothing.
        case padding
    }

    public var kind: Kind
    /// The tensor name or the shard / asset path.
    public var name: String
    /// The file holding it and the byte offset there where it starts.
    public var file: String
    public var offset: Int
    public var expected: SHA256Digest
    /// The digest found, or `nil` when the bytes could not be read (then `error` says why).
    public var actual: SHA256Digest?
    public var error: String?

    public var description: String {
        if kind == .padding { return "shard '\(name)' (\(file), byte \(offset)): \(error ?? "non-zero padding")" }
        let found = actual.map { "found \($0)" } ?? (error ?? "unreadable")
        return "\(kind) '\(name)' (\(file), byte \(offset)): expected \(expected), \(found)"
    }
}

/// The outcome of a verification.
public struct VerificationReport: Sendable {
    public var modelDigest: SHA256Digest
    public var checkedShards = 0
    public var checkedAssets = 0
    public var checkedTensors = 0
    /// Bytes hashed (a deep check hashes the tensor bytes a second time).
    public var hashedByteCount = 0
    /// Everything that does not match, in manifest order.
    public var failures: [VerificationFailure] = []

    /// True when nothing failed.
    public var isClean: Bool { failures.isEmpty }
}

extension Checkpoint {
    /// Re-hashes the checkpoint's bytes and compares them with its manifest, spreading the work
    /// over every core (largest items first, so the cores finish together).
    ///
    /// - Parameter progress: called with the number of bytes just hashed, from any thread.
    public func verify(
        _ options: VerificationOptions = .files, progress: (@Sendable (Int) -> Void)? = nil
    ) -> VerificationReport {
        struct Item {
            let kind: VerificationFailure.Kind
            let index: Int
            let length: Int
        }
        var items: [Item] = []
        if options.contains(.files) {
            items += manifest.shards.indices.map { Item(kind: .shard, index: $0, length: manifest.shards[$0].length) }
            items += manifest.assets.indices.map { Item(kind: .asset, index: $0, length: manifest.assets[$0].length) }
        }
        if options.contains(.tensors) {
            items += manifest.tensors.indices.map { Item(kind: .tensor, index: $0, length: manifest.tensors[$0].length) }
            items += manifest.shards.indices.map { Item(kind: .padding, index: $0, length: 0) }
        }
        let work = items
        let order = work.indices.sorted { items[$0].length > items[$1].length }
        let results = ResultSlots(count: items.count)
        let next = Counter()
        let workers = min(max(1, ProcessInfo.processInfo.activeProcessorCount), max(1, items.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let position = next.take(below: order.count) {
                let item = work[order[position]]
                results.set(order[position], self.check(item.kind, item.index, progress: progress))
            }
        }

        var report = VerificationReport(modelDigest: digest)
        for (item, failure) in zip(items, results.values) {
            switch item.kind {
            case .shard: report.checkedShards += 1
            case .asset: report.checkedAssets += 1
            case .tensor: report.checkedTensors += 1
            case .padding: break
            }
            report.hashedByteCount += item.length
            if let failure { report.failures.append(failure) }
        }
        return report
    }

    /// Hashes one item; returns its failure, or `nil` when it matches.
    private func check(_ kind: VerificationFailure.Kind, _ index: Int, progress: (@Sendable (Int) -> Void)?)
        -> VerificationFailure?
    {
        if kind == .padding { return checkPadding(shard: index) }
        let name: String, expected: SHA256Digest, region: FileRegion, offset: Int
        switch kind {
        case .padding: return nil
        case .shard:
            (name, expected, region, offset) = (manifest.shards[index].path, manifest.shards[index].digest,
                                                shardRegions[index], shardRegions[index].offset)
        case .asset:
            (name, expected, region, offset) = (manifest.assets[index].path, manifest.assets[index].digest,
                                                assetRegions[index], assetRegions[index].offset)
        case .tensor:
            let t = manifest.tensors[index]
            (name, expected, region) = (t.name, t.digest, shardRegions[t.shard])
            offset = region.offset + t.offset
        }
        do {
            let mapped = kind == .asset ? try assetBytes(index) : try shardBytes(kind == .shard ? index : manifest.tensors[index].shard)
            var bytes = mapped.bytes
            if kind == .tensor {
                let t = manifest.tensors[index]
                bytes = UnsafeRawBufferPointer(rebasing: bytes[t.offset..<(t.offset + t.length)])
            }
            let hasher = SHA256()
            // Hash in slices so progress moves smoothly and readahead keeps ahead of the hasher.
            let slice = 16 << 20
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + slice)
                let base = bytes.baseAddress.map { $0 - (mapped.bytes.baseAddress ?? $0) } ?? 0
                mapped.owner.willNeed((region.offset + base + end)..<(region.offset + base + min(bytes.count, end + slice)))
                hasher.update(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                progress?(end - start)
                start = end
            }
            let actual = hasher.finalize()
            if actual == expected { return nil }
            return VerificationFailure(kind: kind, name: name, file: region.path, offset: offset, expected: expected,
                                       actual: actual, error: nil)
        } catch {
            return VerificationFailure(kind: kind, name: name, file: region.path, offset: offset, expected: expected,
                                       actual: nil, error: error.description)
        }
    }
}

extension Checkpoint {
    /// Finds the first non-zero byte between the tensors of shard `index`.
    fileprivate func checkPadding(shard index: Int) -> VerificationFailure? {
        let entry = manifest.shards[index]
        let region = shardRegions[index]
        do {
            let bytes = try shardBytes(index).bytes
            var end = 0
            for tensor in manifest.tensors where tensor.shard == index {
                for position in end..<tensor.offset where bytes[position] != 0 {
                    return VerificationFailure(kind: .padding, name: entry.path, file: region.path,
                                               offset: region.offset + position, expected: entry.digest, actual: nil,
                                               error: "non-zero padding byte at shard byte \(position)")
                }
                end = tensor.offset + tensor.length
            }
            return nil
        } catch {
            return VerificationFailure(kind: .padding, name: entry.path, file: region.path, offset: region.offset,
                                       expected: entry.digest, actual: nil, error: error.description)
        }
    }
}

/// Hands out work indices to the verification threads.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

/// One result slot per item; each slot is written by exactly one thread.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [VerificationFailure?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: VerificationFailure?) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
}
