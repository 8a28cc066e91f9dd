#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `zoo-bench`: times zoo against the Python safetensors package and OpenSSL on the same ~1 GiB
/// of generated tensors, and prints each figure, the ratios and the targets.
///
///     swift run -c release zoo-bench [--size-mib N] [--runs N] [--dir PATH] [--json] [--skip-python]
///
/// `scripts/bench.sh` sets up the Python venv and passes its interpreter in `ZOO_PYTHON`.
@main
enum Bench {
    static func main() {
        do {
            let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
            if options.help {
                Console.result(Options.usage)
                return
            }
            try run(options)
        } catch {
            Console.diagnostic("zoo-bench: error: \(error)")
            exit(1)
        }
    }

    private static func run(_ options: Options) throws(BenchError) {
        if let arguments = options.transferWorker {
            try TransferWorker.run(arguments)
            return
        }
        if options.transfer {
            let scratch = try ScratchDirectory(parent: options.directory)
            scratch.removeOnSignals()
            defer { scratch.remove() }
            try emit(TransferBenchmark(options: options, scratch: scratch.path).run(), options)
            return
        }
        if options.packing {
            let scratch = try ScratchDirectory(parent: options.directory)
            scratch.removeOnSignals()
            defer { scratch.remove() }
            try emit(PackingBenchmark(options: options, scratch: scratch.path).run(), options)
            return
        }
        if options.manifest {
            let scratch = try ScratchDirectory(parent: options.directory)
            scratch.removeOnSignals()
            defer { scratch.remove() }
            try emit(ManifestBenchmark(options: options, scratch: scratch.path).run(), options)
            return
        }
        if options.store {
            let scratch = try ScratchDirectory(parent: options.directory)
            scratch.removeOnSignals()
            defer { scratch.remove() }
            try emit(StoreBenchmark(options: options, scratch: scratch.path).run(), options)
            return
        }
        if options.export {
            let python = options.skipPython ? nil : Environment.value("ZOO_PYTHON")
            guard options.skipPython || python != nil else {
                throw .setup("ZOO_PYTHON is not set: run scripts/bench.sh (it makes the venv and sets it), or pass --skip-python")
            }
            let scratch = try ScratchDirectory(parent: options.directory)
            scratch.removeOnSignals()
            defer { scratch.remove() }
            try emit(ExportBenchmark(options: options, scratch: scratch.path, python: python).run(), options)
            return
        }
        if let path = options.writePyTorchZip {
            try PyTorchZipWriter().write(DataGenerator.generate(ModelLayout.fitting(targetBytes: options.targetBytes)), to: path)
            return
        }
        if options.ggufImport {
            let scratch = try ScratchDirectory(parent: options.directory)
            scratch.removeOnSignals()
            defer { scratch.remove() }
            let coldCache = options.dropCaches && SystemState.canDropCaches
            try emit(GGUFImportBenchmark(options: options, scratch: scratch.path, coldCache: coldCache).run(), options)
            return
        }
        if options.training {
            let scratch = try ScratchDirectory(parent: options.directory)
            scratch.removeOnSignals()
            defer { scratch.remove() }
            try emit(TrainingBenchmark(options: options, scratch: scratch.path).run(), options)
            return
        }
        if options.gpt2 {
            let scratch = try ScratchDirectory(parent: options.directory)
            scratch.removeOnSignals()
            defer { scratch.remove() }
            try emit(GPT2Benchmark(options: options, scratch: scratch.path).run(), options)
            return
        }
        if options.pytorchImport {
            let scratch = try ScratchDirectory(parent: options.directory)
            scratch.removeOnSignals()
            defer { scratch.remove() }
            try emit(PyTorchImportBenchmark(options: options, scratch: scratch.path).run(), options)
            return
        }
        let python = try pythonPeer(options)
        let scratch = try ScratchDirectory(parent: options.directory)
        scratch.removeOnSignals()
        defer { scratch.remove() }
        let coldCache = options.dropCaches && SystemState.canDropCaches
        Console.diagnostic("zoo-bench: scratch folder \(scratch.path)")
        let report = try Benchmark(options: options, scratch: scratch.path, python: python, coldCache: coldCache).run()
        emit(report, options)
    }

    /// Prints the report: the table on stdout, or with `--json` the JSON on stdout and the table on stderr.
    private static func emit(_ report: Report, _ options: Options) {
        if options.json {
            Console.diagnostic(report.text)
            Console.result(String(decoding: report.json.canonicalBytes, as: UTF8.self))
        } else {
            Console.result(report.text)
        }
    }

    /// `$ZOO_PYTHON` and the script, checked before anything slow starts.
    private static func pythonPeer(_ options: Options) throws(BenchError) -> (interpreter: String, script: String)? {
        guard !options.skipPython else { return nil }
        guard let interpreter = Environment.value("ZOO_PYTHON") else {
            throw .setup("ZOO_PYTHON is not set: run scripts/bench.sh (it makes the venv and sets it), or pass --skip-python")
        }
        guard let script = PythonPeer.locateScript() else {
            throw .setup("\(PythonPeer.scriptName) not found: run from the repository root, or pass --skip-python")
        }
        return (interpreter, script)
    }
}
