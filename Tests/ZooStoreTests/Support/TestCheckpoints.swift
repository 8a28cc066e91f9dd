import Foundation
import XCTest
import ZooFormat
import ZooStore

/// Temp directories and small checkpoints for the store tests.
enum TestCheckpoints {
    /// A fresh directory under the system temp dir; remove it with `FileSystem.removeTree`.
    static func makeTemporaryDirectory(_ label: String = "zoo-store-test") throws -> String {
        let path = NSTemporaryDirectory() + "/" + FileSystem.uniqueName(label)
        try FileSystem.makeDirectories(path)
        return path
    }

    /// Writes a small checkpoint folder at `path`: two F32 tensors whose values depend on
    /// `seed` (so different seeds give different models) and a config asset.
    @discardableResult
    static func write(at path: String, name: String = "tiny", seed: Float = 1, withAsset: Bool = true,
                      maxShardByteCount: Int = 256 << 20) throws -> Manifest {
        var options = WriterOptions()
        options.maxShardByteCount = maxShardByteCount
        let writer = try CheckpointWriter(
            destination: path, name: name,
            architecture: Architecture(family: .autoencoding, type: "bert", config: ["hidden_size": 4]),
            options: options)
        let weight = (0..<24).map { Float($0) * seed }
        let bias = (0..<4).map { Float($0) + seed }
        try weight.withUnsafeBytes { try writer.addTensor(name: "encoder.weight", dtype: .f32, shape: [6, 4], bytes: $0) }
        try bias.withUnsafeBytes { try writer.addTensor(name: "encoder.bias", dtype: .f32, shape: [4], bytes: $0) }
        if withAsset { try writer.addAsset(path: "config.json", bytes: Array("{\"hidden_size\":4}".utf8)) }
        writer.metadata = ["note": .string("test \(seed)")]
        return try writer.finish()
    }

    /// Writes a checkpoint of about `megabytes` MB of U8 data in tensors of `tensorMegabytes`,
    /// spread over shards of at most `shardMegabytes`.
    @discardableResult
    static func writeLarge(at path: String, megabytes: Int, tensorMegabytes: Int = 8, shardMegabytes: Int = 32)
        throws -> Manifest
    {
        // Target = maximum: several layers per shard, up to the maximum.
        let options = WriterOptions(maxShardByteCount: shardMegabytes << 20)
        let writer = try CheckpointWriter(destination: path, name: "big",
                                          architecture: Architecture(family: .autoregressive, type: "gpt2"),
                                          options: options)
        var chunk = [UInt8](repeating: 0, count: tensorMegabytes << 20)
        for index in 0..<max(1, megabytes / tensorMegabytes) {
            for i in stride(from: 0, to: chunk.count, by: 4096) { chunk[i] = UInt8(truncatingIfNeeded: index &+ i >> 12) }
            try chunk.withUnsafeBytes {
                try writer.addTensor(name: "layer.\(index).weight", dtype: .u8, shape: [chunk.count], bytes: $0)
            }
        }
        return try writer.finish()
    }

    /// Every file and folder under `root` (relative paths, sorted), for before/after comparisons.
    static func listing(_ root: String) -> [String] {
        var out: [String] = []
        func walk(_ directory: String, _ prefix: String) {
            for name in (try? FileSystem.listDirectory(directory)) ?? [] {
                let path = directory + "/" + name
                let kind = FileSystem.kind(of: path)
                out.append(prefix + name + (kind == .directory ? "/" : ""))
                if kind == .directory { walk(path, prefix + name + "/") }
            }
        }
        walk(root, "")
        return out
    }

    /// Flips one byte of the file at `path` at `offset` (making it writable first).
    static func flipByte(in path: String, at offset: Int) throws {
        chmod(path, 0o644)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let byte = try XCTUnwrap(handle.readData(ofLength: 1).first)
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data([byte ^ 0xff]))
    }
}
