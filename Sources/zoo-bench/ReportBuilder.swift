/// Turns the measurements into the report: which figure is compared with which, and the targets
/// from the issue (opening no slower than `safe_open` and independent of model size; save with
/// checksums within 1.2x of safetensors' save; verify at least 0.85x of OpenSSL on 2 cores).
struct ReportBuilder {
    let options: Options
    let zoo: ZooResults
    let python: PythonResults?
    let layout: ModelLayout
    let small: ModelLayout
    let coldCache: Bool
    let openRepeats: Int
    let loadBefore: String
    let loadAfter: String

    /// Opening a 100x bigger model may cost at most this much more. The manifests differ only in
    /// their numbers, so ideally the ratio is 1.00; the slack absorbs timer noise on a shared machine.
    static let sizeIndependenceLimit = 1.25
    /// Peak RSS after saving, relative to the peak with the generated data in memory (and nothing
    /// saved yet): a streaming writer adds a few buffers; one holding a second copy would double it.
    static let residentLimit = 1.1

    var report: Report {
        var report = Report()
        report.facts = facts
        report.rows = rows
        report.notes = notes
        return report
    }

    private var facts: [(String, String)] {
        var facts = [
            ("model", "\(layout.tensors.count) tensors, \(zoo.modelBytes) bytes (\(Figure.byteSize(Double(zoo.modelBytes)))), "
                + "BERT-like: \(layout.layers) layers, hidden \(layout.hidden), vocab \(layout.vocabulary), F32 + F16 FFN in odd layers"),
            ("small twin", "\(small.tensors.count) tensors, \(zoo.smallModelBytes) bytes (hidden \(small.hidden))"),
            ("zoo layout", "\(zoo.shardCount) shards, \(zoo.shardBytes) shard bytes"),
            ("runs", "\(options.runs) per figure, median shown; open figures are per call, averaged over \(openRepeats) calls"),
            ("machine", "\(SystemState.processorCount()) CPUs, load average \(loadBefore) at start, \(loadAfter) at end"),
            ("page cache", pageCache),
            ("openssl", OpenSSLPeer.version()),
        ]
        facts.append(("python", python?.versions ?? "skipped (--skip-python)"))
        return facts
    }

    private var pageCache: String {
        guard coldCache else { return "warm only (drop_caches not writable or --no-drop-caches)" }
        let check = zoo.cachedAfterDrop.map { "; \(Figure.fixed($0 * 100, digits: 1))% of the shard pages were still cached after a drop" } ?? ""
        return "warm rows re-read cached files; cold rows ran right after `sync; echo 1 > /proc/sys/vm/drop_caches`" + check
    }

    private var rows: [Row] {
        var rows: [Row] = []
        let py = python

        rows.append(Row(operation: "open folder (Checkpoint(directory:))", zoo: .time(zoo.open),
                        peerName: "safe_open", peer: py.map { .time($0.safeOpen) }, target: .atMost(1.0)))
        rows.append(Row(operation: "open folder + list tensor names", zoo: .time(zoo.openNames),
                        peerName: "safe_open + keys()", peer: py.map { .time($0.safeOpenKeys) }, target: .atMost(1.0)))
        rows.append(Row(operation: "open .zoo archive (CheckpointArchive.open)", zoo: .time(zoo.openArchive),
                        peerName: "safe_open", peer: py.map { .time($0.safeOpen) }, target: .atMost(1.0)))
        rows.append(Row(operation: "open: \(mib(zoo.modelBytes)) model vs \(mib(zoo.smallModelBytes)) twin (zoo)",
                        zoo: .time(zoo.open), peerName: "zoo open, small",
                        peer: .time(zoo.openSmall), target: .atMost(Self.sizeIndependenceLimit)))

        rows.append(Row(operation: "save with checksums + fsync", zoo: .time(zoo.save, bytes: zoo.modelBytes),
                        peerName: "save_file + fsync", peer: py.map { .time($0.saveFsync, bytes: zoo.modelBytes) },
                        target: .atMost(1.2)))
        rows.append(Row(operation: "save with checksums + fsync (peer no fsync)", zoo: .time(zoo.save, bytes: zoo.modelBytes),
                        peerName: "save_file", peer: py.map { .time($0.save, bytes: zoo.modelBytes) }, target: nil))
        rows.append(Row(operation: "peak RSS: after saving vs data in memory", zoo: .size(zoo.peakResidentAfterSave),
                        peerName: "before saving", peer: .size(zoo.peakResidentAfterGenerate), target: .atMost(Self.residentLimit)))

        rows.append(Row(operation: "load all, zero-copy + touch every page (warm)", zoo: .time(zoo.touchWarm, bytes: zoo.modelBytes),
                        peerName: "load_file (warm)", peer: py.map { .time($0.load, bytes: zoo.modelBytes) }, target: nil))
        rows.append(Row(operation: "load all, copy into [UInt8] (warm)", zoo: .time(zoo.copyWarm, bytes: zoo.modelBytes),
                        peerName: "load_file (warm)", peer: py.map { .time($0.load, bytes: zoo.modelBytes) }, target: nil))
        if let touchCold = zoo.touchCold, let copyCold = zoo.copyCold {
            let cold = py?.loadCold.map { Figure.time($0, bytes: zoo.modelBytes) }
            rows.append(Row(operation: "load all, zero-copy + touch every page (cold)", zoo: .time(touchCold, bytes: zoo.modelBytes),
                            peerName: "load_file (cold)", peer: cold, target: nil))
            rows.append(Row(operation: "load all, copy into [UInt8] (cold)", zoo: .time(copyCold, bytes: zoo.modelBytes),
                            peerName: "load_file (cold)", peer: cold, target: nil))
        }

        let cores = Benchmark.peerCores
        rows.append(Row(operation: "verify .files (every shard, all cores)", zoo: .throughput(zoo.verifyFiles, bytes: zoo.verifyFilesBytes),
                        peerName: "openssl dgst -sha256 x\(cores)", peer: .throughput(zoo.openSSLParallel, bytes: zoo.shardBytes),
                        target: .atLeast(0.85)))
        rows.append(Row(operation: "verify .files vs one openssl process", zoo: .throughput(zoo.verifyFiles, bytes: zoo.verifyFilesBytes),
                        peerName: "openssl dgst -sha256 x1", peer: .throughput(zoo.openSSLSingle, bytes: zoo.shardBytes),
                        target: nil))
        rows.append(Row(operation: "verify .deep (shards + every tensor)", zoo: .throughput(zoo.verifyDeep, bytes: zoo.verifyDeepBytes),
                        peerName: "openssl dgst -sha256 x\(cores)", peer: .throughput(zoo.openSSLParallel, bytes: zoo.shardBytes),
                        target: nil))
        return rows
    }

    private var notes: [String] {
        var notes = [
            "zoo/peer is zoo's figure divided by the peer's: for times and memory lower is better, for GB/s higher is better. "
                + "'info' rows have no target. GB = 10^9 bytes.",
            "Save: zoo's CheckpointWriter hashes every tensor and shard (SHA-256) and fsyncs every file and folder; the "
                + "'+ fsync' peer row adds os.fsync of the file and folder after save_file, the same durability. Both start "
                + "from tensors already in memory.",
            "Verify: zoo's GB/s counts bytes hashed (.deep hashes every byte twice: shard + tensor); openssl hashes the "
                + "same shard files (digests checked equal to the manifest), split by size over parallel processes, wall time.",
            "Load: zero-copy = open + a view of every tensor + one read per 4 KiB page; copy = every tensor copied into "
                + "its own [UInt8], all held at once, like load_file's numpy arrays.",
            "Peak RSS (ru_maxrss): \(mib(zoo.peakResidentAfterGenerate)) with the data in memory (model + small twin + "
                + "process), \(mib(zoo.peakResidentAfterSave)) after \(options.runs) save run(s) = "
                + "\(Figure.fixed(Double(zoo.peakResidentAfterSave) / Double(zoo.modelBytes), digits: 2))x the model's "
                + "\(mib(zoo.modelBytes)).",
            "Data generation: \(Figure.duration(zoo.generateSeconds)) (not part of any figure).",
            "Figures from a shared, busy machine are noisy (see the load average above): treat each as +-20% and prefer the ratios.",
        ]
        if let python {
            notes.append("safetensors safe_open: \(Figure.duration(python.safeOpen.median)) on the "
                         + "\(mib(zoo.modelBytes)) model, \(Figure.duration(python.smallSafeOpen.median)) on the "
                         + "\(mib(zoo.smallModelBytes)) twin.")
            notes.append("Python peak RSS after its saves: \(Figure.byteSize(Double(python.peakResidentBytes))) "
                         + "(interpreter + numpy arrays of the model).")
        }
        return notes
    }

    private func mib(_ bytes: Int) -> String { Figure.byteSize(Double(bytes)) }
}
