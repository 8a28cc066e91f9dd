import Foundation
import TrainingCore
import ZooConverters
import ZooFormat
import ZooLoaders

/// `zoo-bench --gpt2`: GPT-2 greedy decoding per token with and without the KV cache, beside
/// PyTorch + transformers (scripts/bench_gpt2.py) when `--python` names an interpreter that has them.
///
/// With a peer, the peer writes a seeded GPT2LMHeadModel (4 layers, n_embd 256, 4 heads, 128
/// positions, vocabulary 4096) with `save_pretrained`; zoo imports that folder as `zoo import`
/// does, and both sides decode the same 32 tokens after the same 16-token prompt, one position per
/// step from the cache or the whole sequence per step. Both must produce the same ids. Without a
/// peer, zoo alone decodes with the transformers fixture of Tests/Fixtures/gpt2.
struct GPT2Benchmark {
    let options: Options
    let scratch: String
    /// The peer's interpreter and script, when `--python` is given.
    let python: (interpreter: String, script: String)?

    static let scriptName = "scripts/bench_gpt2.py"
    static let fixtureName = "Tests/Fixtures/gpt2"
    static let promptLength = 16
    static let newTokens = 32

    init(options: Options, scratch: String) throws(BenchError) {
        self.options = options
        self.scratch = scratch
        if let interpreter = options.python {
            guard let script = Self.locate(Self.scriptName) else {
                throw .setup("\(Self.scriptName) not found: run from the repository root")
            }
            python = (interpreter, script)
        } else {
            python = nil
        }
    }

    /// A repository path, relative to the working directory or to this source file's repository.
    static func locate(_ path: String) -> String? {
        let fromSource = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(path).path
        return [path, fromSource].first { FileManager.default.fileExists(atPath: $0) }
    }

    func run() throws(BenchError) -> Report {
        let loadBefore = SystemState.loadAverage()
        let folder: String
        if let python {
            folder = scratch + "/gpt2-hf"
            progress("peer writes the model: \(python.interpreter) \(python.script) make")
            _ = try Subprocess.run(python.interpreter, [python.script, "make", folder])
        } else {
            guard let fixture = Self.locate(Self.fixtureName) else {
                throw .setup("\(Self.fixtureName) not found: run from the repository root, or pass --python")
            }
            folder = fixture
        }
        let model: GPT2LMHeadModel
        do {
            try SafetensorsImporter().importFolder(folder, to: scratch + "/gpt2")
            model = try GPT2Loader.languageModel(from: try Checkpoint(directory: scratch + "/gpt2"))
        } catch {
            throw .zoo("\(error)")
        }
        let config = model.config
        let prompt = (0..<Self.promptLength).map { (7 * $0 + 3) % config.vocabSize }
        func decode(useCache: Bool) throws(BenchError) -> (seconds: Double, ids: [Int]) {
            do {
                let (ids, seconds) = try Timing.measure {
                    try model.generate(prompt: prompt, maxNewTokens: Self.newTokens, useCache: useCache)
                }
                guard ids.count == Self.newTokens else { throw BenchError.zoo("generated \(ids.count) tokens") }
                return (seconds / Double(Self.newTokens), ids)
            } catch let error as BenchError {
                throw error
            } catch {
                throw .zoo("\(error)")
            }
        }
        _ = try decode(useCache: true)  // warm-up
        var ids: [Int] = []
        let cached = try Samples.collect(runs: options.runs) { _ throws(BenchError) in
            let run = try decode(useCache: true)
            ids = run.ids
            return run.seconds
        }
        progress("zoo: \(Figure.duration(cached.median)) per token with the KV cache")
        var uncachedIDs: [Int] = []
        let uncached = try Samples.collect(runs: options.runs) { _ throws(BenchError) in
            let run = try decode(useCache: false)
            uncachedIDs = run.ids
            return run.seconds
        }
        progress("zoo: \(Figure.duration(uncached.median)) per token without the cache")
        guard ids == uncachedIDs else { throw .mismatch("zoo's greedy ids differ with and without the KV cache") }

        var peerName = "PyTorch"
        var peerCached: Samples?
        var peerUncached: Samples?
        if let python {
            progress("peer: \(python.interpreter) \(python.script) run")
            let json = try PeerJSON.run(
                interpreter: python.interpreter, script: python.script,
                ["run", folder, "--prompt", String(Self.promptLength), "--new", String(Self.newTokens),
                 "--runs", String(options.runs)])
            let peerIDs = json["cached_ids"]?.arrayValue?.compactMap { $0.integerValue.map(Int.init) } ?? []
            guard peerIDs == ids else {
                throw .mismatch("PyTorch's greedy ids \(peerIDs.prefix(8))... differ from zoo's \(ids.prefix(8))...")
            }
            peerName = json["peer"]?.stringValue ?? peerName
            peerCached = try json.samples("cached_seconds_per_token")
            peerUncached = try json.samples("uncached_seconds_per_token")
        }

        var report = Report()
        report.facts = [
            ("model", "GPT-2 \(config.layers) x \(config.embeddingSize), \(config.heads) heads, vocabulary "
                + "\(config.vocabSize), \(model.parameterCount) parameters, F32 (\(python == nil ? Self.fixtureName : "written by the peer"))"),
            ("work", "greedy decoding of \(Self.newTokens) tokens after a \(Self.promptLength)-token prompt; time per new token"),
            ("peer", python == nil ? "none (pass --python with torch + transformers)" : peerName),
            ("runs", "\(options.runs), median shown"),
            ("machine", "\(SystemState.processorCount()) CPUs, load average \(loadBefore) at start, "
                + "\(SystemState.loadAverage()) at end"),
        ]
        report.rows = [
            Row(operation: "GPT-2 decode, KV cache (per token)", zoo: .time(cached), peerName: "PyTorch",
                peer: peerCached.map { .time($0) }, target: nil),
            Row(operation: "GPT-2 decode, no cache: whole sequence per step (per token)", zoo: .time(uncached),
                peerName: "PyTorch", peer: peerUncached.map { .time($0) }, target: nil),
        ]
        report.notes = [
            "the KV cache makes zoo's decoding \(Figure.fixed(uncached.median / cached.median, digits: 1))x faster"
                + (peerCached.flatMap { c in peerUncached.map { u in ", PyTorch's \(Figure.fixed(u.median / c.median, digits: 1))x" } } ?? ""),
            python == nil
                ? "zoo alone: pass --python with an interpreter that has torch and transformers for the PyTorch column"
                : "zoo and PyTorch produced the same \(Self.newTokens) greedy ids",
        ]
        return report
    }

    private func progress(_ line: String) { Console.diagnostic("zoo-bench: " + line) }
}
