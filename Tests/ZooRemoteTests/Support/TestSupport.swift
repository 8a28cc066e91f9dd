import Foundation
import XCTest
import ZooFormat
import ZooStore

/// Temp folders, scripts and small checkpoints for the remote tests.
enum TestSupport {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func makeTemporaryDirectory(_ label: String = "zoo-remote-test") throws -> String {
        let path = NSTemporaryDirectory() + "/" + FileSystem.uniqueName(label)
        try FileSystem.makeDirectories(path)
        return path
    }

    /// The package root, from this file's path.
    static let repositoryRoot: String = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func script(_ name: String) -> String { repositoryRoot + "/scripts/" + name }

    /// `$ZOO_PYTHON` (set by scripts/test.sh), else `python3`: the helper scripts need the stdlib only.
    static var python: String {
        if let python = ProcessInfo.processInfo.environment["ZOO_PYTHON"], FileManager.default.isExecutableFile(atPath: python) {
            return python
        }
        return "/usr/bin/python3"
    }

    /// Runs `scripts/<name>` with bash and returns its stdout; throws with its stderr on failure.
    static func runScript(_ name: String, _ arguments: [String]) throws -> String {
        try run("/bin/bash", [script(name)] + arguments)
    }

    /// Runs a program to completion and returns its stdout.
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errHandle = err.fileHandleForReading
        let errData = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData.data = errHandle.readDataToEndOfFile()
            group.leave()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure("\(executable) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): "
                          + String(decoding: errData.data, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Writes a small checkpoint: two tensors whose bytes depend on `seed`, and a config asset.
    @discardableResult
    static func writeSmall(at path: String, name: String = "tiny", seed: Float = 1) throws -> Manifest {
        let writer = try CheckpointWriter(destination: path, name: name,
                                          architecture: Architecture(family: .autoencoding, type: "bert"))
        let weight = (0..<64).map { Float($0) * seed }
        let bias = (0..<8).map { Float($0) + seed }
        try weight.withUnsafeBytes { try writer.addTensor(name: "encoder.layer.0.weight", dtype: .f32, shape: [8, 8], bytes: $0) }
        try bias.withUnsafeBytes { try writer.addTensor(name: "encoder.layer.0.bias", dtype: .f32, shape: [8], bytes: $0) }
        try writer.addAsset(path: "config.json", bytes: Array("{\"hidden_size\":8}".utf8))
        return try writer.finish()
    }

    /// Writes a checkpoint of `count` U8 tensors of `tensorMegabytes` each, one shard per tensor,
    /// with bytes that depend on `seed`.
    @discardableResult
    static func writeLarge(at path: String, count: Int, tensorMegabytes: Int, seed: UInt8 = 1) throws -> Manifest {
        let writer = try CheckpointWriter(destination: path, name: "big",
                                          architecture: Architecture(family: .autoregressive, type: "gpt2"),
                                          options: WriterOptions(maxShardByteCount: tensorMegabytes << 20))
        var chunk = [UInt8](repeating: 0, count: tensorMegabytes << 20)
        for index in 0..<count {
            var state = UInt32(index) &* 2_654_435_761 &+ UInt32(seed)
            for i in stride(from: 0, to: chunk.count, by: 64) {
                state = state &* 1_664_525 &+ 1_013_904_223
                chunk[i] = UInt8(truncatingIfNeeded: state >> 24)
            }
            try chunk.withUnsafeBytes { try writer.addTensor(name: "h.\(index).weight", dtype: .u8, shape: [chunk.count], bytes: $0) }
        }
        return try writer.finish()
    }

    /// The SHA-256 of a file's bytes (mapped; the map lives until the hash is done).
    static func sha256(ofFile path: String) throws -> SHA256Digest {
        let file = try MappedFile(path: path)
        return withExtendedLifetime(file) { SHA256.digest(file.bytes) }
    }

    /// Every file under `root` with its bytes' SHA-256 (relative paths, sorted).
    static func fingerprint(_ root: String) throws -> [String] {
        var out: [String] = []
        func walk(_ directory: String, _ prefix: String) throws {
            for name in try FileSystem.listDirectory(directory) {
                let path = directory + "/" + name
                if FileSystem.kind(of: path) == .directory {
                    try walk(path, prefix + name + "/")
                } else {
                    out.append(prefix + name + " " + (try sha256(ofFile: path)).description)
                }
            }
        }
        try walk(root, "")
        return out.sorted()
    }
}

/// Bytes read on another thread, handed back after the join.
final class DataBox: @unchecked Sendable {
    var data = Data()
}
