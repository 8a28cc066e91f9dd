#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
        /// The tar layout of the `.zoo` the checkpoint is mapped from (deep level): headers,
        /// padding and end marker, byte for byte (spec §12.4). `expected` is the model digest.
        case archive
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

    public init(
        kind: Kind, name: String, file: String, offset: Int, expected: SHA256Digest, actual: SHA256Digest?,
        error: String? = nil
    ) {
        self.kind = kind
        self.name = name
        self.file = file
        self.offset = offset
        self.expected = expected
        self.actual = actual
        self.error = error
    }

    public var description: String {
        if kind == .padding { return "shard '\(name)' (\(file), byte \(offset)): \(error ?? "non-zero padding")" }
        if kind == .archive { return "archive '\(name)' (\(file), byte \(offset)): \(error ?? "bad tar layout")" }
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
            case .padding, .archive: break
            }
            report.hashedByteCount += item.length
            if let failure { report.failures.append(failure) }
        }
        if options.contains(.tensors), let failure = checkArchiveLayout() { report.failures.append(failure) }
        return report
    }

    /// For a checkpoint mapped from one `.zoo` file, walks that archive's tar layout again (the
    /// file may have changed since it was opened); `nil` when clean or not an archive.
    private func checkArchiveLayout() -> VerificationFailure? {
        guard let first = shardRegions.first?.path ?? assetRegions.first?.path, first == location,
            (shardRegions + assetRegions).allSatisfy({ $0.path == location }), FileSystem.kind(of: location) == .regular
        else { return nil }
        do {
            try CheckpointArchive.verifyLayout(location)
            return nil
        } catch {
            return VerificationFailure(kind: .archive, name: FileSystem.lastComponent(of: location), file: location,
                                       offset: error.offset ?? 0, expected: digest, actual: nil, error: error.reason.description)
        }
    }

    /// Hashes one item; returns its failure, or `nil` when it matches.
    private func check(_ kind: VerificationFailure.Kind, _ index: Int, progress: (@Sendable (Int) -> Void)?)
        -> VerificationFailure?
    {
        if kind == .padding { return checkPadding(shard: index) }
        let name: String, expected: SHA256Digest, region: FileRegion, offset: Int
        switch kind {
        case .padding, .archive: return nil
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
            var start = region.offset
            var length = region.length
            if kind == .tensor {
                let t = manifest.tensors[index]
                start += t.offset
                length = t.length
            }
            let actual = try Self.hashFileRange(
                region.path, from: start, count: length, fileEnd: region.offset + region.length, name: name,
                progress: progress)
            if actual == expected { return nil }
            return VerificationFailure(kind: kind, name: name, file: region.path, offset: offset, expected: expected,
                                       actual: actual, error: nil)
        } catch {
            return VerificationFailure(kind: kind, name: name, file: region.path, offset: offset, expected: expected,
                                       actual: nil, error: error.description)
        }
    }

    /// Hashes `count` bytes of the file at `path` from byte `start` with pread, not the memory
    /// map: a file truncated behind our back then gives an error instead of a SIGBUS.
    static func hashFileRange(
        _ path: String, from start: Int, count: Int, fileEnd: Int, name: String, progress: (@Sendable (Int) -> Void)?
    ) throws(FormatError) -> SHA256Digest {
        let fd: Int32
        do { fd = try FileSystem.openForReading(path) } catch { throw FormatError(file: path, reason: .io(error)) }
        defer { close(fd) }
        func shortFile() -> FormatError {
            FormatError(file: path, reason: .fileSizeMismatch(
                path: path, declared: fileEnd, actual: (try? FileSystem.fileSize(path)) ?? 0))
        }
        #if canImport(Glibc)
        _ = posix_fadvise(fd, off_t(start), off_t(count), POSIX_FADV_SEQUENTIAL)
        #endif
        let hasher = SHA256()
        let chunk = 4 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(max(count, 1), chunk), alignment: 64)
        defer { buffer.deallocate() }
        var done = 0
        while done < count {
            let want = min(chunk, count - done)
            let n: Int
            do {
                n = try FileSystem.retrying("pread", path: path) { pread(fd, buffer.baseAddress, want, off_t(start + done)) }
            } catch {
                throw FormatError(file: path, reason: .io(error))
            }
            guard n > 0 else { throw shortFile() }  // the file ends early
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            progress?(n)
            done += n
        }
        return hasher.finalize()
    }
}

extension Checkpoint {
    /// Finds the first non-zero byte between the tensors of shard `index`.
    fileprivate func checkPadding(shard index: Int) -> VerificationFailure? {
        let entry = manifest.shards[index]
        let region = shardRegions[index]
        struct ShardEnded: Error {}
        do {
            let fd = try FileSystem.openForReading(region.path)
            defer { close(fd) }
            var gap = [UInt8](repeating: 0, count: Manifest.alignment)
            var end = 0
            for tensor in manifest.tensors where tensor.shard == index {
                defer { end = tensor.offset + tensor.length }
                guard tensor.offset > end else { continue }
                let count = tensor.offset - end  // < 64: the layout rule puts tensors at the aligned end
                let n = try gap.withUnsafeMutableBytes { raw in
                    Result { () throws(IOError) in
                        try FileSystem.retrying("pread", path: region.path) {
                            pread(fd, raw.baseAddress, count, off_t(region.offset + end))
                        }
                    }
                }.get()
                guard n == count else { throw ShardEnded() }
                for position in end..<tensor.offset where gap[position - end] != 0 {
                    return VerificationFailure(kind: .padding, name: entry.path, file: region.path,
                                               offset: region.offset + position, expected: entry.digest, actual: nil,
                                               error: "non-zero padding byte at shard byte \(position)")
                }
            }
            return nil
        } catch {
            let reason: FormatError.Reason = error is ShardEnded
                ? .fileSizeMismatch(path: region.path, declared: region.offset + region.length,
                                    actual: (try? FileSystem.fileSize(region.path)) ?? 0)
                : .io(error as? IOError ?? IOError(call: "pread", path: region.path, errno: EIO))
            return VerificationFailure(kind: .padding, name: entry.path, file: region.path, offset: region.offset,
                                       expected: entry.digest, actual: nil,
                                       error: FormatError(file: region.path, reason: reason).description)
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
