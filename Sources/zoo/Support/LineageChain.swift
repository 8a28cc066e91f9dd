import ZooFormat
import ZooLoaders
import ZooStore

/// A model and its ancestors, walked through the store by lineage parent digests.
struct LineageChain {
    /// One model of the chain.
    struct Link {
        var digest: SHA256Digest
        /// Whether the store has its manifest (else only the digest is known).
        var inStore: Bool
        var name: String?
        var refs: [String]
        /// How it was made from its parent: a one-line recipe summary, when it has one.
        var recipe: String?

        /// `sha256:...  name:tag` or `sha256:...  (not in store)`.
        var label: String {
            guard inStore else { return "\(digest)  (not in store)" }
            return "\(digest)  \(refs.isEmpty ? (name ?? "") : refs.joined(separator: ", "))"
        }
    }

    /// Ancestors further than this are not walked (a guard, not a real limit).
    static let maxDepth = 64

    var links: [Link]

    /// The chain from the model `digest` (with its `summary`) up through every parent the store
    /// has; the first parent it lacks ends the chain, shown by its digest. Reads each model's
    /// summary, never a manifest; `refs` gives the refs pointing at a model.
    init(digest: SHA256Digest, summary: ModelSummary, store: Store, refs: (SHA256Digest) -> [String]) {
        links = []
        var seen = Set<SHA256Digest>()
        var current: (SHA256Digest, ModelSummary?) = (digest, summary)
        while links.count < Self.maxDepth, seen.insert(current.0).inserted {
            let (digest, summary) = current
            guard let summary else {
                links.append(Link(digest: digest, inStore: false, name: nil, refs: [], recipe: nil))
                break
            }
            links.append(Link(digest: digest, inStore: true, name: summary.name, refs: refs(digest),
                              recipe: summary.lineage?.recipe.map { TransferRecipe.summary(of: $0) }))
            guard let parent = summary.lineage?.parent else { break }
            current = (parent, try? store.summary(for: parent))
        }
    }

    /// Table rows for `zoo show`: each model, with "made by" under those that record a recipe.
    var rows: [[String]] {
        var rows: [[String]] = []
        for (index, link) in links.enumerated() {
            rows.append([index == 0 ? "chain:" : "", (index == 0 ? "" : "<- ") + link.label])
            if let recipe = link.recipe { rows.append(["", (index == 0 ? "" : "   ") + "  made by: " + recipe]) }
        }
        return rows
    }

    var json: JSONValue {
        .array(links.map { link in
            .object([
                "digest": .string(link.digest.description), "inStore": .bool(link.inStore),
                "name": .optionalString(link.name), "refs": .array(link.refs.map { .string($0) }),
                "recipe": .optionalString(link.recipe),
            ])
        })
    }
}
