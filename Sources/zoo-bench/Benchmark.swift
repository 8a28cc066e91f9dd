#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// One benchmark run: generates the model, times zoo, OpenSSL and the Python peer on it, and
/// builds the report. Phases run in a fixed order so each starts from a known state: data in
/// memory -> save (peak RSS taken right after) -> open -> load (warm) -> verify -> load (cold) -> Python.
struct Benchmark {
    let options: Options
    let scratch: String
    /// `$ZOO_PYTHON` and the script, or `nil` with `--skip-python`.
    let python: (interpreter: String, script: String)?
    let coldCache: Bool

    /// Calls per timed run for operations that take well under a millisecond.
    static let openRepeats = 50

    private var modelDirectory: String { scratch + "/zoo-model" }
    private var smallDirectory: String { scratch + "/zoo-small" }
    private var archivePath: String { scratch + "/zoo-model.zoo" }
    private var safetensorsInput: String { scratch + "/input.safetensors" }
    private var smallSafetensorsInput: String { scratch + "/input-small.safetensors" }
    private var pythonOutput: String { scratch + "/python-out" }

    func run() throws(BenchError) -> Report {
        var zoo = ZooResults()
        let loadBefore = SystemState.loadAverage()
        let layout = ModelLayout.fitting(targetBytes: options.targetBytes)
        let small = ModelLayout.scaled(layers: layout.layers, targetBytes: Options.smallModelMiB << 20)

        try generateAndSave(layout, small, into: &zoo)
        // `model` is used for its manifest and file paths only and never maps a shard: a mapping
        // held here would pin the shards in the page cache and make the cold rows warm.
        let model = try ZooWorkloads.open(modelDirectory)
        zoo.shardCount = model.manifest.shards.count
        zoo.shardBytes = model.manifest.shards.reduce(0) { $0 + $1.length }
        try ZooWorkloads.writeArchive(ZooWorkloads.open(modelDirectory), to: archivePath)
        let shardPaths = model.shardRegions.map(\.path)

        try timeOpen(tensorCount: layout.tensors.count, into: &zoo)
        let pageSum = try ZooWorkloads.touchAll(modelDirectory)  // also warms the page cache
        try timeLoads(cold: false, pageSum: pageSum, modelBytes: layout.byteCount, into: &zoo)
        try timeVerify(model, into: &zoo)
        if coldCache {
            try timeLoads(cold: true, pageSum: pageSum, modelBytes: layout.byteCount, into: &zoo)
            // Evidence that the cold rows were cold: what is left of the shards in the cache right after a drop.
            try SystemState.dropCaches()
            zoo.cachedAfterDrop = SystemState.cachedFraction(of: shardPaths)
        }
        let peer = try runPython(layout)

        return ReportBuilder(options: options, zoo: zoo, python: peer, layout: layout, small: small,
                             coldCache: coldCache, openRepeats: Self.openRepeats,
                             loadBefore: loadBefore, loadAfter: SystemState.loadAverage()).report
    }

    /// Generates both models in memory, hands them to Python as .safetensors (untimed), and times
    /// zoo's save. The generated data is freed on return; the last save is the model read later.
    private func generateAndSave(_ layout: ModelLayout, _ small: ModelLayout, into zoo: inout ZooResults) throws(BenchError) {
        progress("generating \(layout.tensors.count) tensors: \(Figure.byteSize(Double(layout.byteCount))) "
                 + "(\(layout.layers) layers, hidden \(layout.hidden)) and a \(Figure.byteSize(Double(small.byteCount))) twin")
        let (tensors, generateSeconds) = Timing.measure { DataGenerator.generate(layout) }
        let smallTensors = DataGenerator.generate(small)
        zoo.generateSeconds = generateSeconds
        zoo.modelBytes = layout.byteCount
        zoo.smallModelBytes = small.byteCount
        zoo.tensorCount = layout.tensors.count
        zoo.peakResidentAfterGenerate = SystemState.peakResidentBytes()

        if python != nil {
            progress("writing the Python peer's input (\(safetensorsInput))")
            try SafetensorsExport.write(tensors, to: safetensorsInput)
            try SafetensorsExport.write(smallTensors, to: smallSafetensorsInput)
        }

        zoo.save = try Samples.collect(runs: options.runs) { run throws(BenchError) in
            try remove(modelDirectory)
            sync()  // start with no writeback pending (the Python side does the same)
            let (_, seconds) = try Timing.measure { () throws(BenchError) in try ZooWorkloads.save(tensors, to: modelDirectory) }
            progress("zoo save run \(run + 1): \(Figure.duration(seconds))")
            return seconds
        }
        zoo.peakResidentAfterSave = SystemState.peakResidentBytes()
        _ = try ZooWorkloads.save(smallTensors, to: smallDirectory)
    }

    /// Opening, per call (averaged over ``openRepeats`` calls), page cache warm.
    private func timeOpen(tensorCount: Int, into zoo: inout ZooResults) throws(BenchError) {
        func perCall(_ label: String, _ body: () throws(BenchError) -> Void) throws(BenchError) -> Samples {
            try body()  // warm-up
            let samples = try Samples.collect(runs: options.runs) { _ throws(BenchError) in
                try Timing.perCall(repeats: Self.openRepeats, body)
            }
            progress("zoo \(label): \(Figure.duration(samples.median)) per call")
            return samples
        }
        zoo.open = try perCall("open") { () throws(BenchError) in _ = try ZooWorkloads.open(modelDirectory) }
        zoo.openNames = try perCall("open + names") { () throws(BenchError) in
            guard try ZooWorkloads.open(modelDirectory).tensorNames.count == tensorCount else {
                throw .mismatch("tensor count of \(modelDirectory)")
            }
        }
        zoo.openArchive = try perCall("open .zoo") { () throws(BenchError) in _ = try ZooWorkloads.openArchive(archivePath) }
        zoo.openSmall = try perCall("open small") { () throws(BenchError) in _ = try ZooWorkloads.open(smallDirectory) }
        zoo.openSmallNames = try perCall("open small + names") { () throws(BenchError) in
            guard try ZooWorkloads.open(smallDirectory).tensorNames.count == tensorCount else {
                throw .mismatch("tensor count of \(smallDirectory)")
            }
        }
    }

    /// Loading every tensor, zero-copy and copying; `cold` drops the page cache before each run.
    private func timeLoads(cold: Bool, pageSum: UInt64, modelBytes: Int, into zoo: inout ZooResults) throws(BenchError) {
        func time(_ label: String, _ body: () throws(BenchError) -> Void) throws(BenchError) -> Samples {
            try Samples.collect(runs: options.runs) { run throws(BenchError) in
                if cold { try SystemState.dropCaches() }
                let (_, seconds) = try Timing.measure(body)
                progress("zoo load (\(label), \(cold ? "cold" : "warm")) run \(run + 1): \(Figure.duration(seconds))")
                return seconds
            }
        }
        let touch = try time("zero-copy") { () throws(BenchError) in
            guard try ZooWorkloads.touchAll(modelDirectory) == pageSum else { throw .mismatch("page sums differ between runs") }
        }
        let copy = try time("copy") { () throws(BenchError) in
            guard try ZooWorkloads.copyAll(modelDirectory) == modelBytes else { throw .mismatch("bytes copied") }
        }
        if cold {
            (zoo.touchCold, zoo.copyCold) = (touch, copy)
        } else {
            (zoo.touchWarm, zoo.copyWarm) = (touch, copy)
        }
    }

    /// zoo's verify (.files and .deep) and `openssl dgst -sha256` on the same shard files, warm.
    private func timeVerify(_ model: Checkpoint, into zoo: inout ZooResults) throws(BenchError) {
        func verify(_ options: VerificationOptions, bytes: inout Int) throws(BenchError) -> Samples {
            var hashed = 0
            let samples = try Samples.collect(runs: self.options.runs) { _ throws(BenchError) in
                let (count, seconds) = try Timing.measure { () throws(BenchError) in try ZooWorkloads.verify(modelDirectory, options) }
                hashed = count
                return seconds
            }
            bytes = hashed
            return samples
        }
        zoo.verifyFiles = try verify(.files, bytes: &zoo.verifyFilesBytes)
        zoo.verifyDeep = try verify(.deep, bytes: &zoo.verifyDeepBytes)
        progress("zoo verify: .files \(Figure.duration(zoo.verifyFiles.median)), .deep \(Figure.duration(zoo.verifyDeep.median))")

        let files = model.manifest.shards.indices.map {
            (path: model.shardRegions[$0].path, length: model.manifest.shards[$0].length)
        }
        zoo.openSSLParallel = try timeOpenSSL(files, processes: Self.peerCores, manifest: model.manifest)
        zoo.openSSLSingle = try timeOpenSSL(files, processes: 1, manifest: model.manifest)
    }

    /// The issue compares with OpenSSL on 2 cores (fewer if the machine has fewer).
    static var peerCores: Int { max(1, min(2, SystemState.processorCount())) }

    /// Times `openssl dgst -sha256` over the shard files and checks it agrees with the manifest.
    private func timeOpenSSL(
        _ files: [(path: String, length: Int)], processes: Int, manifest: Manifest
    ) throws(BenchError) -> Samples {
        let samples = try Samples.collect(runs: options.runs) { _ throws(BenchError) in
            let result = try OpenSSLPeer.hash(files, processes: processes)
            for (file, shard) in zip(files, manifest.shards) where result.digests[file.path] != shard.digest.hex {
                throw .mismatch("openssl's SHA-256 of \(file.path) is \(result.digests[file.path] ?? "missing"), "
                                + "the manifest says \(shard.digest.hex)")
            }
            return result.seconds
        }
        progress("openssl dgst -sha256 x\(processes): \(Figure.duration(samples.median))")
        return samples
    }

    /// Runs the Python peer on the .safetensors copy of the model; `nil` with `--skip-python`.
    private func runPython(_ layout: ModelLayout) throws(BenchError) -> PythonResults? {
        guard let python else { return nil }
        progress("running \(python.script) with \(python.interpreter)")
        do { try FileSystem.makeDirectories(pythonOutput) } catch { throw .io(error) }
        let results = try PythonPeer.run(
            python: python.interpreter, script: python.script, input: safetensorsInput, smallInput: smallSafetensorsInput,
            outDirectory: pythonOutput, runs: options.runs, dropCaches: coldCache)
        guard results.tensorCount == layout.tensors.count, results.tensorBytes == layout.byteCount else {
            throw .mismatch("Python saw \(results.tensorCount) tensors / \(results.tensorBytes) bytes, "
                            + "zoo wrote \(layout.tensors.count) / \(layout.byteCount)")
        }
        return results
    }

    private func remove(_ path: String) throws(BenchError) {
        do { try FileSystem.removeTree(path) } catch { throw .io(error) }
    }

    private func progress(_ line: String) { Console.diagnostic("zoo-bench: " + line) }
}
