#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ZooFormat
import ZooStore

/// `zoo-bench --transfer`: `zoo push` and `zoo pull` of the generated ~1 GiB model against a local
/// CNCF distribution registry (Debian's `docker-registry`, started by `scripts/registry.sh`),
/// beside `curl` moving the same blobs in the same run; the peak memory of each side; and the
/// dedup figure (a 12-layer BERT-base-shaped model, then a fine-tune with its top 2 layers and a
/// new head changed: the bytes the fine-tune's push and pull move).
///
/// zoo runs in a child process (`zoo-bench --transfer-worker`, the same ``RemoteClient`` code as
/// the CLI) so its time and peak RSS are its own. Every push goes to a freshly started, empty
/// registry; every pull into an empty store. The issue's target: at least 0.8x curl's throughput.
struct TransferBenchmark {
    let options: Options
    let scratch: String

    private var sourceStore: String { scratch + "/source" }
    private var targetStore: String { scratch + "/target" }
    private var registryDirectory: String { scratch + "/registry" }
    private var curlDirectory: String { scratch + "/curl" }
    /// Blobs moved at once by zoo (its default) and by curl.
    static let parallelism = 4
    static let repository = "bench/model"

    struct Results {
        var layout: ModelLayout
        var blobBytes = 0
        var blobCount = 0
        var zooPush = Samples([]), zooPull = Samples([])
        var curlPullParallel = Samples([]), curlPullSequential = Samples([]), curlPullSynced = Samples([]), curlPush = Samples([])
        var zooPullResident = 0, zooPushResident = 0, curlPullResident = 0
        var dedupPush = (moved: 0, total: 0), dedupPull = (moved: 0, total: 0), dedupShards = 0
    }

    func run() throws(BenchError) -> Report {
        let loadBefore = SystemState.loadAverage()
        let layout = ModelLayout.fitting(targetBytes: options.targetBytes)
        var results = Results(layout: layout)
        let worker = try Self.executablePath()
        let registry = try LocalRegistry(directory: registryDirectory)
        defer { registry.stop() }

        let model = try importGenerated(DataGenerator.generate(layout), name: "bench", progressLabel: "model")
        let blobs = model.shards.map { ($0.digest, $0.length) } + [(model.digest, model.canonicalBytes.count)]
        results.blobCount = blobs.count
        results.blobBytes = blobs.reduce(0) { $0 + $1.1 }

        let stored = blobs.map { Store(root: sourceStore).blobPath($0.0) }
        try warm(stored)
        for run in 0..<options.runs {
            // Pushes go to a fresh registry each; which side pushes first alternates.
            func curlPush() throws(BenchError) {
                let address = try registry.restart()
                sync()
                let curlPush = try MeasuredProcess.run("/bin/bash", [try curlPushScript(), address, Self.repository] + stored)
                results.curlPush.seconds.append(curlPush.seconds)
                progress("curl POST + PUT x\(Self.parallelism) run \(run + 1): \(Figure.duration(curlPush.seconds))")
            }
            if run % 2 == 1 { try curlPush() }
            let address = try registry.restart()
            sync()
            let push = try MeasuredProcess.run(worker, ["--transfer-worker", "push", sourceStore, "bench",
                                                        "oci://\(address)/\(Self.repository)"])
            results.zooPush.seconds.append(push.seconds)
            results.zooPushResident = max(results.zooPushResident, push.peakResidentBytes)
            progress("zoo push run \(run + 1): \(Figure.duration(push.seconds)), peak RSS \(Figure.byteSize(Double(push.peakResidentBytes)))")
            try measurePulls(run: run, address: address, blobs: blobs, model: model, worker: worker, into: &results)
            if run % 2 == 0 { try curlPush() }
        }
        try dedup(worker: worker, registry: registry, into: &results)
        return report(results, loadBefore: loadBefore)
    }

    /// Reads the files once, so both sides' pushes start with them in the page cache (the writer
    /// that made them dropped their pages as it wrote them back).
    private func warm(_ paths: [String]) throws(BenchError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        for path in paths {
            do {
                let fd = try FileSystem.openForReading(path)
                defer { close(fd) }
                while try FileSystem.read(fd, into: buffer, path: path) > 0 {}
            } catch {
                throw .io(error)
            }
        }
    }

    /// zoo pull, curl -Z (then fsync of its files) and sequential curl of the same blobs, each from
    /// a clean start (outputs removed, `sync`), in an order that rotates from run to run so that no
    /// side always goes first after the push.
    private func measurePulls(run: Int, address: String, blobs: [(SHA256Digest, Int)], model: Manifest, worker: String,
                              into results: inout Results) throws(BenchError)
    {
        let urls = blobs.map { "http://\(address)/v2/\(Self.repository)/blobs/\($0.0)" }
        let files = blobs.map { curlDirectory + "/" + $0.0.hex }
        func clean() throws(BenchError) {
            try remove(curlDirectory)
            try remove(targetStore)
            do { try FileSystem.makeDirectories(curlDirectory) } catch { throw .io(error) }
            sync()
        }
        func curl(parallel: Bool) throws(BenchError) {
            var arguments = ["-sS", "-f", "--no-progress-meter"] + (parallel ? ["-Z", "--parallel-max", String(Self.parallelism)] : [])
            for (url, file) in zip(urls, files) { arguments += ["-o", file, url] }
            let curl = try MeasuredProcess.run(try Self.locate("curl"), arguments)
            try checkSizes(blobs)
            results.curlPullResident = max(results.curlPullResident, curl.peakResidentBytes)
            if parallel {
                results.curlPullParallel.seconds.append(curl.seconds)
                // The same files made durable, as zoo makes its blobs: `sync FILE...` fsyncs each.
                let synced = try MeasuredProcess.run(try Self.locate("sync"), files)
                results.curlPullSynced.seconds.append(curl.seconds + synced.seconds)
                progress("curl -Z x\(Self.parallelism) run \(run + 1): \(Figure.duration(curl.seconds)), "
                         + "+ fsync \(Figure.duration(synced.seconds))")
            } else {
                results.curlPullSequential.seconds.append(curl.seconds)
                progress("curl sequential run \(run + 1): \(Figure.duration(curl.seconds))")
            }
        }
        func zoo() throws(BenchError) {
            let pull = try MeasuredProcess.run(worker, ["--transfer-worker", "pull", targetStore, "oci://\(address)/\(Self.repository)"])
            guard pull.output.contains(model.digest.description) else { throw .mismatch("zoo pull printed \(pull.output)") }
            results.zooPull.seconds.append(pull.seconds)
            results.zooPullResident = max(results.zooPullResident, pull.peakResidentBytes)
            progress("zoo pull run \(run + 1): \(Figure.duration(pull.seconds)), peak RSS \(Figure.byteSize(Double(pull.peakResidentBytes)))")
        }
        let steps = [0, 1, 2]
        for step in steps[(run % 3)...] + steps[..<(run % 3)] {
            try clean()
            switch step {
            case 0: try zoo()
            case 1: try curl(parallel: true)
            default: try curl(parallel: false)
            }
        }
        try remove(curlDirectory)
        try remove(targetStore)
    }

    /// The fine-tune figure: parent pushed and pulled first, then the fine-tune; bytes it moved.
    private func dedup(worker: String, registry: LocalRegistry, into results: inout Results) throws(BenchError) {
        let base = ModelLayout(hidden: 768, layers: 12)
        let parent = DataGenerator.generate(base)
        var tuned = parent
        for index in tuned.indices where ["bert.encoder.layer.10.", "bert.encoder.layer.11."].contains(where: { tuned[index].spec.name.hasPrefix($0) }) {
            tuned[index] = GeneratedTensor(spec: tuned[index].spec, bytes: tuned[index].bytes.map { $0 ^ 0x5A })  // "trained further"
        }
        let head = TensorSpec(name: "classifier.weight", dtype: .f32, shape: [3, 768])
        tuned.append(GeneratedTensor(spec: head, bytes: (0..<head.byteCount).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        tuned.append(GeneratedTensor(spec: TensorSpec(name: "classifier.bias", dtype: .f32, shape: [3]), bytes: [UInt8](repeating: 0, count: 12)))
        let tunedManifest = try importGenerated(tuned, name: "bench-tuned", progressLabel: "fine-tune")
        _ = try importGenerated(parent, name: "bench-parent", progressLabel: "parent")
        results.dedupShards = tunedManifest.shards.count

        let address = try registry.restart()
        func json(_ output: String) throws(BenchError) -> (moved: Int, total: Int) {
            guard let value = try? JSONValue(parsing: Array(output.utf8)), let moved = value["moved"]?.integerValue,
                let total = value["total"]?.integerValue
            else { throw .mismatch("transfer worker printed \(output)") }
            return (Int(moved), Int(total))
        }
        _ = try MeasuredProcess.run(worker, ["--transfer-worker", "push", sourceStore, "bench-parent", "oci://\(address)/bench/parent"])
        results.dedupPush = try json(try MeasuredProcess.run(
            worker, ["--transfer-worker", "push", sourceStore, "bench-tuned", "oci://\(address)/bench/tuned"]).output)
        try remove(targetStore)
        _ = try MeasuredProcess.run(worker, ["--transfer-worker", "pull", targetStore, "oci://\(address)/bench/parent"])
        results.dedupPull = try json(try MeasuredProcess.run(
            worker, ["--transfer-worker", "pull", targetStore, "oci://\(address)/bench/tuned"]).output)
        try remove(targetStore)
        progress("dedup: fine-tune push moved \(results.dedupPush.moved) of \(results.dedupPush.total) bytes, "
                 + "pull \(results.dedupPull.moved) of \(results.dedupPull.total)")
    }

    /// Writes generated tensors straight into the source store's staging area and imports them
    /// (rename into blobs/); the tensors are freed when the caller's array goes.
    private func importGenerated(_ tensors: [GeneratedTensor], name: String, progressLabel: String) throws(BenchError) -> Manifest {
        let store = Store(root: sourceStore)
        do {
            let stagingArea = try store.makeStagingDirectory(prefix: "bench")
            defer { stagingArea.remove() }
            let staging = stagingArea.path
            let manifest = try ZooWorkloads.save(tensors, to: staging + "/checkpoint")
            try store.importStaged(directory: staging + "/checkpoint", name: try ModelReference(name: name), options: .trustDigests)
            progress("\(progressLabel): \(manifest.shards.count) shards, \(Figure.byteSize(Double(manifest.totalByteCount))) in the store")
            return manifest
        } catch let error as BenchError {
            throw error
        } catch {
            throw .zoo("\(error)")
        }
    }

    private func checkSizes(_ blobs: [(SHA256Digest, Int)]) throws(BenchError) {
        for (digest, length) in blobs {
            let size = (try? FileSystem.fileSize(curlDirectory + "/" + digest.hex)) ?? -1
            guard size == length else { throw .mismatch("curl fetched \(size) bytes of \(digest), expected \(length)") }
        }
    }

    /// A script uploading each file (named by its hex digest) with curl: POST for a session, then
    /// one monolithic PUT ?digest=, `parallelism` files at once.
    private func curlPushScript() throws(BenchError) -> String {
        let path = scratch + "/curl-push.sh"
        let script = """
            #!/bin/bash
            set -euo pipefail
            export A="$1" R="$2"; shift 2
            upload() {
                local file="$1" location
                location="$(curl -sS -f -X POST -D - -o /dev/null "http://$A/v2/$R/blobs/uploads/" \\
                    | tr -d '\\r' | awk 'tolower($1) == "location:" { print $2 }')"
                case "$location" in http*) ;; *) location="http://$A$location" ;; esac
                curl -sS -f -X PUT -H 'Content-Type: application/octet-stream' -T "$file" \\
                    "$location&digest=sha256:$(basename "$file")" -o /dev/null
            }
            export -f upload
            printf '%s\\n' "$@" | xargs -P \(Self.parallelism) -I{} bash -c 'upload "$1"' _ {}
            """
        do { try FileSystem.writeAtomically(Array(script.utf8), to: path, mode: 0o755) } catch { throw .io(error) }
        return path
    }

    private func report(_ results: Results, loadBefore: String) -> Report {
        var report = Report()
        let bytes = results.blobBytes
        let curlPullBest = results.curlPullParallel.median <= results.curlPullSequential.median
            ? (results.curlPullParallel, "curl -Z x\(Self.parallelism)") : (results.curlPullSequential, "curl (sequential)")
        report.facts = [
            ("model", "\(bytes) bytes (\(Figure.byteSize(Double(bytes)))) in \(results.blobCount) blobs (shards + manifest): "
                + "BERT-like, \(results.layout.layers) layers, hidden \(results.layout.hidden), sharded by layer"),
            ("registry", "Debian docker-registry (CNCF distribution) on 127.0.0.1, plain http, filesystem storage in the scratch "
                + "folder; every push into a freshly started empty registry, every pull into an empty store"),
            ("runs", "\(options.runs) per figure, median shown; zoo runs as a child process (--transfer-worker); each pull "
                + "starts clean (outputs removed, sync) and the order of zoo and curl rotates from run to run"),
            ("machine", "\(SystemState.processorCount()) CPUs, load average \(loadBefore) at start, \(SystemState.loadAverage()) at end"),
        ]
        report.rows = [
            Row(operation: "pull from the registry (GB/s)", zoo: .throughput(results.zooPull, bytes: bytes),
                peerName: curlPullBest.1, peer: .throughput(curlPullBest.0, bytes: bytes), target: .atLeast(0.8)),
            Row(operation: "pull, vs curl + fsync of its files (same durability)", zoo: .throughput(results.zooPull, bytes: bytes),
                peerName: "curl -Z x\(Self.parallelism) + sync", peer: .throughput(results.curlPullSynced, bytes: bytes),
                target: .atLeast(0.8)),
            Row(operation: "push to an empty registry (GB/s)", zoo: .throughput(results.zooPush, bytes: bytes),
                peerName: "curl POST+PUT x\(Self.parallelism)", peer: .throughput(results.curlPush, bytes: bytes), target: .atLeast(0.8)),
            Row(operation: "pull, peak RSS", zoo: .size(results.zooPullResident), peerName: "curl",
                peer: .size(results.curlPullResident), target: nil),
            Row(operation: "push, peak RSS", zoo: .size(results.zooPushResident), peerName: "curl (pull)",
                peer: .size(results.curlPullResident), target: nil),
            Row(operation: "fine-tune push after its parent (bytes sent / model)", zoo: .size(results.dedupPush.moved),
                peerName: "whole model", peer: .size(results.dedupPush.total), target: .atMost(0.2)),
            Row(operation: "fine-tune pull after its parent (bytes received / model)", zoo: .size(results.dedupPull.moved),
                peerName: "whole model", peer: .size(results.dedupPull.total), target: .atMost(0.2)),
        ]
        report.notes = [
            "zoo pull = resolve the tag, fetch the OCI manifest and config, then every shard (4 at a time, libcurl), "
                + "SHA-256 while it streams into the store's tmp/, fsync, link into blobs/, write the name. curl = the same blob "
                + "URLs with `curl -o FILE URL ...`, with -Z (4 at a time) and sequentially; the faster is the first row's "
                + "peer. curl neither hashes nor fsyncs: the second row adds `sync FILE...` (an fsync per file) to its -Z run, "
                + "the durability zoo gives its store (on this VM's shared disk a 1 GiB fsync takes 0.5 to 2.5 s).",
            "zoo push = HEAD each blob, POST + 64 MiB PATCH chunks + PUT ?digest= (resumable), hashing every byte sent, "
                + "then PUT the manifest. curl = POST then one monolithic PUT per blob, 4 at a time.",
            "Peak RSS = the child process's VmHWM (/proc/PID/status, sampled): zoo's is bounded by its buffers (1 MiB per "
                + "transfer, libcurl's 512 KiB receive and 2 MiB upload buffers) and the runtime, whatever the blob size.",
            "Dedup: a 12-layer BERT-base-shaped model (hidden 768, \(results.dedupShards) shards) pushed and pulled first, "
                + "then a fine-tune with layers 10-11 and a new classifier head changed; rows give its bytes moved / its size.",
            "Figures from a shared, busy machine are noisy: treat each as +-20% and prefer the ratios.",
        ]
        return report
    }

    private func remove(_ path: String) throws(BenchError) {
        do { try FileSystem.removeTree(path) } catch { throw .io(error) }
    }

    private func progress(_ line: String) { Console.diagnostic("zoo-bench: " + line) }

    /// This executable (the worker runs in a copy of it).
    static func executablePath() throws(BenchError) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { throw .io(IOError(call: "readlink", path: "/proc/self/exe", errno: errno)) }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func locate(_ name: String) throws(BenchError) -> String {
        guard let path = Subprocess.locate(name) else { throw .setup("\(name) not found on PATH") }
        return path
    }
}

/// A throw-away registry in a folder of the scratch directory, via `scripts/registry.sh`.
final class LocalRegistry {
    let directory: String
    private let script: String

    init(directory: String) throws(BenchError) {
        self.directory = directory
        let relative = "scripts/registry.sh"
        let fromSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(relative).path
        guard let script = [relative, fromSource].first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw .setup("\(relative) not found: run from the repository root")
        }
        self.script = script
    }

    /// Stops the registry if it runs, empties its storage, starts it; returns `127.0.0.1:PORT`.
    func restart() throws(BenchError) -> String {
        stop()
        do { try FileSystem.removeTree(directory) } catch { throw .io(error) }
        let output = try Subprocess.run("/bin/bash", [script, "start", directory, "--owner", String(getpid())])
        let address = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard address.hasPrefix("127.0.0.1:") else { throw .setup("registry.sh printed '\(address)'") }
        return address
    }

    func stop() {
        _ = try? Subprocess.run("/bin/bash", [script, "stop", directory])
    }
}
