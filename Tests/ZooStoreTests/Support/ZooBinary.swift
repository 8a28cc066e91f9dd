import Foundation
import XCTest

/// The built `zoo` executable, for tests that need a separate process (to kill it).
enum ZooBinary {
    /// `$ZOO_BINARY`, else next to the test bundle, else the package's `.build/debug/zoo`.
    static func path(file: StaticString = #filePath) throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["ZOO_BINARY"] { candidates.append(explicit) }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("zoo").path)
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("zoo").path)
        }
        let root = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        candidates.append(root + "/.build/debug/zoo")
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        XCTFail("the zoo binary is not built: run `swift build --build-tests` (looked at \(candidates))")
        throw CocoaError(.fileNoSuchFile)
    }

    /// Starts `zoo arguments...` with `ZOO_HOME=home`, output discarded.
    static func start(_ arguments: [String], home: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path())
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ZOO_HOME"] = home
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `zoo arguments...` to the end and returns its exit status.
    static func run(_ arguments: [String], home: String) throws -> Int32 {
        let process = try start(arguments, home: home)
        process.waitUntilExit()
        return process.terminationStatus
    }
}
