import Foundation
import ZooFormat

/// What `scripts/bench_safetensors.py` measured with the official safetensors package.
struct PythonResults {
    var versions: String
    var tensorCount: Int
    var tensorBytes: Int
    /// `save_file` alone, and followed by fsync of the file and its folder (zoo's durability policy).
    var save: Samples
    var saveFsync: Samples
    /// Seconds per `safe_open` call (no tensor access), and per `safe_open` + `keys()`.
    var safeOpen: Samples
    var safeOpenKeys: Samples
    /// The same on the small model.
    var smallSafeOpen: Samples
    var smallSafeOpenKeys: Samples
    /// `load_file` (every tensor into numpy), warm page cache, and cold when caches were dropped.
    var load: Samples
    var loadCold: Samples?
    /// The Python process's peak RSS after its saves.
    var peakResidentBytes: Int
}

/// Runs the Python side of the benchmark and reads its JSON.
enum PythonPeer {
    static let scriptName = "scripts/bench_safetensors.py"

    /// The script: under the current folder (scripts/bench.sh runs from the repository root), else
    /// next to the sources this binary was built from.
    static func locateScript() -> String? {
        let fromSource = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(scriptName).path
        return [scriptName, fromSource].first { FileManager.default.fileExists(atPath: $0) }
    }

    static func run(
        python: String, script: String, input: String, smallInput: String, outDirectory: String,
        runs: Int, dropCaches: Bool
    ) throws(BenchError) -> PythonResults {
        var arguments = [script, "--input", input, "--small-input", smallInput, "--out-dir", outDirectory,
                         "--runs", String(runs)]
        if dropCaches { arguments.append("--drop-caches") }
        let output = try Subprocess.run(python, arguments)
        let json: JSONValue
        do { json = try JSONValue(parsing: Array(output.utf8)) } catch {
            throw .peer(program: script, reason: "printed invalid JSON (\(error)): \(output.prefix(200))")
        }
        func number(_ key: String) throws(BenchError) -> Int {
            guard let value = json[key]?.integerValue, let int = Int(exactly: value) else {
                throw .peer(program: script, reason: "no integer '\(key)' in its JSON")
            }
            return int
        }
        func samples(_ key: String) throws(BenchError) -> Samples {
            guard let values = json[key]?.arrayValue?.compactMap(\.doubleValue), !values.isEmpty else {
                throw .peer(program: script, reason: "no timings '\(key)' in its JSON")
            }
            return Samples(values)
        }
        let versions = ["python", "safetensors", "numpy"]
            .map { "\($0) \(json[$0]?.stringValue ?? "?")" }.joined(separator: ", ")
        return PythonResults(
            versions: versions,
            tensorCount: try number("tensor_count"),
            tensorBytes: try number("tensor_bytes"),
            save: try samples("save_file"),
            saveFsync: try samples("save_file_fsync"),
            safeOpen: try samples("safe_open"),
            safeOpenKeys: try samples("safe_open_keys"),
            smallSafeOpen: try samples("small_safe_open"),
            smallSafeOpenKeys: try samples("small_safe_open_keys"),
            load: try samples("load_file"),
            loadCold: dropCaches ? try samples("load_file_cold") : nil,
            peakResidentBytes: try number("peak_rss_bytes_after_save"))
    }
}
