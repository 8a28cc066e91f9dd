import Foundation
import XCTest
import ZooFormat

/// A real CNCF distribution registry (Debian's `docker-registry`) on 127.0.0.1, started by
/// `scripts/registry.sh` with its own config and storage in a temp folder, optionally behind
/// htpasswd (basic) or token (bearer) authentication. `stop()` (or deinit) stops it; the
/// script's watchdog also stops it if the test process dies.
final class RegistryProcess {
    enum Auth {
        case none
        case basic(user: String, password: String)
        case bearer(user: String, password: String)
    }

    let directory: String
    /// `127.0.0.1:PORT`.
    let address: String
    private var stopped = false

    init(auth: Auth = .none) throws {
        directory = try TestSupport.makeTemporaryDirectory("zoo-registry")
        var arguments = ["start", directory, "--owner", String(getpid())]
        switch auth {
        case .none: break
        case let .basic(user, password): arguments += ["--htpasswd", "\(user):\(password)"]
        case let .bearer(user, password): arguments += ["--token", "\(user):\(password)"]
        }
        let output = try TestSupport.runScript("registry.sh", arguments)
        address = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard address.hasPrefix("127.0.0.1:") else {
            throw TestSupport.Failure("registry.sh printed \(address)")
        }
    }

    deinit { stop() }

    /// Stops the registry and removes its storage.
    func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? TestSupport.runScript("registry.sh", ["stop", directory])
        try? FileSystem.removeTree(directory)
    }

    /// The registry's access log (one line per request).
    var log: String { (try? String(contentsOfFile: directory + "/registry.log", encoding: .utf8)) ?? "" }
}

/// `scripts/test_proxy.py` in front of a registry: counts the bytes it forwards and, on demand,
/// corrupts one byte of every blob download.
final class ProxyProcess {
    let address: String
    private let script: ScriptProcess

    init(upstream: String) throws {
        script = try ScriptProcess("test_proxy.py", ["--upstream", upstream])
        address = "127.0.0.1:" + script.ports
    }

    func stop() { script.stop() }

    /// Bytes forwarded since the last reset: request bodies, response bodies, blob downloads.
    func stats() throws -> (uploaded: Int, downloaded: Int, blobDownloaded: Int) {
        let json = try JSONValue(parsing: Array(try control("stats", method: "GET").utf8))
        return (Int(json["uploaded"]?.integerValue ?? -1), Int(json["downloaded"]?.integerValue ?? -1),
                Int(json["blob_downloaded"]?.integerValue ?? -1))
    }

    func reset() throws { _ = try control("reset") }
    func corrupt(_ on: Bool) throws { _ = try control(on ? "corrupt" : "honest") }
    /// The `n`th PATCH from now is answered 503 without reaching the registry.
    func failPatch(_ n: Int) throws { _ = try control("fail-patch/\(n)") }
    /// The next manifest GET (`manifest`) or blob download over 64 KiB (`blob`) declares
    /// `Content-Length: count`, whatever the body.
    func declareLength(_ kind: String, _ count: Int) throws { _ = try control("declare-length/\(kind)/\(count)") }
    /// The next manifest GET gets `count` spaces appended (an honest, oversized answer).
    func padManifest(_ count: Int) throws { _ = try control("pad-manifest/\(count)") }

    private func control(_ name: String, method: String = "POST") throws -> String {
        try TestSupport.run("/usr/bin/curl", ["-sf", "-X", method, "http://\(address)/_proxy/\(name)"])
    }
}

/// A Python helper script from `scripts/` listening on 127.0.0.1: started with `--port-file`
/// and `--owner` (it exits when the test process is gone), stopped by ``stop()`` or deinit.
final class ScriptProcess {
    /// What the script wrote to its port file once it listened.
    let ports: String
    private let process: Process
    private let directory: String

    init(_ name: String, _ arguments: [String]) throws {
        directory = try TestSupport.makeTemporaryDirectory("zoo-" + name)
        let portFile = directory + "/port"
        process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.python)
        process.arguments = [TestSupport.script(name)] + arguments + ["--port-file", portFile, "--owner", String(getpid())]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 where FileSystem.kind(of: portFile) != .regular { usleep(50_000) }
        guard let ports = try? String(contentsOfFile: portFile, encoding: .utf8) else {
            process.terminate()
            throw TestSupport.Failure("\(name) did not start")
        }
        self.ports = ports
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileSystem.removeTree(directory)
    }
}
