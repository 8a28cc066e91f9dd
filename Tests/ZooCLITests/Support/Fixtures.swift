import Foundation
import XCTest
import ZooFormat

/// Inputs for the CLI tests, built in temp directories.
enum Fixtures {
    /// The bundled demo checkpoint: `$ZOO_BERT_TINY`, else `zoo/checkpoints/bert-tiny` in the package.
    static func bertTiny() throws -> String {
        let path = ProcessInfo.processInfo.environment["ZOO_BERT_TINY"]
            ?? ZooProcess.repositoryRoot() + "/zoo/checkpoints/bert-tiny"
        guard FileSystem.kind(of: path + "/model.safetensors") == .regular else {
            XCTFail("\(path)/model.safetensors is missing: run `make bert-tiny` (or `make test`, which sets ZOO_BERT_TINY)")
            throw CocoaError(.fileNoSuchFile)
        }
        return path
    }

    static func makeTemporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "/" + FileSystem.uniqueName("zoo-cli-test")
        try FileSystem.makeDirectories(path)
        return path
    }

    /// A small checkpoint folder written with ``CheckpointWriter``.
    @discardableResult
    static func writeCheckpoint(at path: String, name: String = "tiny", lineage: Lineage? = nil) throws -> Manifest {
        let writer = try CheckpointWriter(destination: path, name: name,
                                          architecture: Architecture(family: .autoregressive, type: "gpt2"))
        writer.lineage = lineage
        let weight = (0..<64).map(Float.init)
        try weight.withUnsafeBytes { try writer.addTensor(name: "h.0.weight", dtype: .f32, shape: [8, 8], bytes: $0) }
        let bias = [Int32](repeating: 7, count: 8)
        try bias.withUnsafeBytes { try writer.addTensor(name: "h.0.bias", dtype: .i32, shape: [8], bytes: $0) }
        try writer.addAsset(path: "config.json", bytes: Array("{\"model_type\":\"gpt2\"}".utf8))
        return try writer.finish()
    }

    /// Every entry under `root` with its size (files) — a fingerprint of a store directory.
    static func listing(_ root: String) -> [String] {
        var out: [String] = []
        func walk(_ directory: String, _ prefix: String) {
            for name in (try? FileSystem.listDirectory(directory)) ?? [] {
                let path = directory + "/" + name
                if FileSystem.kind(of: path) == .directory {
                    out.append(prefix + name + "/")
                    walk(path, prefix + name + "/")
                } else {
                    out.append(prefix + name + " \((try? FileSystem.fileSize(path)) ?? -1)")
                }
            }
        }
        walk(root, "")
        return out
    }

    /// Flips the byte at `offset` of the file at `path` (making it writable first).
    static func flipByte(in path: String, at offset: Int) throws {
        chmod(path, 0o644)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let byte = try XCTUnwrap(handle.readData(ofLength: 1).first)
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data([byte ^ 0xff]))
    }

    /// A POSIX ustar archive of `members` (path, bytes), written by hand so a test can put in
    /// what a real writer refuses to (`../` paths, links).
    static func tar(_ members: [(path: String, bytes: [UInt8], type: UInt8)]) -> [UInt8] {
        var out: [UInt8] = []
        for member in members {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int) {
                for (i, byte) in text.utf8.enumerated() { header[offset + i] = byte }
            }
            func octal(_ value: Int, width: Int) -> String {
                let digits = String(value, radix: 8)
                return String(repeating: "0", count: width - 1 - digits.count) + digits
            }
            put(member.path, at: 0)
            put(octal(0o644, width: 8), at: 100)
            put(octal(0, width: 8), at: 108)
            put(octal(0, width: 8), at: 116)
            put(octal(member.type == UInt8(ascii: "0") ? member.bytes.count : 0, width: 12), at: 124)
            put(octal(0, width: 12), at: 136)
            header[156] = member.type
            if member.type == UInt8(ascii: "2") { put("/etc/passwd", at: 157) }
            put("ustar", at: 257)
            put("00", at: 263)
            for i in 148..<156 { header[i] = UInt8(ascii: " ") }
            let sum = header.reduce(0) { $0 + Int($1) }
            put(octal(sum, width: 7), at: 148)
            header[155] = UInt8(ascii: " ")
            out += header
            if member.type == UInt8(ascii: "0") {
                out += member.bytes
                out += [UInt8](repeating: 0, count: (512 - member.bytes.count % 512) % 512)
            }
        }
        out += [UInt8](repeating: 0, count: 1024)
        return out
    }
}
