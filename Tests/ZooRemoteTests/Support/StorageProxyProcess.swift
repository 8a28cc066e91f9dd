import Foundation
import ZooFormat

/// `scripts/storage_proxy.py` in front of a registry: a front that redirects blob reads and hands
/// upload sessions to a second loopback listener (another origin: the "storage host"), both
/// recording the `Authorization` header of every request they receive.
final class StorageProxyProcess {
    struct Request: Equatable {
        var listener: String
        var method: String
        var path: String
        var authorization: String?
    }

    /// `127.0.0.1:PORT` of the front and of the storage host.
    let address: String
    let storageAddress: String
    private let process: Process
    private let directory: String

    init(upstream: String, storageCredentials: String) throws {
        directory = try TestSupport.makeTemporaryDirectory("zoo-storage-proxy")
        let portFile = directory + "/ports"
        process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.python)
        process.arguments = [TestSupport.script("storage_proxy.py"), "--upstream", upstream, "--credentials", storageCredentials,
                             "--port-file", portFile, "--owner", String(getpid())]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 where FileSystem.kind(of: portFile) != .regular { usleep(50_000) }
        guard let ports = try? String(contentsOfFile: portFile, encoding: .utf8).split(separator: " "), ports.count == 2 else {
            process.terminate()
            throw TestSupport.Failure("the storage proxy did not start")
        }
        address = "127.0.0.1:" + ports[0]
        storageAddress = "127.0.0.1:" + ports[1]
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileSystem.removeTree(directory)
    }

    /// Every request both listeners received since the last reset, in order.
    func log() throws -> [Request] {
        let json = try JSONValue(parsing: Array(try TestSupport.run("/usr/bin/curl", ["-sf", "http://\(address)/_record/log"]).utf8))
        return (json.arrayValue ?? []).map {
            Request(listener: $0["listener"]?.stringValue ?? "", method: $0["method"]?.stringValue ?? "",
                    path: $0["path"]?.stringValue ?? "", authorization: $0["authorization"]?.stringValue)
        }
    }

    func reset() throws { _ = try TestSupport.run("/usr/bin/curl", ["-sf", "-X", "POST", "http://\(address)/_record/reset"]) }

    /// The next manifest GET is answered `302 Found` with `Location: location`.
    func redirectNextManifest(to location: String) throws {
        _ = try TestSupport.run("/usr/bin/curl", ["-sf", "-X", "POST", "--data-binary", location,
                                                  "http://\(address)/_record/manifest-redirect"])
    }
}
