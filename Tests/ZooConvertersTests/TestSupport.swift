import Foundation
import XCTest
@testable import ZooConverters
import ZooFormat

/// A safetensors file: the 8-byte little-endian length of `header`, `header`, then `data`.
func safetensorsBytes(header: String, data: [UInt8] = []) -> [UInt8] {
    let json = Array(header.utf8)
    return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
}

/// The 8-byte little-endian encoding of `value`.
func littleEndian(_ value: UInt64) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian, Array.init)
}

/// Runs `body` and returns the `SafetensorsError` it throws (failing the test when it throws
/// nothing or something else).
func safetensorsError(
    file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
) -> SafetensorsError? {
    do {
        try body()
        XCTFail("expected a SafetensorsError, nothing was thrown", file: file, line: line)
    } catch let error as SafetensorsError {
        return error
    } catch {
        XCTFail("expected a SafetensorsError, got \(error)", file: file, line: line)
    }
    return nil
}

/// A fresh temporary folder, removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "zoo-converters-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Writes a small checkpoint folder with the given tensors (F32 values unless given raw bytes).
@discardableResult
func makeCheckpoint(
    at destination: String, name: String = "test", tensors: [(String, DType, [Int], [UInt8])],
    metadata: [String: JSONValue] = [:], assets: [(String, [UInt8])] = [],
    architecture: Architecture = Architecture(family: .other, type: "test")
) throws -> Manifest {
    let writer = try CheckpointWriter(destination: destination, name: name, architecture: architecture)
    for (name, dtype, shape, bytes) in tensors {
        try bytes.withUnsafeBytes { try writer.addTensor(name: name, dtype: dtype, shape: shape, bytes: $0) }
    }
    for (path, bytes) in assets { try writer.addAsset(path: path, bytes: bytes) }
    writer.metadata = metadata
    return try writer.finish()
}

/// Deterministic pseudo-random bytes.
func patternBytes(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7 &+ ($0 >> 8)) }
}

/// Byte equality with memcmp (element-wise `==` on hundreds of MB is slow in debug builds).
func sameBytes(_ a: some ContiguousBytes, _ b: some ContiguousBytes) -> Bool {
    a.withUnsafeBytes { pa in
        b.withUnsafeBytes { pb in
            pa.count == pb.count && (pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0)
        }
    }
}
