import Foundation
import XCTest

/// Runs the built `zoo` binary, the way a user does.
struct ZooProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The store every run uses (`ZOO_HOME`).
    var home: String

    /// The built `zoo` executable: `$ZOO_BINARY`, else next to the test bundle, else in the
    /// package's `.build/debug`.
    static func binary(file: StaticString = #filePath) throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["ZOO_BINARY"] { candidates.append(explicit) }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("zoo").path)
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("zoo").path)
        }
        candidates.append(repositoryRoot(file: file) + "/.build/debug/zoo")
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        XCTFail("the zoo binary is not built: run `swift build --build-tests` (looked at \(candidates))")
        throw CocoaError(.fileNoSuchFile)
    }

    /// The package root, from this file's path.
    static func repositoryRoot(file: StaticString = #filePath) -> String {
        URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Runs `zoo arguments...` with `ZOO_HOME` set to ``home`` and waits for it; `input`, when
    /// given, is its standard input (else it reads nothing).
    func run(_ arguments: [String], environment extra: [String: String] = [:], input: String? = nil) throws -> Result {
        let process = try Self.makeProcess(arguments, home: home, environment: extra)
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        // Read both pipes to the end before waiting, so a chatty child never blocks.
        let group = DispatchGroup()
        let errData = DataBox()
        let errHandle = err.fileHandleForReading
        group.enter()
        DispatchQueue.global().async {
            errData.data = errHandle.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
    }

    static func makeProcess(_ arguments: [String], home: String, environment extra: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ZOO_HOME"] = home
        // The user's settings (remotes, trust policy) stay out of tests: a config folder beside the store.
        environment["ZOO_CONFIG_HOME"] = (home as NSString).deletingLastPathComponent + "/zoo-config"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        return process
    }
}

/// Bytes read on another thread, handed back after the join.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}

extension ZooProcess.Result {
    /// The digest `zoo import` printed (the last word of `Imported NAME:TAG sha256:...`).
    var importedDigest: String {
        stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).last.map(String.init) ?? ""
    }
}
