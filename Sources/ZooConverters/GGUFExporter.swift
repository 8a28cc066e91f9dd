#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// Writes a zoo checkpoint as a GGUF v3 file.
///
/// Tensors are written in manifest order under their names (not renamed), with GGUF dimensions =
/// the zoo shape reversed, each at an offset aligned to `general.alignment` (the checkpoint's
/// recorded one, else 32) and padded after, exactly as ggml's own writers lay files out. Their
/// bytes stream from the checkpoint's memory-mapped shards. `Q8_0` stays `Q8_0`; dtypes GGUF
/// lacks (`U8`...`U64`, `BOOL`, `F8_*`) are refused, naming the tensor.
///
/// Metadata: a checkpoint imported from GGUF gets its stored `gguf.metadata` back (same keys,
/// order and types: the round trip is byte-identical); any other gets `general.architecture`,
/// `general.name`, the standard `<arch>.*` hyperparameters from its config and `zoo.architecture`.
/// A lineage zoo made is written as `general.base_model.*` plus `zoo.lineage.*`. Assets have no
/// place in GGUF and are not written (the report lists them).
///
/// The file is written under a temporary name beside `path`, flushed, then renamed into place.
///
/// ```swift
/// let report = try GGUFExporter().export(checkpoint, to: "out/model.gguf")
/// print(report.fileSize, report.skippedAssets)
/// ```
public struct GGUFExporter: Sendable {
    /// The data alignment to write; nil keeps the checkpoint's `general.alignment`, else 32.
    public var alignment: Int?
    /// Recompute `general.file_type` (when present) from the tensors' dtypes. Always done for a
    /// checkpoint whose lineage recipe has `"kind": "convert"`.
    public var refreshFileType: Bool

    public init(alignment: Int? = nil, refreshFileType: Bool = false) {
        self.alignment = alignment
        self.refreshFileType = refreshFileType
    }

    /// What an export wrote.
    public struct Report: Sendable, Equatable {
        /// The size of the written file.
        public var fileSize: Int
        public var tensorCount: Int
        public var keyValueCount: Int
        /// Asset paths of the checkpoint not written (GGUF has no place for files).
        public var skippedAssets: [String]
    }

    /// Writes `checkpoint` as a GGUF file at `path`, which must not exist.
    @discardableResult
    public func export(_ checkpoint: Checkpoint, to path: String) throws(GGUFError) -> Report {
        let plan = try layout(checkpoint, file: path)
        guard FileSystem.kind(of: path) == .missing else {
            throw GGUFError(file: path, reason: .io(IOError(call: "create", path: path, errno: EEXIST)))
        }
        let directory = FileSystem.parentDirectory(of: path)
        let temp = directory + "/" + FileSystem.uniqueName("." + FileSystem.lastComponent(of: path) + ".partial")
        do throws(GGUFError) {
            try Self.writeFile(temp) { (out) throws(IOError) in try plan.write(to: &out) }
            do {
                try FileSystem.renameNoReplace(temp, to: path)
                try FileSystem.syncDirectory(directory)
            } catch { throw GGUFError(file: path, reason: .io(error)) }
        } catch {
            try? FileSystem.removeTree(temp)
            throw error
        }
        return plan.report
    }

    /// Writes the same bytes as ``export(_:to:)`` into `sink`, in order (standard output: the
    /// header and tensor infos come from the manifest, so nothing is staged); flushes, no sync.
    @discardableResult
    package func export(_ checkpoint: Checkpoint, to sink: inout ByteSink) throws(GGUFError) -> Report {
        let plan = try layout(checkpoint, file: sink.name)
        do {
            try plan.write(to: &sink)
            try sink.flush()
        } catch { throw GGUFError(file: sink.name, reason: .io(error)) }
        return plan.report
    }

    /// Everything an export writes, decided before the first byte: the header, the mapped
    /// tensors and the alignment padding after each.
    private struct Plan {
        var header: [UInt8]
        var views: [TensorView]
        var alignment: Int
        var report: Report

        func write(to out: inout ByteSink) throws(IOError) {
            try out.write(header)
            for view in views {
                try out.write(mapped: view.bytes)
                let padding = (alignment - view.bytes.count % alignment) % alignment
                if padding > 0 { try out.write([UInt8](repeating: 0, count: padding)) }
            }
        }
    }

    private func layout(_ checkpoint: Checkpoint, file: String) throws(GGUFError) -> Plan {
        let manifest = checkpoint.manifest
        let pairs = try keyValues(for: manifest, file: file)
        let alignment = try Self.alignment(of: pairs, file: file)
        let (header, dataSize) = try Self.header(tensors: manifest.tensorsInSourceOrder, pairs: pairs, alignment: alignment, file: file)
        var views: [TensorView] = []
        views.reserveCapacity(manifest.tensors.count)
        do {
            for tensor in manifest.tensorsInSourceOrder { views.append(try checkpoint.tensor(named: tensor.name)) }
        } catch {
            throw GGUFError(file: file, reason: .checkpoint(error))
        }
        let report = Report(fileSize: header.count + dataSize, tensorCount: manifest.tensors.count, keyValueCount: pairs.count,
                            skippedAssets: manifest.assets.map(\.path))
        return Plan(header: header, views: views, alignment: alignment, report: report)
    }

    /// The key-value pairs an export of `manifest` writes, in order.
    public func keyValues(for manifest: Manifest, file: String = "") throws(GGUFError) -> [GGUFKeyValue] {
        var pairs: [GGUFKeyValue]
        let stored = manifest.metadata[GGUFImporter.MetadataKey.metadata]
        if let stored {
            pairs = try Self.decodeStored(stored, file: file)
        } else {
            pairs = GGUFArchitecture.synthesizedMetadata(for: manifest)
        }
        GGUFArchitecture.applyLineage(manifest.lineage, to: &pairs, always: stored == nil)

        let converted = manifest.lineage?.recipe?["kind"] == "convert"
        if refreshFileType || converted, let index = pairs.firstIndex(where: { $0.key == GGUF.Key.fileType }),
            let fileType = GGUFArchitecture.fileType(of: manifest.tensors)
        {
            pairs[index].value = .u32(fileType)
        }
        if manifest.tensors.contains(where: { $0.dtype.isQuantized }),
            !pairs.contains(where: { $0.key == GGUF.Key.quantizationVersion })
        {
            pairs.append(GGUFKeyValue(key: GGUF.Key.quantizationVersion, value: .u32(GGUF.quantizationVersion)))
        }
        if let alignment {
            guard alignment > 0, alignment & (alignment - 1) == 0, alignment <= Int(UInt32.max) else {
                throw GGUFError(file: file, reason: .invalidExportAlignment(alignment))
            }
            if let index = pairs.firstIndex(where: { $0.key == GGUF.Key.alignment }) {
                pairs[index].value = .u32(UInt32(alignment))
            } else if alignment != GGUF.defaultAlignment {
                pairs.append(GGUFKeyValue(key: GGUF.Key.alignment, value: .u32(UInt32(alignment))))
            }
        }
        return pairs
    }

    // MARK: Layout

    /// Decodes the checkpoint's stored `gguf.metadata`.
    private static func decodeStored(_ stored: JSONValue, file: String) throws(GGUFError) -> [GGUFKeyValue] {
        guard case let .array(entries) = stored else {
            throw GGUFError(file: file, reason: .invalidStoredMetadata(why: "not an array"))
        }
        var pairs: [GGUFKeyValue] = []
        var seen = Set<String>()
        for entry in entries {
            let pair: GGUFKeyValue
            do { pair = try GGUFKeyValue(typedJSON: entry) } catch {
                throw GGUFError(file: file, reason: .invalidStoredMetadata(why: error.why))
            }
            guard seen.insert(pair.key).inserted else {
                throw GGUFError(file: file, reason: .invalidStoredMetadata(why: "key \"\(pair.key)\" appears twice"))
            }
            pairs.append(pair)
        }
        return pairs
    }

    /// `general.alignment` of the pairs (validated), else 32.
    private static func alignment(of pairs: [GGUFKeyValue], file: String) throws(GGUFError) -> Int {
        guard let pair = pairs.first(where: { $0.key == GGUF.Key.alignment }) else { return GGUF.defaultAlignment }
        guard case let .u32(value) = pair.value else { throw GGUFError(file: file, reason: .alignmentType(pair.value.type.name)) }
        guard value != 0, value & (value - 1) == 0 else { throw GGUFError(file: file, reason: .invalidAlignment(value)) }
        return Int(value)
    }

    /// Everything before the tensor data (header, pairs, tensor infos, padding), and the size
    /// of the data section (every tensor padded to the alignment).
    static func header(
        tensors: [TensorEntry], pairs: [GGUFKeyValue], alignment: Int, file: String
    ) throws(GGUFError) -> (bytes: [UInt8], dataSize: Int) {
        var out: [UInt8] = GGUF.magic
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        append(GGUF.version)
        append(UInt64(tensors.count))
        append(UInt64(pairs.count))
        for pair in pairs {
            guard pair.value.isWellTyped() else {
                throw GGUFError(file: file, reason: .invalidStoredMetadata(why: "\"\(pair.key)\": array elements of mixed types"))
            }
            GGUFValue.encodeKey(pair.key, into: &out)
            append(pair.value.type.rawValue)
            pair.value.encode(into: &out)
        }
        var offset = 0
        for tensor in tensors {
            guard let type = GGMLType(dtype: tensor.dtype) else {
                throw GGUFError(file: file, reason: .unsupportedDType(tensor: tensor.name, dtype: tensor.dtype))
            }
            guard tensor.shape.count <= GGUF.maxDimensions else {
                throw GGUFError(file: file, reason: .rankTooHigh(tensor: tensor.name, rank: tensor.shape.count))
            }
            guard tensor.name.utf8.count <= GGUF.maxWrittenTensorNameBytes else {
                throw GGUFError(file: file, reason: .tensorNameTooLong(tensor: tensor.name, length: tensor.name.utf8.count))
            }
            GGUFValue.encodeKey(tensor.name, into: &out)
            append(UInt32(tensor.shape.count))
            for dimension in tensor.shape.reversed() { append(UInt64(dimension)) }
            append(type.rawValue)
            append(UInt64(offset))
            guard let next = GGUF.alignUp(offset + tensor.length, alignment) else {
                throw GGUFError(file: file, reason: .sizeOverflow(tensor: tensor.name))
            }
            offset = next
        }
        out.append(contentsOf: repeatElement(0, count: (alignment - out.count % alignment) % alignment))
        return (out, offset)
    }

    // MARK: Output

    private static func writeFile(
        _ path: String, _ body: (inout ByteSink) throws(IOError) -> Void
    ) throws(GGUFError) {
        do { try ByteSink.writeFile(path, body) } catch { throw GGUFError(file: path, reason: .io(error)) }
    }
}
