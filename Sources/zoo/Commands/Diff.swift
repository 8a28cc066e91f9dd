import ArgumentParser
import ZooFormat
import ZooLoaders
import ZooStore

extension Zoo {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two stored models tensor by tensor: added, removed, changed, unchanged.",
            discussion: """
                Tensors are matched by name. Equal digests, dtypes and shapes mean unchanged, and their \
                data is not read. For changed tensors of equal shape and floating-point dtypes the largest \
                absolute difference is computed on Float32. Exit status 0 whether or not they differ.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The first model (before): NAME[:TAG], a digest or a digest prefix.", valueName: "a"),
                  transform: { try ModelReference(parsing: $0) })
        var first: ModelReference

        @Argument(help: ArgumentHelp("The second model (after).", valueName: "b"),
                  transform: { try ModelReference(parsing: $0) })
        var second: ModelReference

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let store = global.openStore
            let before = try store.checkpoint(for: first)
            let after = try store.checkpoint(for: second)
            let diff = try CheckpointDiff(from: before, to: after)
            let sides = [(first, before), (second, after)].map { reference, checkpoint in
                Side(digest: checkpoint.digest, name: checkpoint.manifest.name,
                     refs: ((try? store.refs(pointingTo: checkpoint.digest)) ?? []).map(\.description))
            }
            if json {
                JSONOutput.print(Self.json(diff, from: sides[0], to: sides[1]))
            } else {
                print(Self.text(diff, from: sides[0], to: sides[1]))
            }
        }

        /// One of the two models.
        struct Side {
            var digest: SHA256Digest
            var name: String
            var refs: [String]

            var label: String { "\(digest)  \(refs.isEmpty ? name : refs.joined(separator: ", "))" }
        }

        static func text(_ diff: CheckpointDiff, from: Side, to: Side) -> String {
            let summary = Formatting.table([
                ["from:", from.label],
                ["to:", to.label],
                ["added:", "\(diff.added.count)"],
                ["removed:", "\(diff.removed.count)"],
                ["changed:", "\(diff.changed.count)"],
                ["unchanged:", "\(diff.unchangedCount) (\(Formatting.bytes(diff.unchangedByteCount)), \(diff.unchangedByteCount) bytes)"],
            ])
            guard !diff.isEmpty else { return summary }
            var rows = [["CHANGE", "NAME", "BEFORE", "AFTER", "MAX ABS DIFF"]]
            for entry in diff.added { rows.append(["added", entry.name, "-", describe(entry), "-"]) }
            for entry in diff.removed { rows.append(["removed", entry.name, describe(entry), "-", "-"]) }
            for change in diff.changed {
                rows.append(["changed", change.name, describe(change.before), describe(change.after), difference(change)])
            }
            return summary + "\n\n" + Formatting.table(rows)
        }

        static func json(_ diff: CheckpointDiff, from: Side, to: Side) -> JSONValue {
            func side(_ side: Side) -> JSONValue {
                .object(["digest": .string(side.digest.description), "name": .string(side.name),
                         "refs": .array(side.refs.map { .string($0) })])
            }
            func tensor(_ entry: TensorEntry) -> JSONValue {
                .object(["name": .string(entry.name), "dtype": .string(entry.dtype.rawValue),
                         "shape": .array(entry.shape.map { .int($0) }), "digest": .string(entry.digest.description)])
            }
            return .object([
                "from": side(from),
                "to": side(to),
                "added": .array(diff.added.map(tensor)),
                "removed": .array(diff.removed.map(tensor)),
                "changed": .array(diff.changed.map { change in
                    .object([
                        "name": .string(change.name), "before": tensor(change.before), "after": tensor(change.after),
                        "maxAbsDifference": change.maxAbsDifference.map { .number($0) } ?? .null,
                        "nonFiniteDifference": .bool(change.hasNonFiniteDifference),
                    ])
                }),
                "unchanged": .object(["count": .int(diff.unchangedCount), "bytes": .int(diff.unchangedByteCount)]),
            ])
        }

        private static func describe(_ entry: TensorEntry) -> String {
            "\(entry.dtype.rawValue) [" + entry.shape.map(String.init).joined(separator: ", ") + "]"
        }

        private static func difference(_ change: CheckpointDiff.Change) -> String {
            if let maximum = change.maxAbsDifference { return "\(maximum)" }
            if change.hasNonFiniteDifference { return "NaN/Inf differ" }
            if change.before.shape != change.after.shape { return "shape changed" }
            return "n/a (not floating point)"
        }
    }
}
