import Foundation
import XCTest
import ZooFormat

/// kill -9 of `zoo import`, `zoo pull` and `zoo push` at seeded moments over the whole run, against a
/// folder and a real registry. After every kill the stores verify; the next run of the same command
/// completes; and once it has, nothing of the killed runs is left behind (staging, partial blobs,
/// upload state).
///
/// The moments come from a seeded generator: `ZOO_FAULT_SEED` replays a failing run (the seed is in
/// every failure message); `ZOO_FAULT_ROUNDS` sets the kills per test (default 6).
final class FaultInjectionTests: RemoteCLITestCase {
    private var random = SplitMix64(seed: 0)
    private var seed: UInt64 = 0
    private var rounds = 6

    override func setUpWithError() throws {
        try super.setUpWithError()
        let environment = ProcessInfo.processInfo.environment
        seed = environment["ZOO_FAULT_SEED"].flatMap { UInt64($0) } ?? 20_261_203
        rounds = environment["ZOO_FAULT_ROUNDS"].flatMap { Int($0) }.map { max(1, $0) } ?? 6
        random = SplitMix64(seed: seed)
    }

    func testImport_KilledAtSeededMoments_NextImportCompletesAndReclaimsEverything() throws {
        let sources = try (0..<rounds).map { round in try writeBig(count: 3, megabytes: 8, name: "m", seed: UInt32(round + 1)).path }
        try exercise("import", store: zoo, rounds: rounds) { round in
            ["import", sources[round], "--name", "m\(round)"]
        }
    }

    func testPull_FromARegistry_KilledAtSeededMoments_NextPullCompletesAndLeavesNothing() throws {
        let registry = try startRegistry()
        for round in 0..<rounds {
            try importBig(count: 3, megabytes: 8, name: "m\(round)", seed: UInt32(round + 1))
            try run(["push", "m\(round)", "oci://\(registry.address)/m\(round)", "--insecure"])
        }
        try exercise("pull", store: ZooProcess(home: scratch + "/target"), rounds: rounds) { round in
            ["pull", "oci://\(registry.address)/m\(round)", "--insecure", "--limit-rate", "60MB"]
        }
    }

    func testPull_FromAFolder_KilledAtSeededMoments_NextPullCompletesAndLeavesNothing() throws {
        let layout = scratch + "/shared"
        for round in 0..<rounds {
            try importBig(count: 3, megabytes: 8, name: "m\(round)", seed: UInt32(round + 1))
            try run(["push", "m\(round)", layout + ":m\(round)"])
        }
        try exercise("pull", store: ZooProcess(home: scratch + "/target"), rounds: rounds) { round in
            ["pull", "file://" + layout + ":m\(round)", "--limit-rate", "60MB"]
        }
    }

    func testPush_ToARegistry_KilledAtSeededMoments_NextPushCompletesAndThePullIsIntact() throws {
        let registry = try startRegistry()
        for round in 0..<rounds { try importBig(count: 3, megabytes: 8, name: "m\(round)", seed: UInt32(round + 1)) }
        try exercise("push", store: zoo, rounds: rounds) { round in
            ["push", "m\(round)", "oci://\(registry.address)/m\(round)", "--insecure", "--limit-rate", "60MB"]
        }
        try assertPullable(rounds: rounds) { "oci://\(registry.address)/m\($0)" }
    }

    func testPush_ToAFolder_KilledAtSeededMoments_NextPushCompletesAndLeavesNoPartials() throws {
        let layout = scratch + "/shared"
        for round in 0..<rounds { try importBig(count: 3, megabytes: 8, name: "m\(round)", seed: UInt32(round + 1)) }
        try exercise("push", store: zoo, rounds: rounds) { round in
            ["push", "m\(round)", layout + ":m\(round)", "--limit-rate", "60MB"]
        }
        XCTAssertEqual(Self.files(under: layout).filter { $0.hasSuffix(".partial") }, [], "seed \(seed)")
        try assertPullable(rounds: rounds) { "file://" + layout + ":m\($0)" }
    }

    // MARK: - The campaign

    /// Learns how long one uninterrupted run takes (round 0's command, on a copy of the work), then
    /// for each round starts the command, kills it at a seeded moment within 1.2x that time, checks
    /// the store, and runs the same command again to completion. At the end the store's `tmp/`
    /// holds no file: every interrupted run was reclaimed or finished by its successor.
    private func exercise(_ verb: String, store: ZooProcess, rounds: Int, command: (Int) -> [String]) throws {
        let started = Date()
        let probe = try store.run(command(0))
        XCTAssertEqual(probe.status, 0, probe.stderr)
        let duration = max(Date().timeIntervalSince(started), 0.05)
        var log: [String] = []
        for round in 0..<rounds {
            let arguments = round == 0 ? try redo(command(0), in: store) : command(round)
            let child = try start(store, arguments)
            let delay = duration * 1.2 * Double.random(in: 0..<1, using: &random)
            usleep(useconds_t(delay * 1_000_000))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            let outcome = child.terminationReason == .uncaughtSignal ? "killed" : "exited \(child.terminationStatus)"
            log.append(String(format: "round %d: %@ killed at %.3fs of %.3fs (%@)", round, verb, delay, duration, outcome))
            let context = "seed \(seed), " + log.joined(separator: "; ")

            try assertStoreVerifies(store, context: context)
            let again = try store.run(arguments)
            XCTAssertEqual(again.status, 0, "\(context): the next \(verb) failed: \(again.stderr)")
            try assertStoreVerifies(store, context: context + " and the next \(verb)")
        }
        XCTAssertEqual(Self.files(under: store.home + "/tmp"), [], "seed \(seed): left behind; " + log.joined(separator: "; "))
    }

    /// Round 0 repeats the probe's command, so the probe's result is undone first: an import or pull
    /// is removed again (and its blobs collected); a push needs nothing undone to be repeated, but
    /// a fresh destination makes it send the bytes again, so the model is pushed under a new name.
    private func redo(_ arguments: [String], in store: ZooProcess) throws -> [String] {
        switch arguments.first {
        case "import":
            XCTAssertEqual(try store.run(["rm", "m0"]).status, 0)
            XCTAssertEqual(try store.run(["gc"]).status, 0)
            return arguments
        case "pull":
            let models = try json(try store.run(["list", "--json"]).stdout).arrayValue ?? []
            for model in models { if let name = model["name"]?.stringValue { XCTAssertEqual(try store.run(["rm", name]).status, 0) } }
            XCTAssertEqual(try store.run(["gc"]).status, 0)
            return arguments
        default:
            var renamed = arguments
            renamed[2] += "-again"
            return renamed
        }
    }

    /// `zoo verify` of every model the store lists exits 0, and `zoo list` itself works.
    private func assertStoreVerifies(_ store: ZooProcess, context: String) throws {
        let listed = try store.run(["list", "--json"])
        XCTAssertEqual(listed.status, 0, "\(context): list: \(listed.stderr)")
        for model in try json(listed.stdout).arrayValue ?? [] {
            guard let name = model["name"]?.stringValue, let tag = model["tag"]?.stringValue else { continue }
            let verified = try store.run(["verify", "\(name):\(tag)"])
            XCTAssertEqual(verified.status, 0, "\(context): verify \(name):\(tag): \(verified.stderr)")
        }
    }

    /// Every pushed model pulls into an empty store and verifies deeply, with the digest it has here.
    private func assertPullable(rounds: Int, location: (Int) -> String) throws {
        let fresh = ZooProcess(home: scratch + "/fresh")
        for round in 0..<rounds {
            let insecure = location(round).hasPrefix("oci://") ? ["--insecure"] : []
            let pulled = try fresh.run(["pull", location(round)] + insecure + ["--name", "m\(round)"])
            XCTAssertEqual(pulled.status, 0, "seed \(seed): pull of round \(round)'s push: \(pulled.stderr)")
            XCTAssertEqual(try fresh.run(["verify", "m\(round)", "--deep"]).status, 0, "seed \(seed): round \(round)")
            let here = try json(try zoo.run(["show", "m\(round)", "--json"]).stdout)["digest"]
            XCTAssertEqual(try json(try fresh.run(["show", "m\(round)", "--json"]).stdout)["digest"], here)
        }
    }

    /// Regular files under `root`, relative, sorted (directories themselves are not listed).
    private static func files(under root: String) -> [String] {
        var found: [String] = []
        func walk(_ directory: String, _ prefix: String) {
            for name in (try? FileSystem.listDirectory(directory)) ?? [] {
                let path = directory + "/" + name
                if FileSystem.kind(of: path) == .directory { walk(path, prefix + name + "/") } else { found.append(prefix + name) }
            }
        }
        walk(root, "")
        return found.sorted()
    }
}
