import ZooFormat
import ZooStore

/// `zoo-bench --store`: how long the real `zoo` binary takes to `list` a store and `show` a model
/// as models and tensors grow, against the cost of starting the process at all.
///
/// Four stores are built in the scratch folder with ``CheckpointWriter`` and
/// ``Store/importStaged(directory:name:options:progress:)`` (what `zoo import` does): one model
/// of 100, one of 10,000 and one of 100,000 tensors (a mixture-of-experts checkpoint's count),
/// and 1,000 small models plus the 100,000-tensor one. Each command is run `runs` times after one
/// warm-up run; the median is compared with the budget "2x process start + 15 ms", where process
/// start is the median of `zoo --help`.
struct StoreBenchmark {
    let options: Options
    let scratch: String

    /// Timed runs per figure: each is milliseconds, so more runs than the big benchmarks take.
    private var runs: Int { max(options.runs, 11) }
    /// The budget's allowance on top of twice the process start.
    static let budgetSlack = 0.015
    static let smallModelCount = 1000
    static let tensorCounts = [100, 10_000, 100_000]

    func run() throws(BenchError) -> Report {
        let loadBefore = SystemState.loadAverage()
        let zoo = options.zooBinary ?? ".build/release/zoo"
        guard Subprocess.locate(zoo) != nil else {
            throw .setup("\(zoo) is not an executable: build it with `swift build -c release --product zoo`, or pass --zoo PATH")
        }
        let start = try time(zoo, ["--help"])
        let budget = 2 * start.median + Self.budgetSlack
        var rows: [Row] = []
        func row(_ operation: String, _ samples: Samples) {
            rows.append(Row(operation: operation, zoo: .time(samples), peerName: "2x start + 15 ms",
                            peer: Figure(value: budget, unit: .seconds), target: .atMost(1)))
        }

        // One store per model size: list, and show of the model.
        for count in Self.tensorCounts {
            let store = scratch + "/store-\(count)"
            try writeModel(named: "m\(count)", tensors: count, seed: 0, in: store)
            progress("store with one \(count)-tensor model built")
            row("list, one \(count)-tensor model", try time(zoo, ["list", "--store", store]))
            row("show, \(count)-tensor model", try time(zoo, ["show", "m\(count)", "--store", store]))
        }

        // 1,000 small models plus the huge one.
        let mixed = scratch + "/store-mixed"
        for index in 0..<Self.smallModelCount {
            try writeModel(named: "small-\(index)", tensors: 4, seed: index + 1, in: mixed)
            if (index + 1) % 250 == 0 { progress("mixed store: \(index + 1) small models") }
        }
        try copyModel(named: "m100000", from: scratch + "/store-100000", into: mixed)
        let models = Self.smallModelCount + 1
        row("list, \(models) models", try time(zoo, ["list", "--store", mixed]))
        row("show tiny model, \(models) models", try time(zoo, ["show", "small-500", "--store", mixed]))
        row("show 100000-tensor model, \(models) models", try time(zoo, ["show", "m100000", "--store", mixed]))
        let digest: String
        do {
            digest = try Store(root: mixed).resolve(try ModelReference(parsing: "small-500")).hex
        } catch {
            throw .zoo(error.description)
        }
        row("show by digest prefix, \(models) models", try time(zoo, ["show", String(digest.prefix(12)), "--store", mixed]))

        // The same store as an older zoo left it (no index/): the first list rebuilds it.
        do { try FileSystem.removeTree(Store(root: mixed).indexDirectory) } catch { throw .io(error) }
        let rebuild = try Timing.measure { () throws(BenchError) in _ = try Subprocess.run(zoo, ["list", "--store", mixed]) }
        rows.append(Row(operation: "first list without index/ (rebuilds it), \(models) models",
                        zoo: .time(Samples([rebuild.seconds])), peerName: "2x start + 15 ms",
                        peer: Figure(value: budget, unit: .seconds), target: nil))
        row("list after the rebuild, \(models) models", try time(zoo, ["list", "--store", mixed]))

        var report = Report()
        report.facts = [
            ("zoo", zoo),
            ("process start", "`zoo --help`: \(Figure.duration(start.median)) (median of \(runs)); budget 2x that + 15 ms = "
                + Figure.duration(budget)),
            ("stores", "one model of 100 / 10,000 / 100,000 F32 tensors each; \(Self.smallModelCount) models of 4 tensors "
                + "plus the 100,000-tensor one"),
            ("runs", "\(runs) per figure after one warm-up run, median shown"),
            ("machine", "\(SystemState.processorCount()) CPUs, load average \(loadBefore) at start, \(SystemState.loadAverage()) at end"),
        ]
        report.rows = rows
        report.notes = [
            "zoo/peer is the command's time over its budget: at most 1.00 passes. The first-list row is information: "
                + "it parses every manifest once and writes the summaries and the ref index back.",
            "list reads index/refs and stats each model's manifest blob; show reads its ref file, index/refs and "
                + "index/models/<hex>; neither parses a manifest.",
        ]
        return report
    }

    /// Runs `zoo arguments...` once to warm up, then `runs` times; each must succeed.
    private func time(_ zoo: String, _ arguments: [String]) throws(BenchError) -> Samples {
        _ = try Subprocess.run(zoo, arguments)
        return try Samples.collect(runs: runs) { _ throws(BenchError) in
            try Timing.measure { () throws(BenchError) in _ = try Subprocess.run(zoo, arguments) }.seconds
        }
    }

    /// Writes a model of `tensors` F32 tensors of 4 values in the store's staging area and imports
    /// it under `name`.
    private func writeModel(named name: String, tensors: Int, seed: Int, in root: String) throws(BenchError) {
        let store = Store(root: root)
        do {
            let stagingArea = try store.makeStagingDirectory(prefix: "bench")
            defer { stagingArea.remove() }
            let staging = stagingArea.path
            let folder = staging + "/checkpoint"
            let writer = try CheckpointWriter(
                destination: folder, name: name,
                architecture: Architecture(family: .autoregressive, type: "moe", parameterCount: tensors * 4),
                options: WriterOptions())
            for index in 0..<tensors {
                let values = (0..<4).map { Float(index * 4 + $0 + seed) }
                try values.withUnsafeBytes {
                    try writer.addTensor(name: "layers.\(index / 64).experts.\(index % 64).weight", dtype: .f32,
                                         shape: [4], bytes: $0)
                }
            }
            _ = try writer.finish()
            try store.importStaged(directory: folder, name: try ModelReference(name: name), options: .trustDigests)
        } catch {
            throw .zoo("\(error)")
        }
    }

    /// Copies model `name` from the store at `source` into the store at `root` (as `zoo import` of a stored model).
    private func copyModel(named name: String, from source: String, into root: String) throws(BenchError) {
        do {
            let checkpoint = try Store(root: source).checkpoint(for: try ModelReference(name: name))
            try Store(root: root).importCheckpoint(checkpoint, name: try ModelReference(name: name))
        } catch {
            throw .zoo("\(error)")
        }
    }

    private func progress(_ line: String) { Console.diagnostic("zoo-bench: " + line) }
}
