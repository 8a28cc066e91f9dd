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

    /// `127.0.0.1:PORT` of the front (the storage host is on another port).
    let address: String
    private let script: ScriptProcess

    init(upstream: String, storageCredentials: String) throws {
        script = try ScriptProcess("storage_proxy.py", ["--upstream", upstream, "--credentials", storageCredentials])
        let ports = script.ports.split(separator: " ")
        guard ports.count == 2, let front = ports.first else { throw TestSupport.Failure("storage_proxy.py wrote ports \(script.ports)") }
        address = "127.0.0.1:" + front
    }

    func stop() { script.stop() }

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
