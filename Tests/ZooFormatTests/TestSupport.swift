import Foundation
import XCTest
import ZooFormat

// Shared helpers of the ZooFormat tests: temporary folders, file bytes, error matching, a seeded
// random generator and small checkpoints built with the real writer.

/// A fresh folder under the system temp directory; `remove()` deletes it with everything inside.
final class TemporaryDirectory {
    let path: String

    init(_ label: String = "zoo-format-tests") throws {
        path = NSTemporaryDirectory() + label + "-" + UUID().uuidString
        try FileSystem.makeDirectories(path)
    }

    func remove() { try? FileSystem.removeTree(path) }

    /// `path/relative`.
    func callAsFunction(_ relative: String) -> String { path + "/" + relative }
}

/// The repository root, found from this file's location (Tests/ZooFormatTests/TestSupport.swift).
let repositoryRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

func readBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Flips every bit of the byte at `offset` of the file at `path`, in place (same inode).
func flipByte(at offset: Int, of path: String) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    guard let byte = try handle.read(upToCount: 1)?.first else {
        throw CocoaError(.fileReadUnknown)
    }
    try handle.seek(toOffset: UInt64(offset))
    try handle.write(contentsOf: [byte ^ 0xFF])
}

/// Sets the size of the file at `path` (shorter: truncates; longer: zero-filled, sparse).
func resizeFile(_ path: String, to size: Int) {
    XCTAssertEqual(truncate(path, off_t(size)), 0, "truncate(\(path), \(size))")
}

/// The names in `directory` (sorted), or `[]` when it does not exist.
func listing(_ directory: String) -> [String] { (try? FileSystem.listDirectory(directory)) ?? [] }

/// Asserts that `expression` throws exactly `expected` (a FormatError: file, offset and reason).
func XCTAssertThrowsFormatError<T>(
    _ expression: @autoclosure () throws -> T, _ expected: FormatError, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try expression(), message, file: file, line: line) { error in
        guard let error = error as? FormatError else {
            return XCTFail("not a FormatError: \(error) \(message)", file: file, line: line)
        }
        XCTAssertEqual(error, expected, message, file: file, line: line)
    }
}

/// Asserts that `expression` throws a FormatError whose reason is `expected` (file and offset not checked).
func XCTAssertThrowsFormatReason<T>(
    _ expression: @autoclosure () throws -> T, _ expected: FormatError.Reason, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try expression(), message, file: file, line: line) { error in
        guard let error = error as? FormatError else {
            return XCTFail("not a FormatError: \(error) \(message)", file: file, line: line)
        }
        XCTAssertEqual(error.reason, expected, message, file: file, line: line)
    }
}

/// `count` random bytes from `generator`.
func randomBytes(_ count: Int, _ generator: inout SplitMix64) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        var word = generator.next()
        for _ in 0..<8 where i < count {
            bytes[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            i += 1
        }
    }
    return bytes
}

/// A digest string that parses: `sha256:` + 64 copies of `digit`.
func fakeDigest(_ digit: Character = "a") -> SHA256Digest {
    SHA256Digest(hex: String(repeating: digit, count: 64))!  // a literal, not outside data
}

/// One tensor for `makeCheckpoint`.
struct TensorSpec {
    var name: String
    var dtype: DType
    var shape: [Int]
    var bytes: [UInt8]

    init(_ name: String, _ dtype: DType, _ shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A tensor filled with a repeating byte pattern that starts at `seed`.
    init(_ name: String, _ dtype: DType, _ shape: [Int], seed: UInt8 = 1) {
        let count = dtype.byteCount(elementCount: Shape.elementCount(shape) ?? 0) ?? 0
        self.init(name, dtype, shape, bytes: (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) })
    }
}

/// Writes a checkpoint folder at `destination` with the real writer.
@discardableResult
func makeCheckpoint(
    at destination: String, tensors: [TensorSpec], assets: [(String, [UInt8])] = [],
    maxShardByteCount: Int = 256 << 20, metadata: [String: JSONValue] = [:], lineage: Lineage? = nil
) throws -> Manifest {
    let writer = try CheckpointWriter(
        destination: destination, name: "test",
        architecture: Architecture(family: .other, type: "test", config: ["layers": 2]),
        options: WriterOptions(maxShardByteCount: maxShardByteCount))
    for t in tensors {
        try t.bytes.withUnsafeBytes { try writer.addTensor(name: t.name, dtype: t.dtype, shape: t.shape, bytes: $0) }
    }
    for (path, bytes) in assets { try writer.addAsset(path: path, bytes: bytes) }
    writer.metadata = metadata
    writer.lineage = lineage
    return try writer.finish()
}

/// A copy of tensor `name`'s bytes. The view (which owns the mapping) is kept alive until the copy is
/// made: `Array(try Checkpoint(directory: d).tensor(named: n).bytes)` would read unmapped memory.
func tensorBytes(_ checkpoint: Checkpoint, _ name: String) throws -> [UInt8] {
    let view = try checkpoint.tensor(named: name)
    return withExtendedLifetime(view) { Array(view.bytes) }
}
