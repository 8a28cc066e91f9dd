import ZooFormat
import ZooRemote
import ZooStore

/// `zoo-bench --transfer-worker pull STORE SOURCE` / `push STORE REF DEST`: one pull or push with
/// zoo's transfer engine (``RemoteClient``, what `zoo pull` / `zoo push` run), in a process of
/// its own so that its time and peak memory are measured alone. Prints one JSON object.
enum TransferWorker {
    static func run(_ arguments: [String]) throws(BenchError) {
        guard arguments.count == 3 || arguments.count == 4 else {
            throw .usage("--transfer-worker pull STORE SOURCE | push STORE REF DEST")
        }
        var client = RemoteClient(store: Store(root: arguments[1]), environment: [:])
        client.insecure = true
        do {
            switch arguments[0] {
            case "pull":
                let report = try client.pull(try client.target(arguments[2]), as: nil)
                Console.result(String(decoding: JSONValue.object([
                    "digest": .string(report.stored.digest.description),
                    "total": .integer(Int64(report.totalByteCount)),
                    "moved": .integer(Int64(report.transferredByteCount)),
                ]).canonicalBytes, as: UTF8.self))
            case "push":
                guard arguments.count == 4 else { throw BenchError.usage("push needs STORE REF DEST") }
                let report = try client.push(try ModelReference(parsing: arguments[2]), to: try client.target(arguments[3]))
                let manifest = OCIImageManifest(checkpoint: try client.store.manifest(for: report.modelDigest)).bytes.count
                Console.result(String(decoding: JSONValue.object([
                    "digest": .string(report.modelDigest.description),
                    "total": .integer(Int64(report.totalByteCount)),
                    "moved": .integer(Int64(report.uploadedByteCount + manifest)),
                ]).canonicalBytes, as: UTF8.self))
            default:
                throw BenchError.usage("--transfer-worker takes pull or push, not \(arguments[0])")
            }
        } catch let error as BenchError {
            throw error
        } catch {
            throw .zoo("\(error)")
        }
    }
}
