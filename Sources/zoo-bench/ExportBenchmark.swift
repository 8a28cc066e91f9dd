#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooFormat

/// `zoo-bench --export`: the built `zoo export` of a generated model as safetensors, streamed
/// (`-o - | cat > /dev/null`) and to a file (`-o FILE`), beside the Python safetensors package's
/// `save_file` of the same tensors, in the same run, alternating.
///
/// The model is written with the benchmark's own safetensors writer and imported with
/// `zoo import` (not timed); the first streamed output is checked byte for byte against the
/// file one. Every run starts after `sync`, from an absent output, with a warm page cache.
struct ExportBenchmark {
    let options: Options
    let scratch: String
    /// The Python with safetensors + numpy (nil with --skip-python).
    let python: String?

    private var input: String { scratch + "/input.safetensors" }
    private var store: String { scratch + "/store" }
    private var fileOutput: String { scratch + "/export.safetensors" }
    private var pythonOutput: String { scratch + "/python.safetensors" }

    /// Loads the input with `load_file` (not timed), then times `save_file` of those tensors.
    static let pythonScript = """
        import json, os, sys, time
        from safetensors.numpy import load_file, save_file
        source, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
        tensors = load_file(source)
        times = []
        for _ in range(runs):
            if os.path.exists(out):
                os.remove(out)
            os.sync()
            start = time.perf_counter()
            save_file(tensors, out)
            times.append(time.perf_counter() - start)
        os.remove(out)
        import safetensors
        print(json.dumps({"save_file": times, "safetensors": safetensors.__version__}))
        """

    func run() throws(BenchError) -> Report {
        let loadBefore = SystemState.loadAverage()
        let zoo = options.zooBinary ?? ".build/release/zoo"
        guard Subprocess.locate(zoo) != nil else {
            throw .setup("\(zoo) is not an executable: build it with `swift build -c release --product zoo`, or pass --zoo PATH")
        }
        let layout = ModelLayout.fitting(targetBytes: options.targetBytes)
        progress("generating \(layout.tensors.count) tensors: \(Figure.byteSize(Double(layout.byteCount)))")
        try SafetensorsExport.write(DataGenerator.generate(layout), to: input)
        _ = try Subprocess.run(zoo, ["import", input, "--name", "bench", "--store", store, "-q"])
        let bytes: Int
        do { bytes = try FileSystem.fileSize(input) } catch { throw .io(error) }

        // The streamed bytes must be the file's (and the file must be what was imported).
        let piped = scratch + "/piped.safetensors"
        _ = try Subprocess.run("sh", ["-c", "\"$0\" export bench --format safetensors --store \"$1\" -o - > \"$2\"",
                                      zoo, store, piped])
        _ = try Subprocess.run(zoo, ["export", "bench", "--store", store, "-o", fileOutput])
        _ = try Subprocess.run("cmp", [piped, fileOutput])
        try remove(piped)
        progress("checked: -o - and -o FILE give the same \(bytes) bytes")

        var streamed = Samples([]), file = Samples([])
        for run in 0..<options.runs {
            sync()
            streamed.seconds.append(try Timing.measure { () throws(BenchError) in
                _ = try Subprocess.run("sh", ["-c", "\"$0\" export bench --format safetensors --store \"$1\" -o - | cat > /dev/null",
                                              zoo, store])
            }.seconds)
            try remove(fileOutput)
            sync()
            file.seconds.append(try Timing.measure { () throws(BenchError) in
                _ = try Subprocess.run(zoo, ["export", "bench", "--store", store, "-o", fileOutput])
            }.seconds)
            progress("run \(run + 1): -o - \(Figure.duration(streamed.seconds.last!)), -o FILE \(Figure.duration(file.seconds.last!))")
        }
        try remove(fileOutput)

        var saveFile: Samples?
        var version = "skipped (--skip-python)"
        if let python {
            let output = try Subprocess.run(python, ["-c", Self.pythonScript, input, pythonOutput, String(options.runs)])
            let json: JSONValue
            do { json = try JSONValue(parsing: Array(output.utf8)) } catch {
                throw .peer(program: "save_file script", reason: "printed invalid JSON (\(error)): \(output.prefix(200))")
            }
            guard let values = json["save_file"]?.arrayValue?.compactMap(\.doubleValue), values.count == options.runs else {
                throw .peer(program: "save_file script", reason: "no timings 'save_file' in \(output.prefix(200))")
            }
            saveFile = Samples(values)
            version = "safetensors \(json["safetensors"]?.stringValue ?? "?")"
        }

        var report = Report()
        report.facts = [
            ("model", "\(bytes) bytes (\(Figure.byteSize(Double(bytes)))) of safetensors, \(layout.tensors.count) tensors"),
            ("zoo", zoo),
            ("peer", python.map { "\($0): \(version), save_file of the tensors load_file read (not timed)" } ?? version),
            ("runs", "\(options.runs) per figure, median shown; the zoo runs alternate, each after sync, warm page cache"),
            ("machine", "\(SystemState.processorCount()) CPUs, load average \(loadBefore) at start, "
                + "\(SystemState.loadAverage()) at end"),
        ]
        report.rows = [
            Row(operation: "export -o - | cat > /dev/null (GB/s)", zoo: .throughput(streamed, bytes: bytes),
                peerName: "zoo export -o FILE", peer: .throughput(file, bytes: bytes), target: nil),
            Row(operation: "export -o - | cat > /dev/null (GB/s)", zoo: .throughput(streamed, bytes: bytes),
                peerName: "save_file", peer: saveFile.map { .throughput($0, bytes: bytes) }, target: nil),
            Row(operation: "export -o FILE (GB/s)", zoo: .throughput(file, bytes: bytes),
                peerName: "save_file", peer: saveFile.map { .throughput($0, bytes: bytes) }, target: nil),
        ]
        report.notes = [
            "zoo rows time the whole `zoo export` process (start, open the store, map the shards, write); -o FILE also "
                + "fsyncs the file and renames it into place, -o - streams the header and the mapped tensors to the pipe.",
            "save_file times only the call (the tensors are already numpy arrays in memory) and does not fsync.",
            "GB/s: higher is better; zoo/peer above 1 means zoo is faster. Figures from a shared machine: +-20%.",
        ]
        return report
    }

    private func remove(_ path: String) throws(BenchError) {
        do { try FileSystem.removeTree(path) } catch { throw .io(error) }
    }

    private func progress(_ line: String) { Console.diagnostic("zoo-bench: " + line) }
}
