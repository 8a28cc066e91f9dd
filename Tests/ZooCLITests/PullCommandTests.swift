import Foundation
import XCTest
import ZooFormat

/// `zoo pull` end to end: the bundled catalog, a real registry, a proxy that counts or corrupts
/// bytes, `kill -9` mid-transfer, two pulls at once, authentication.
final class PullCommandTests: RemoteCLITestCase {
    func testPull_BundledCatalogFromTheRepositoryRoot_IsTheModelImportOfItsSourceGives() throws {
        let pulled = try run(["pull", "zoo:bert-tiny"], in: RemoteCLITestCase.repositoryRoot)
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
        let imported = try ZooProcess(home: scratch + "/other").run(["import", try Fixtures.bertTiny()])
        let digest = imported.importedDigest
        XCTAssertEqual(pulled.stdout.split(separator: "\n").first.map(String.init), "Pulled bert-tiny:latest (\(digest))")
        try run(["verify", "bert-tiny", "--deep"])
        let listed = try run(["list", "--remote", RemoteCLITestCase.repositoryRoot + "/zoo", "--json"])
        XCTAssertTrue(try json(listed.stdout).arrayValue?.contains { $0["name"] == "bert-tiny" && $0["digest"] == .string(digest) } == true,
                      listed.stdout)
    }

    func testPull_UnknownTag_ExitsOneWithOneErrorLine() throws {
        let registry = try startRegistry()
        try importBig(count: 1, megabytes: 1)
        try run(["push", "big", "oci://\(registry.address)/big", "--insecure"])
        let result = try run(["pull", "oci://\(registry.address)/big:nope", "--insecure"], expect: 1)
        assertErrorLine(result, contains: ["no model oci://\(registry.address)/big:nope in the remote"])
    }

    func testPull_KilledMidBlob_NextPullContinuesWithARangeRequest() throws {
        let registry = try startRegistry()
        let manifest = try importBig(count: 1, megabytes: 120)
        try run(["push", "big", "oci://\(registry.address)/big", "--insecure"])
        let proxy = try startProxy(upstream: registry.address)
        let other = ZooProcess(home: scratch + "/target")
        let partial = other.home + "/tmp/partial/" + manifest.shards[0].digest.hex

        let slow = try start(other, ["pull", "oci://\(proxy.address)/big", "--insecure", "--limit-rate", "20MB"])
        let before = waitForFile(partial, atLeast: 40 << 20, while: slow)
        kill(slow.processIdentifier, SIGKILL)
        slow.waitUntilExit()
        XCTAssertGreaterThanOrEqual(before, 40 << 20, "the pull was killed mid-blob")
        XCTAssertEqual(try other.run(["list"]).stdout.split(separator: "\n").count, 1, "no name was written")

        try proxy.reset()
        let resumed = try other.run(["pull", "oci://\(proxy.address)/big", "--insecure", "--json"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let report = try json(resumed.stdout)
        let length = manifest.shards[0].length
        let moved = try proxy.stats().blobDownloaded
        XCTAssertLessThanOrEqual(moved, length - before + manifest.canonicalBytes.count, "only the missing part (and the config) moved")
        XCTAssertGreaterThanOrEqual(Int(report["resumed"]?.integerValue ?? 0), before)
        XCTAssertEqual(report["digest"], .string(manifest.digest.description))
        XCTAssertEqual(try other.run(["verify", "big", "--deep"]).status, 0)
        XCTAssertEqual(FileSystem.kind(of: partial), .missing)
    }

    func testPull_ConnectionCutMidBlob_ContinuesWithinTheSameRun() throws {
        let registry = try startRegistry()
        let manifest = try importBig(count: 1, megabytes: 20)
        try run(["push", "big", "oci://\(registry.address)/big", "--insecure"])
        let proxy = try startProxy(upstream: registry.address)
        try proxy.cutDownload(after: 8 << 20)
        let other = ZooProcess(home: scratch + "/target")
        let pulled = try other.run(["pull", "oci://\(proxy.address)/big", "--insecure"])
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
        let moved = try proxy.stats().blobDownloaded
        XCTAssertLessThanOrEqual(moved, manifest.shards[0].length + manifest.canonicalBytes.count,
                                 "the rest came with a Range request, not from byte 0")
        XCTAssertGreaterThanOrEqual(moved, manifest.shards[0].length)
        XCTAssertEqual(try other.run(["verify", "big", "--deep"]).status, 0)
    }

    func testPull_TwoAtOnce_BothSucceedAndTheStoreHoldsOneCopy() throws {
        let registry = try startRegistry()
        let manifest = try importBig(count: 2, megabytes: 24)
        try run(["push", "big", "oci://\(registry.address)/big", "--insecure"])
        let other = ZooProcess(home: scratch + "/target")
        let arguments = ["pull", "oci://\(registry.address)/big", "--insecure", "--limit-rate", "20MB"]
        let first = try start(other, arguments)
        let second = try start(other, arguments)
        first.waitUntilExit()
        second.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        XCTAssertEqual(second.terminationStatus, 0)
        let blobs = try FileSystem.listDirectory(other.home + "/blobs/sha256")
        XCTAssertEqual(Set(blobs), Set([manifest.digest.hex] + manifest.shards.map(\.digest.hex)))
        XCTAssertEqual(try FileSystem.listDirectory(other.home + "/tmp/partial"), [])
        XCTAssertEqual(try other.run(["verify", "big", "--deep"]).status, 0)
    }

    func testPull_RegistryServingWrongBytes_ExitsOneNamingTheBlobAndStoresNothing() throws {
        let registry = try startRegistry()
        let manifest = try importBig(count: 1, megabytes: 2)
        try run(["push", "big", "oci://\(registry.address)/big", "--insecure"])
        let proxy = try startProxy(upstream: registry.address)
        try proxy.corrupt(true)
        let other = ZooProcess(home: scratch + "/target")
        let result = try other.run(["pull", "oci://\(proxy.address)/big", "--insecure"])
        XCTAssertEqual(result.status, 1)
        let shard = manifest.shards[0].digest
        assertErrorLine(result, contains: [
            "Error: shards/00000.bin (\(shard)) from http://\(proxy.address)/v2/big/blobs/\(shard) hashes to sha256:",
            "expected \(shard); the data was discarded",
        ])
        XCTAssertEqual(try FileSystem.listDirectory(other.home + "/blobs/sha256"), [])
        XCTAssertEqual(try other.run(["list"]).stdout.split(separator: "\n").count, 1)
    }

    func testPull_BasicAuth_RightPasswordWorksWrongOneExitsOneWithoutEchoingIt() throws {
        let registry = try startRegistry(.basic(user: "alice", password: "s3cret"))
        try importBig(count: 1, megabytes: 1)
        let good = ["ZOO_REGISTRY_USER": "alice", "ZOO_REGISTRY_PASSWORD": "s3cret"]
        XCTAssertEqual(try zoo.run(["push", "big", "oci://\(registry.address)/big", "--insecure"], environment: good).status, 0)
        let other = ZooProcess(home: scratch + "/target")
        let pulled = try other.run(["pull", "oci://\(registry.address)/big", "--insecure"], environment: good)
        XCTAssertEqual(pulled.status, 0, pulled.stderr)

        let wrong = try other.run(["pull", "oci://\(registry.address)/big", "--insecure"],
                                  environment: ["ZOO_REGISTRY_USER": "alice", "ZOO_REGISTRY_PASSWORD": "wrong-horse"])
        XCTAssertEqual(wrong.status, 1)
        assertErrorLine(wrong, contains: ["Error: authentication with \(registry.address) failed: the registry refused the credentials of user \"alice\""])
        XCTAssertFalse((wrong.stdout + wrong.stderr).contains("wrong-horse"))
    }

    func testPull_CredentialsFileReadableByOthers_ExitsOneWithTheChmodToRun() throws {
        let registry = try startRegistry(.basic(user: "alice", password: "s3cret"))
        let config = scratch + "/config"
        try FileSystem.makeDirectories(config + "/zoo")
        let file = config + "/zoo/credentials.json"
        try FileSystem.writeAtomically(Array(#"{"registries":{"\#(registry.address)":{"username":"alice","password":"s3cret"}}}"#.utf8),
                                       to: file, mode: 0o644)
        chmod(file, 0o644)
        let environment = ["XDG_CONFIG_HOME": config]
        let refused = try zoo.run(["pull", "oci://\(registry.address)/big", "--insecure"], environment: environment)
        XCTAssertEqual(refused.status, 1)
        assertErrorLine(refused, contains: ["Error: \(file) is readable by others (mode 644): run chmod 600 \(file)"])
        chmod(file, 0o600)
        try importBig(count: 1, megabytes: 1)
        let pushed = try zoo.run(["push", "big", "oci://\(registry.address)/big", "--insecure"], environment: environment)
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
    }
}

// MARK: - Shared by the remote CLI tests

/// A CLI test with a registry, a proxy and big checkpoints at hand; everything it started is
/// stopped in tearDown.
class RemoteCLITestCase: CLITestCase {
    /// The package root, from this file's path.
    static let repositoryRoot: String = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    private var registries: [RegistryFixture] = []
    private var proxies: [ProxyFixture] = []
    private var processes: [Process] = []

    override func tearDownWithError() throws {
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        proxies.forEach { $0.stop() }
        registries.forEach { $0.stop() }
        try super.tearDownWithError()
    }

    func startRegistry(_ auth: RegistryFixture.Auth = .none) throws -> RegistryFixture {
        let registry = try RegistryFixture(auth: auth, scratch: scratch)
        registries.append(registry)
        return registry
    }

    func startProxy(upstream: String) throws -> ProxyFixture {
        let proxy = try ProxyFixture(upstream: upstream, scratch: scratch)
        proxies.append(proxy)
        return proxy
    }

    /// Writes a checkpoint of `count` shards of `megabytes` MiB (one U8 tensor each) and imports it as `big`.
    @discardableResult
    func importBig(count: Int, megabytes: Int, name: String = "big", seed: UInt32 = 1) throws -> Manifest {
        let (path, manifest) = try writeBig(count: count, megabytes: megabytes, name: name, seed: seed)
        try run(["import", path, "--name", name])
        try FileSystem.removeTree(path)
        return manifest
    }

    /// Writes a checkpoint folder of `count` shards of `megabytes` MiB (one U8 tensor each, bytes
    /// that depend on `seed`) in the scratch folder; returns its path and manifest.
    func writeBig(count: Int, megabytes: Int, name: String = "big", seed: UInt32 = 1) throws -> (path: String, manifest: Manifest) {
        let path = scratch + "/" + FileSystem.uniqueName("checkpoint")
        let writer = try CheckpointWriter(destination: path, name: name, architecture: Architecture(family: .autoregressive, type: "gpt2"),
                                          options: WriterOptions(maxShardByteCount: megabytes << 20))
        var chunk = [UInt8](repeating: 0, count: megabytes << 20)
        for index in 0..<count {
            var state = UInt32(index) &* 2_654_435_761 &+ seed
            for i in stride(from: 0, to: chunk.count, by: 64) {
                state = state &* 1_664_525 &+ 1_013_904_223
                chunk[i] = UInt8(truncatingIfNeeded: state >> 24)
            }
            try chunk.withUnsafeBytes { try writer.addTensor(name: "h.\(index).weight", dtype: .u8, shape: [chunk.count], bytes: $0) }
        }
        return (path, try writer.finish())
    }

    /// Starts zoo in the background (stdout and stderr discarded); tearDown kills it if it still runs.
    func start(_ process: ZooProcess, _ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let child = try ZooProcess.makeProcess(arguments, home: process.home, environment: environment)
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        child.standardInput = FileHandle.nullDevice
        try child.run()
        processes.append(child)
        return child
    }

    /// Runs zoo in `directory` (for locations relative to it).
    func run(_ arguments: [String], in directory: String) throws -> ZooProcess.Result {
        let process = try ZooProcess.makeProcess(arguments, home: zoo.home, environment: [:])
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errHandle = err.fileHandleForReading
        let box = ErrorData()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            box.data = errHandle.readDataToEndOfFile()
            group.leave()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ZooProcess.Result(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
                                 stderr: String(decoding: box.data, as: UTF8.self))
    }

    /// Waits until the file at `path` holds at least `bytes` bytes, or `process` ends, or 60 s
    /// pass; returns its size then.
    func waitForFile(_ path: String, atLeast bytes: Int, while process: Process) -> Int {
        for _ in 0..<1200 {
            let size = (try? FileSystem.fileSize(path)) ?? 0
            if size >= bytes || !process.isRunning { return size }
            usleep(50_000)
        }
        return (try? FileSystem.fileSize(path)) ?? 0
    }

    /// Waits until `condition` holds, `process` ends, or 60 s pass; returns the condition's value.
    func wait(while process: Process, until condition: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<1200 {
            if try condition() { return true }
            if !process.isRunning { return try condition() }
            usleep(50_000)
        }
        return try condition()
    }
}

/// Bytes read on another thread.
private final class ErrorData: @unchecked Sendable {
    var data = Data()
}

/// Debian's `docker-registry` on 127.0.0.1 via `scripts/registry.sh` (own config and storage;
/// htpasswd or token auth on demand), stopped by `stop()` or by the script's watchdog when the
/// test process dies.
final class RegistryFixture {
    enum Auth {
        case none
        case basic(user: String, password: String)
        case bearer(user: String, password: String)
    }

    let directory: String
    let address: String
    private var stopped = false

    init(auth: Auth, scratch: String) throws {
        directory = scratch + "/" + FileSystem.uniqueName("registry")
        var arguments = ["start", directory, "--owner", String(getpid())]
        switch auth {
        case .none: break
        case let .basic(user, password): arguments += ["--htpasswd", "\(user):\(password)"]
        case let .bearer(user, password): arguments += ["--token", "\(user):\(password)"]
        }
        address = try Self.script("registry.sh", arguments).trimmingCharacters(in: .whitespacesAndNewlines)
        guard address.hasPrefix("127.0.0.1:") else { throw CocoaError(.fileReadUnknown) }
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? Self.script("registry.sh", ["stop", directory])
    }

    static func script(_ name: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [RemoteCLITestCase.repositoryRoot + "/scripts/" + name] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            XCTFail("scripts/\(name) \(arguments.joined(separator: " ")) failed: is docker-registry installed? (scripts/setup.sh)")
            throw CocoaError(.executableLoad)
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// `scripts/test_proxy.py` in front of a registry: counts forwarded bytes, corrupts blobs on demand.
final class ProxyFixture {
    let address: String
    private let process: Process

    init(upstream: String, scratch: String) throws {
        let portFile = scratch + "/" + FileSystem.uniqueName("proxy-port")
        let python = ProcessInfo.processInfo.environment["ZOO_PYTHON"].flatMap {
            FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil
        } ?? "/usr/bin/python3"
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [RemoteCLITestCase.repositoryRoot + "/scripts/test_proxy.py", "--upstream", upstream,
                             "--port-file", portFile, "--owner", String(getpid())]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 where FileSystem.kind(of: portFile) != .regular { usleep(50_000) }
        guard let port = try? String(contentsOfFile: portFile, encoding: .utf8) else {
            process.terminate()
            throw CocoaError(.fileReadNoSuchFile)
        }
        address = "127.0.0.1:" + port
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    func stats() throws -> (uploaded: Int, downloaded: Int, blobDownloaded: Int) {
        let json = try JSONValue(parsing: Array(try control("stats", method: "GET").utf8))
        return (Int(json["uploaded"]?.integerValue ?? -1), Int(json["downloaded"]?.integerValue ?? -1),
                Int(json["blob_downloaded"]?.integerValue ?? -1))
    }

    func reset() throws { _ = try control("reset") }
    func corrupt(_ on: Bool) throws { _ = try control(on ? "corrupt" : "honest") }
    /// The `n`th PATCH (upload chunk) from now gets 503 and never reaches the registry.
    func failPatch(_ n: Int) throws { _ = try control("fail-patch/\(n)") }
    /// The next blob download's connection is closed after `bytes` body bytes.
    func cutDownload(after bytes: Int) throws { _ = try control("cut-download/\(bytes)") }

    private func control(_ name: String, method: String = "POST") throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sf", "-X", method, "http://\(address)/_proxy/\(name)"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

/// A pull by digest keeps the model under its name without inventing a tag.
final class PullByDigestCommandTests: RemoteCLITestCase {
    func testPull_ByDigest_StoresUntaggedListsRemovesAndTagsIt() throws {
        let other = ZooProcess(home: scratch + "/other")
        let digest = try other.run(["import", try Fixtures.bertTiny()]).importedDigest
        let layout = scratch + "/layout"
        XCTAssertEqual(try other.run(["push", "bert-tiny", layout + ":team/bert:v1"]).status, 0)

        let pulled = try run(["pull", layout + ":team/bert@" + digest])
        XCTAssertEqual(pulled.stdout.split(separator: "\n").first.map(String.init), "Pulled team/bert@\(digest)")
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/refs/team/bert"), ["@sha256-" + digest.dropFirst(7)])
        let row = try run(["list"]).stdout.split(separator: "\n")[1]
        XCTAssertTrue(row.hasPrefix("team/bert   <none>   \(digest.dropFirst(7).prefix(12))   "), String(row))
        let listed = try XCTUnwrap(try json(try run(["list", "--json"]).stdout).arrayValue?.first)
        XCTAssertEqual(listed["tag"], .null)
        XCTAssertEqual(listed["reference"], .string("team/bert@" + digest))
        XCTAssertTrue(try run(["show", "team/bert@" + digest]).stdout.contains("refs:           team/bert@\(digest)"))
        try run(["gc"])
        try run(["verify", "team/bert@" + digest, "--deep"])

        // Tagged later: the tag replaces the untagged ref.
        XCTAssertEqual(try run(["tag", "team/bert@" + digest, "team/bert:v1"]).stdout, "Tagged team/bert:v1 (\(digest))\n")
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/refs/team/bert"), ["v1"])
        // Pulled by digest again while a tag holds it: nothing new.
        try run(["pull", layout + ":team/bert@" + digest])
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/refs/team/bert"), ["v1"])

        // rm NAME@digest removes every ref of that name to the model.
        try run(["rm", "team/bert:v1"])
        try run(["pull", layout + ":team/bert@" + digest, "--json"])
        let removed = try json(try run(["rm", "team/bert@" + digest, "--json"]).stdout)
        XCTAssertEqual(removed.arrayValue?.first?["untagged"], [["name": "team/bert", "tag": nil, "digest": .string(digest)]])
        XCTAssertEqual(try run(["list", "--json"]).stdout, "[]\n")
        XCTAssertEqual(try FileSystem.listDirectory(storeRoot + "/blobs/sha256"), [])
    }
}
