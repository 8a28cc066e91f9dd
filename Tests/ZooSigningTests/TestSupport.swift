import Foundation
import XCTest
import ZooFormat
@testable import ZooSigning

/// A fresh temporary folder, removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "zoo-signing-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func readFile(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program (searched on PATH when not a path) and collects its output.
func runProgram(_ program: String, _ arguments: [String], directory: String? = nil) throws -> ProcessResult {
    let process = Process()
    if program.contains("/") {
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
    }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// A key pair made with the `openssl` command: `private.pem` (SEC 1 "EC PRIVATE KEY", or
/// PKCS#8 when `pkcs8`), `public.pem` (SPKI).
struct KeyPair {
    var privatePath: String
    var publicPath: String

    init(curve: String, in directory: String, name: String = "key", pkcs8: Bool = false) throws {
        privatePath = directory + "/\(name).pem"
        publicPath = directory + "/\(name).pub"
        let sec1 = pkcs8 ? directory + "/\(name).sec1.pem" : privatePath
        try Self.check(runProgram("openssl", ["ecparam", "-name", curve, "-genkey", "-noout", "-out", sec1]))
        if pkcs8 { try Self.check(runProgram("openssl", ["pkcs8", "-topk8", "-nocrypt", "-in", sec1, "-out", privatePath])) }
        try Self.check(runProgram("openssl", ["ec", "-in", privatePath, "-pubout", "-out", publicPath]))
    }

    static func check(_ result: ProcessResult) throws {
        guard result.status == 0 else { throw CommandFailed(message: result.stderr) }
    }

    var signingKey: SigningKey { get throws { try SigningKey(pemFile: privatePath) } }
    var verifyingKey: VerifyingKey { get throws { try VerifyingKey(pemFile: publicPath) } }
}

struct CommandFailed: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The venv's python (`make test` sets ZOO_PYTHON); the interop tests need model_signing in it.
func venvPython(file: StaticString = #filePath, line: UInt = #line) throws -> String {
    guard let python = ProcessInfo.processInfo.environment["ZOO_PYTHON"], FileManager.default.isExecutableFile(atPath: python) else {
        XCTFail("ZOO_PYTHON is not set: run `make test` (it makes the venv with model-signing)", file: file, line: line)
        throw CommandFailed(message: "ZOO_PYTHON not set")
    }
    return python
}

/// Runs `body` and returns the `SigningError` it throws, failing the test otherwise.
func signingError(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) -> SigningError? {
    do {
        try body()
        XCTFail("expected a SigningError, nothing was thrown", file: file, line: line)
    } catch let error as SigningError {
        return error
    } catch {
        XCTFail("expected a SigningError, got \(error)", file: file, line: line)
    }
    return nil
}

/// A small model folder: files at nested paths, an empty file, and git files that are ignored.
func makeModelFolder(_ path: String) throws {
    try writeFile(path + "/config.json", Array("{\"hidden_size\": 4}".utf8))
    try writeFile(path + "/model.safetensors", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    try writeFile(path + "/a/b", Array("nested".utf8))
    try writeFile(path + "/a.txt", Array("sorts after a/b".utf8))
    try writeFile(path + "/empty", [])
    try writeFile(path + "/.gitattributes", Array("*.safetensors filter=lfs\n".utf8))
    try writeFile(path + "/.git/HEAD", Array("ref: refs/heads/main\n".utf8))
}
