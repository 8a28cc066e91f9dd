import ZooFormat

/// What a Python peer script (scripts/bench_*.py) prints: one JSON object with its timings.
struct PeerJSON {
    /// The script, for messages.
    let program: String
    let value: JSONValue

    /// Runs `interpreter script arguments...` and parses its standard output.
    static func run(interpreter: String, script: String, _ arguments: [String]) throws(BenchError) -> PeerJSON {
        let output = try Subprocess.run(interpreter, [script] + arguments)
        do {
            return PeerJSON(program: script, value: try JSONValue(parsing: Array(output.utf8)))
        } catch {
            throw .peer(program: script, reason: "printed no JSON: \(output.prefix(200))")
        }
    }

    subscript(key: String) -> JSONValue? { value[key] }

    /// The timings under `key`: a non-empty array of seconds.
    func samples(_ key: String) throws(BenchError) -> Samples {
        guard let values = value[key]?.arrayValue?.compactMap(\.doubleValue), !values.isEmpty else {
            throw .peer(program: program, reason: "no \(key) in its output")
        }
        return Samples(values)
    }
}
