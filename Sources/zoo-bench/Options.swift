/// The command line of `zoo-bench`, parsed by hand (the target has no argument-parser dependency).
struct Options {
    /// Size of the generated model in MiB.
    var sizeMiB = 1024
    /// Timed runs per measurement; the report shows the median.
    var runs = 3
    /// Where to make the scratch folder (a fresh `zoo-bench.XXXXXX` inside it, removed at exit).
    var directory: String?
    /// Print the results as JSON on stdout (the table then goes to stderr).
    var json = false
    /// Time zoo only.
    var skipPython = false
    /// Allow `echo 1 > /proc/sys/vm/drop_caches` for the cold-cache rows (root only; it empties the
    /// page cache of the whole machine).
    var dropCaches = true
    /// Run the PyTorch import benchmark (``PyTorchImportBenchmark``) instead of the main one.
    var pytorchImport = false
    /// Only write the generated model as a PyTorch zip at this path (to check it with torch), then exit.
    var writePyTorchZip: String?
    /// Run the GGUF import benchmark (``GGUFImportBenchmark``) instead of the main one.
    var ggufImport = false
    /// Run the MiniLM and training benchmark (``TrainingBenchmark``) instead of the main one.
    var training = false
    /// Run the GPT-2 decoding benchmark (``GPT2Benchmark``) instead of the main one.
    var gpt2 = false
    /// The Python of ``TrainingBenchmark``'s peer (default `$ZOO_PYTHON`) and of ``GPT2Benchmark``'s.
    var python: String?
    /// The all-MiniLM-L6-v2 folder for ``TrainingBenchmark`` (default `$ZOO_MINILM_DIR`).
    var minilm: String?

    /// Run the canonical packing benchmark (``PackingBenchmark``) instead of the main one.
    var packing = false

    /// Run the pull / push benchmark (``TransferBenchmark``) instead of the main one.
    var transfer = false
    /// `--transfer-worker ARGS...`: one pull or push in a child process of ``TransferBenchmark``.
    var transferWorker: [String]?

    /// Run the store list / show benchmark (``StoreBenchmark``) instead of the main one.
    var store = false
    /// The `zoo` executable ``StoreBenchmark`` times (default `.build/release/zoo`).
    var zooBinary: String?

    /// Run the export throughput benchmark (``ExportBenchmark``) instead of the main one.
    var export = false

    /// Run the manifest decode / open benchmark (``ManifestBenchmark``) instead of the main one.
    var manifest = false

    /// The size of the small model used to show that opening does not depend on model size.
    static let smallModelMiB = 10

    static let usage = """
        usage: zoo-bench [--size-mib N] [--runs N] [--dir PATH] [--json] [--skip-python] [--no-drop-caches]
                 [--pytorch-import | --write-pytorch-zip PATH | --gguf-import | --training [--python PATH] [--minilm DIR]
                  | --gpt2 [--python PATH]
                  | --store [--zoo PATH] | --export [--zoo PATH] | --packing | --manifest]
          --size-mib N       model size to generate, MiB (default 1024, at least 16)
          --runs N           timed runs per figure; the median is reported (default 3)
          --dir PATH         make the scratch folder inside PATH (default $TMPDIR or /tmp); removed at exit
          --json             also print the results as JSON on stdout (the table goes to stderr)
          --skip-python      do not time the Python safetensors package
          --no-drop-caches   never drop the page cache (no cold-cache rows)
          --pytorch-import   time importing a PyTorch zip into a store vs cp + sha256sum (instead of the above)
          --write-pytorch-zip PATH  only write the generated model as a torch.save-layout zip at PATH
          --gguf-import      time importing a GGUF file into a store vs cp + sha256sum (instead of the above)
          --training         time MiniLM embeddings and training steps vs PyTorch (or numpy) (instead of the above)
          --python PATH      --training's peer interpreter (default $ZOO_PYTHON); with torch + sentence-transformers
                             it is PyTorch, else the numpy reference scripts/minilm_numpy.py
          --minilm DIR       --training's all-MiniLM-L6-v2 folder (default $ZOO_MINILM_DIR; scripts/minilm.sh prints it)
          --gpt2             time GPT-2 greedy decoding per token with and without the KV cache, beside PyTorch
                             when --python has torch + transformers (instead of the above)
          --transfer         time zoo pull / push against a local registry vs curl, and the dedup figure (instead of the above)
          --packing          shard counts and fine-tune dedup of canonical packing on real-shaped models (instead of the above)
          --store            time `zoo list` / `zoo show` on stores of 100- to 100,000-tensor models and 1,000 models
                             vs the budget 2x process start + 15 ms (instead of the above)
          --manifest         manifest decode MB/s (direct and generic) and Checkpoint(directory:) vs safe_open on
                             359- to 100,000-tensor MoE-named models (instead of the above; --skip-python skips safe_open)
                             and the architecture check of a 100,009-tensor Mixtral manifest vs its decode
          --export           time `zoo export -o - | cat > /dev/null` and `-o FILE` (safetensors) vs Python's save_file
                             of the same tensors (instead of the above; --skip-python skips save_file)
          --zoo PATH         --store's and --export's zoo executable (default .build/release/zoo)
        environment: ZOO_PYTHON  python with safetensors + numpy (scripts/setup.sh makes one)
        """

    /// `true` when `--help` was asked for.
    var help = false

    init(arguments: [String]) throws(BenchError) {
        var rest = arguments[...]
        func value(for flag: String) throws(BenchError) -> String {
            guard let next = rest.popFirst() else { throw .usage("\(flag) needs a value") }
            return next
        }
        func count(for flag: String, minimum: Int) throws(BenchError) -> Int {
            let text = try value(for: flag)
            guard let number = Int(text), number >= minimum else {
                throw .usage("\(flag) must be an integer >= \(minimum) (got '\(text)')")
            }
            return number
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--size-mib": sizeMiB = try count(for: argument, minimum: 16)
            case "--runs": runs = try count(for: argument, minimum: 1)
            case "--dir": directory = try value(for: argument)
            case "--json": json = true
            case "--skip-python": skipPython = true
            case "--no-drop-caches": dropCaches = false
            case "--pytorch-import": pytorchImport = true
            case "--write-pytorch-zip": writePyTorchZip = try value(for: argument)
            case "--gguf-import": ggufImport = true
            case "--training": training = true
            case "--gpt2": gpt2 = true
            case "--python": python = try value(for: argument)
            case "--minilm": minilm = try value(for: argument)
            case "--transfer": transfer = true
            case "--store": store = true
            case "--packing": packing = true
            case "--manifest": manifest = true
            case "--export": export = true
            case "--zoo": zooBinary = try value(for: argument)
            case "--transfer-worker":
                transferWorker = Array(rest)
                rest = []
            case "-h", "--help": help = true
            default: throw .usage("unknown argument '\(argument)'")
            }
        }
        guard sizeMiB <= 1 << 20 else { throw .usage("--size-mib must be at most \(1 << 20)") }
    }

    var targetBytes: Int { sizeMiB << 20 }
}
