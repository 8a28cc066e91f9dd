import ZooConverters
import ZooFormat

/// `zoo-bench --manifest`: manifest decoding speed, direct (``ManifestDecoder``, what
/// `Manifest(parsing:)` runs) and generic (the `JSONValue` tree), and `Checkpoint(directory:)`
/// against Python's `safetensors.safe_open` on the same tensors, for models of 359 / 10,000 /
/// 100,000 tensors named as in a mixture-of-experts checkpoint
/// (`model.layers.17.block_sparse_moe.experts.5.w1.weight`).
///
/// Each model is written with ``CheckpointWriter`` and exported with ``SafetensorsExporter``
/// (same names, dtypes, shapes and bytes). Decoding includes validation; both sides are timed in
/// the same run, warm page cache, median of the runs.
struct ManifestBenchmark {
    let options: Options
    let scratch: String

    static let tensorCounts = [359, 10_000, 100_000]
    /// The decode target of issue 8, MB/s of manifest.
    static let decodeTarget = 200e6
    /// How long one timed run lasts at least: short calls are repeated and averaged.
    static let runSeconds = 0.05

    private var runs: Int { max(options.runs, 7) }

    func run() throws(BenchError) -> Report {
        let loadBefore = SystemState.loadAverage()
        var rows: [Row] = []
        var folders: [(count: Int, folder: String, safetensors: String, manifestBytes: [UInt8])] = []
        for count in Self.tensorCounts {
            let folder = scratch + "/moe-\(count)"
            let file = scratch + "/moe-\(count).safetensors"
            try writeModel(tensors: count, folder: folder, safetensors: file)
            let bytes: [UInt8]
            do {
                guard let read = try FileSystem.readFile(folder + "/manifest.json", limit: Manifest.maxByteCount) else {
                    throw BenchError.zoo("\(folder)/manifest.json is over the manifest size limit")
                }
                bytes = read
            } catch let error as IOError {
                throw .io(error)
            } catch let error as BenchError {
                throw error
            } catch {
                throw .zoo("\(error)")
            }
            folders.append((count, folder, file, bytes))
            progress("\(count)-tensor model written (manifest \(Figure.byteSize(Double(bytes.count))))")
        }

        for (count, _, _, bytes) in folders {
            let direct = try time { () throws(BenchError) in
                do { _ = try Manifest(parsing: bytes, file: "manifest.json") } catch { throw .zoo("\(error)") }
            }
            let generic = try time { () throws(BenchError) in
                do {
                    _ = try bytes.withUnsafeBytes { raw in
                        Result { () throws(FormatError) in try Manifest(genericParsing: raw, file: "manifest.json") }
                    }.get()
                } catch { throw .zoo("\(error)") }
            }
            let tookDirectPath = bytes.withUnsafeBytes { ManifestDecoder.decode($0) } != nil
            guard tookDirectPath else { throw .mismatch("the \(count)-tensor manifest did not take the direct path") }
            rows.append(Row(operation: "manifest decode + validate, \(count) tensors",
                            zoo: Figure.throughput(direct, bytes: bytes.count), peerName: "target 200 MB/s",
                            peer: Figure(value: Self.decodeTarget, unit: .bytesPerSecond), target: .atLeast(1)))
            rows.append(Row(operation: "  generic JSONValue path, \(count) tensors",
                            zoo: Figure.throughput(generic, bytes: bytes.count), peerName: "direct",
                            peer: Figure.throughput(direct, bytes: bytes.count), target: nil))
        }

        var peer: (versions: String, samples: [String: Samples])?
        if !options.skipPython { peer = try safeOpen(folders.map(\.safetensors)) }
        for (count, folder, file, _) in folders {
            let open = try time { () throws(BenchError) in
                do { _ = try Checkpoint(directory: folder) } catch { throw .zoo("\(error)") }
            }
            rows.append(Row(operation: "open (Checkpoint(directory:) vs safe_open), \(count) tensors",
                            zoo: .time(open), peerName: "safe_open",
                            peer: peer?.samples[file].map { Figure.time($0) }, target: .atMost(1)))
        }

        let check = try architectureCheckRow()
        rows.append(check.row)

        var report = Report()
        report.facts = [
            ("architecture check", check.fact),
            ("models", "359 / 10,000 / 100,000 tensors, MoE names (model.layers.L.block_sparse_moe.experts.E.wN.weight), "
                + "BF16 [16, 8] experts; written by CheckpointWriter, exported by SafetensorsExporter"),
            ("manifests", folders.map { "\($0.count): \(Figure.byteSize(Double($0.manifestBytes.count)))" }
                .joined(separator: ", ")),
            ("python", peer?.versions ?? "skipped (--skip-python)"),
            ("runs", "\(runs) per figure, each at least \(Int(Self.runSeconds * 1000)) ms of repeated calls; median shown"),
            ("machine", "\(SystemState.processorCount()) CPUs, load average \(loadBefore) at start, \(SystemState.loadAverage()) at end"),
        ]
        report.rows = rows
        report.notes = [
            "decode rows: zoo/peer is the direct decoder's rate over the 200 MB/s target (>= 1.00 passes); the generic "
                + "rows show the JSONValue path that any unusual manifest falls back to, beside the direct rate.",
            "architecture check row: ArchitectureCheck.run(on:) on the decoded manifest vs decoding those bytes (zoo/peer "
                + "= check / decode; info, no target).",
            "open rows: Checkpoint(directory:) reads and validates the manifest and lstats every shard; safe_open "
                + "reads and parses the header and maps the file. Warm page cache; at most 1.00 passes.",
        ]
        return report
    }

    /// Writes a checkpoint folder of `tensors` MoE-named tensors and its safetensors export.
    private func writeModel(tensors count: Int, folder: String, safetensors: String) throws(BenchError) {
        do {
            let writer = try CheckpointWriter(destination: folder, name: "moe-\(count)",
                                              architecture: Architecture(family: .autoregressive, type: "mixtral"))
            let expert = [UInt8](repeating: 0, count: 16 * 8 * 2)
            for name in Self.names(count) {
                let shape = name.contains("experts") ? [16, 8] : [16]
                try expert.withUnsafeBytes { raw in
                    try writer.addTensor(name: name, dtype: .bf16, shape: shape,
                                         bytes: UnsafeRawBufferPointer(rebasing: raw[0..<(shape.reduce(1, *) * 2)]))
                }
            }
            _ = try writer.finish()
            try SafetensorsExporter().exportFile(try Checkpoint(directory: folder), to: safetensors)
        } catch {
            throw .zoo("writing the \(count)-tensor model: \(error)")
        }
    }

    /// `count` tensor names in a Mixtral-like order: embeddings, then per layer the attention,
    /// the router and 8 experts x 3 weights, the norms; `lm_head` last.
    static func names(_ count: Int) -> [String] {
        var names = ["model.embed_tokens.weight"]
        var layer = 0
        while names.count < count - 1 {
            let prefix = "model.layers.\(layer)."
            var group = ["q_proj", "k_proj", "v_proj", "o_proj"].map { prefix + "self_attn.\($0).weight" }
            group.append(prefix + "block_sparse_moe.gate.weight")
            for e in 0..<8 {
                for w in ["w1", "w2", "w3"] { group.append(prefix + "block_sparse_moe.experts.\(e).\(w).weight") }
            }
            group += [prefix + "input_layernorm.weight", prefix + "post_attention_layernorm.weight"]
            names += group.prefix(count - 1 - names.count)
            layer += 1
        }
        names.append("lm_head.weight")
        return Array(names.prefix(count))
    }

    /// Median seconds per call over `runs` runs, each repeating `body` for at least ``runSeconds``.
    func time(_ body: () throws(BenchError) -> Void) throws(BenchError) -> Samples {
        let once = try Timing.measure(body).seconds
        let repeats = max(1, Int(Self.runSeconds / max(once, 1e-7)))
        return try Samples.collect(runs: runs) { _ throws(BenchError) in try Timing.perCall(repeats: repeats, body) }
    }

    /// scripts/bench_safe_open.py on the safetensors files, with `$ZOO_PYTHON`.
    private func safeOpen(_ files: [String]) throws(BenchError) -> (versions: String, samples: [String: Samples]) {
        guard let python = Environment.value("ZOO_PYTHON") else {
            throw .setup("ZOO_PYTHON is not set: run scripts/bench.sh (it makes the venv and sets it), or pass --skip-python")
        }
        let script = "scripts/bench_safe_open.py"
        let output = try Subprocess.run(python, [script, "--runs", String(runs), "--run-seconds", String(Self.runSeconds)] + files)
        guard let json = try? JSONValue(parsing: Array(output.utf8)), let timings = json["safe_open"]?.objectValue else {
            throw .peer(program: script, reason: "printed no JSON with \"safe_open\": \(output.prefix(200))")
        }
        var samples: [String: Samples] = [:]
        for (file, value) in timings {
            guard let seconds = value.arrayValue?.compactMap(\.doubleValue), !seconds.isEmpty else {
                throw .peer(program: script, reason: "no timings for \(file)")
            }
            samples[file] = Samples(seconds)
        }
        let versions = "python \(json["python"]?.stringValue ?? "?"), safetensors \(json["safetensors"]?.stringValue ?? "?")"
        return (versions, samples)
    }

    private func progress(_ line: String) { Console.diagnostic("zoo-bench: " + line) }
}
