import Foundation
/// The hashing peer for verify: `openssl dgst -sha256` on the same shard files, one process per
/// core (each given a share of the files balanced by size) plus a single-process reference.
enum OpenSSLPeer {
    struct Run {
        /// Wall time from starting the first process until the last one exits.
        var seconds: Double
        /// Path -> lowercase hex SHA-256, as openssl printed it.
        var digests: [String: String]
    }

    static let program = "openssl"

    /// Hashes `files` with `processes` concurrent `openssl dgst -sha256` processes.
    static func hash(_ files: [(path: String, length: Int)], processes: Int) throws(BenchError) -> Run {
        let shares = balance(files, into: processes).filter { !$0.isEmpty }
        let start = Timing.now()
        var running: [Subprocess] = []
        for share in shares { running.append(try Subprocess(program, ["dgst", "-sha256"] + share)) }
        var outputs: [String] = []
        for process in running { outputs.append(try process.finish()) }
        let seconds = Timing.now() - start
        var digests: [String: String] = [:]
        for line in outputs.joined(separator: "\n").split(separator: "\n") {
            guard let (path, hex) = parse(line) else {
                throw .peer(program: program, reason: "unexpected output line '\(line)'")
            }
            digests[path] = hex
        }
        return Run(seconds: seconds, digests: digests)
    }

    /// `openssl version`, for the report.
    static func version() -> String {
        (try? Subprocess.run(program, ["version"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? "unknown"
    }

    /// Splits files into `count` lists of about equal total size (largest first, each to the lightest list).
    static func balance(_ files: [(path: String, length: Int)], into count: Int) -> [[String]] {
        var lists = Array(repeating: (bytes: 0, paths: [String]()), count: max(1, count))
        for file in files.sorted(by: { $0.length > $1.length }) {
            let lightest = lists.indices.min { lists[$0].bytes < lists[$1].bytes } ?? 0
            lists[lightest].bytes += file.length
            lists[lightest].paths.append(file.path)
        }
        return lists.map(\.paths)
    }

    /// `SHA2-256(<path>)= <hex>` (OpenSSL 3) or `SHA256(<path>)= <hex>` (1.1).
    private static func parse(_ line: Substring) -> (path: String, hex: String)? {
        guard let open = line.firstIndex(of: "("), let close = line.range(of: ")= ", options: .backwards) else {
            return nil
        }
        let hex = line[close.upperBound...]
        guard hex.count == 64 else { return nil }
        return (String(line[line.index(after: open)..<close.lowerBound]), String(hex))
    }
}
