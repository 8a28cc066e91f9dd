/// Where every tensor of a checkpoint goes: which shard, at which offset (spec §7.1, canonical packing).
///
/// The plan depends on tensor names and byte lengths alone, never on the order the tensors
/// arrive in, so the same tensors always give the same shard files, and a fine-tune that changes
/// a few layers, or only the head, changes only the shards that hold them:
///
/// 1. Every tensor gets a *role* from its name: `embedding`, `other`, `layer` or `head`
///    (``TensorRole``). A tensor with an all-digit name component is in a numbered layer,
///    its *group* being the name up to that component (`encoder.layer.3`, `model.layers.17`),
///    unless the words before the number name an embedding or a head (`classifier.6`).
/// 2. Groups are ordered by role, then prefix (UTF-8 bytes), then layer number compared as a
///    number; tensors inside a group by name, all-digit components compared as numbers.
/// 3. Adjacent groups of the same packing class (embeddings; other tensors and layers; the head)
///    share a shard while it stays within ``WriterOptions/targetShardByteCount``. A group
///    larger than ``WriterOptions/maxShardByteCount`` is cut, in tensor order, into pieces no
///    larger than that (a single larger tensor gets a shard of its own).
package struct ShardPlan: Sendable, Equatable {
    /// For each shard, the indices (into the planned tensors) of its tensors in storage order.
    package let shards: [[Int]]
    /// For each tensor, its shard and its offset there.
    package let placements: [(shard: Int, offset: Int)]
    /// Each shard's byte length.
    package let shardLengths: [Int]

    package static func == (lhs: ShardPlan, rhs: ShardPlan) -> Bool {
        lhs.shards == rhs.shards && lhs.shardLengths == rhs.shardLengths
    }

    /// Plans `tensors` (name and byte length each, names unique).
    package init(tensors: [(name: String, length: Int)], options: WriterOptions) {
        let keys = tensors.map { TensorKey(name: $0.name) }
        let order = tensors.indices.sorted { keys[$0] < keys[$1] }
        let target = min(options.targetShardByteCount, options.maxShardByteCount)
        let maximum = options.maxShardByteCount

        var shards: [[Int]] = []
        var lengths: [Int] = []
        var placements = [(shard: Int, offset: Int)](repeating: (0, 0), count: tensors.count)
        var current: [Int] = []
        var currentLength = 0
        var currentClass: TensorRole.PackingClass?

        func close() {
            guard !current.isEmpty else { return }
            shards.append(current)
            lengths.append(currentLength)
            current = []
            currentLength = 0
            currentClass = nil
        }
        func append(_ index: Int) {
            let offset = current.isEmpty ? 0 : Manifest.alignUp(currentLength)
            placements[index] = (shards.count, offset)
            current.append(index)
            currentLength = offset + tensors[index].length
        }
        /// The shard length after appending `length` bytes, or nil on overflow.
        func lengthWith(_ length: Int) -> Int? {
            let start = current.isEmpty ? 0 : Manifest.alignUp(currentLength)
            let (end, overflow) = start.addingReportingOverflow(length)
            return overflow ? nil : end
        }

        var start = 0
        while start < order.count {
            // One group: consecutive tensors (in canonical order) with the same group key.
            var end = start + 1
            while end < order.count, keys[order[end]].sameGroup(as: keys[order[start]]) { end += 1 }
            let group = order[start..<end]
            let packingClass = keys[order[start]].role.packingClass
            var groupLength = 0
            var overflow = false
            for index in group {
                let (aligned, o1) = Manifest.alignUp(groupLength).addingReportingOverflow(tensors[index].length)
                overflow = overflow || o1
                groupLength = aligned
            }
            let fits = !overflow && currentClass == packingClass
                && (lengthWith(groupLength).map { $0 <= target } ?? false)
            if !fits { close() }
            if !overflow && groupLength <= maximum && (current.isEmpty || fits) {
                currentClass = packingClass
                for index in group { append(index) }
            } else {
                // Larger than a shard may be: cut in tensor order, each piece at most `maximum`.
                close()
                for index in group {
                    if !current.isEmpty, (lengthWith(tensors[index].length).map { $0 > maximum } ?? true) { close() }
                    currentClass = packingClass
                    append(index)
                }
                close()
            }
            start = end
        }
        close()
        self.shards = shards
        self.shardLengths = lengths
        self.placements = placements
    }
}

/// What a tensor is for, judged from its name, for packing (``ShardPlan``).
package enum TensorRole: Int, Comparable, Sendable {
    /// Token, position and patch embeddings: `embeddings.*`, `wte`, `embed_tokens`, `token_embd`.
    case embedding
    /// Tensors outside numbered layers that are neither embeddings nor head (a CNN's stem).
    case other
    /// Tensors of a numbered layer (`encoder.layer.3.*`).
    case layer
    /// What a fine-tune replaces: classifier, `lm_head`, `score`, pooler, `output`, `fc`, heads,
    /// and the final norm after the last layer.
    case head

    /// Roles that may share a shard.
    package enum PackingClass: Sendable { case embedding, body, head }

    package var packingClass: PackingClass {
        switch self {
        case .embedding: .embedding
        case .other, .layer: .body
        case .head: .head
        }
    }

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Whether a name component names an embedding.
    static func isEmbeddingWord(_ word: Substring) -> Bool {
        let w = word.lowercased()
        return w.contains("embed") || w.contains("embd") || ["wte", "wpe", "shared", "cls_token", "mask_token", "pos_emb", "tok_emb"].contains(w)
    }

    /// Whether a name component names a head or what comes after the last layer.
    static func isHeadWord(_ word: Substring) -> Bool {
        let w = word.lowercased()
        if ["score", "pooler", "fc", "head", "heads", "cls", "norm", "ln_f", "logits", "final_logits_bias",
            "final_layer_norm", "final_layernorm", "final_norm", "norm_out"].contains(w) { return true }
        for prefix in ["classifier", "lm_head", "output", "qa_outputs", "head_", "predictions"] where w.hasPrefix(prefix) {
            return true
        }
        return false
    }
}

/// A tensor name parsed for canonical ordering: role, group, and the components compared
/// naturally (all-digit components as numbers).
struct TensorKey: Comparable {
    let role: TensorRole
    /// The name up to (not including) the layer number: `encoder.layer`; empty outside layers.
    let groupPrefix: Substring
    /// The layer number's digits without leading zeros (compared as a number); empty outside layers.
    let groupNumber: Substring
    let name: String

    init(name: String) {
        self.name = name
        let components = name.split(separator: ".", omittingEmptySubsequences: false)
        var prefixEnd = name.startIndex
        var number: Substring?
        for component in components {
            if !component.isEmpty, component.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                number = component
                break
            }
            prefixEnd = component.endIndex
        }
        if let number {
            groupPrefix = name[name.startIndex..<prefixEnd]
            groupNumber = Self.strippingLeadingZeros(number)
            let words = groupPrefix.split(separator: ".")
            if words.contains(where: TensorRole.isEmbeddingWord) {
                role = .embedding
            } else if words.contains(where: TensorRole.isHeadWord) {
                role = .head
            } else {
                role = .layer
            }
        } else {
            groupPrefix = ""
            groupNumber = ""
            if components.contains(where: TensorRole.isEmbeddingWord) {
                role = .embedding
            } else if components.contains(where: TensorRole.isHeadWord) {
                role = .head
            } else {
                role = .other
            }
        }
    }

    func sameGroup(as other: TensorKey) -> Bool {
        role == other.role && groupPrefix == other.groupPrefix && groupNumber == other.groupNumber
    }

    static func < (lhs: TensorKey, rhs: TensorKey) -> Bool {
        if lhs.role != rhs.role { return lhs.role < rhs.role }
        if lhs.groupPrefix != rhs.groupPrefix { return lhs.groupPrefix.utf8.lexicographicallyPrecedes(rhs.groupPrefix.utf8) }
        if lhs.groupNumber != rhs.groupNumber { return numericPrecedes(lhs.groupNumber, rhs.groupNumber) }
        return naturalPrecedes(lhs.name, rhs.name)
    }

    static func == (lhs: TensorKey, rhs: TensorKey) -> Bool { lhs.name == rhs.name }

    /// Name order with all-digit components compared as numbers (`layer.2` before `layer.10`);
    /// ties (`01` and `1`) fall back to the UTF-8 bytes, so the order is total.
    static func naturalPrecedes(_ a: String, _ b: String) -> Bool {
        var left = a.split(separator: ".", omittingEmptySubsequences: false).makeIterator()
        var right = b.split(separator: ".", omittingEmptySubsequences: false).makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return a.utf8.lexicographicallyPrecedes(b.utf8)
            case (nil, _): return true
            case (_, nil): return false
            case let (l?, r?):
                if l == r { continue }
                if isDigits(l), isDigits(r) {
                    let (ln, rn) = (strippingLeadingZeros(l), strippingLeadingZeros(r))
                    if ln != rn { return numericPrecedes(ln, rn) }
                    continue
                }
                return l.utf8.lexicographicallyPrecedes(r.utf8)
            }
        }
    }

    private static func isDigits(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    private static func strippingLeadingZeros(_ s: Substring) -> Substring {
        let trimmed = s.drop { $0 == "0" }
        return trimmed.isEmpty ? s.suffix(1) : trimmed
    }

    /// Compares digit strings without leading zeros as numbers of any length.
    private static func numericPrecedes(_ a: Substring, _ b: Substring) -> Bool {
        a.utf8.count != b.utf8.count ? a.utf8.count < b.utf8.count : a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
