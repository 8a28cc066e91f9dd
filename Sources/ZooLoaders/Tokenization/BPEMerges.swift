/// The merge table of a byte-level BPE model and the merge loop over one word.
///
/// A merge `a b` of rank r (its line in `merges.txt`, 0-based) joins adjacent tokens `a` and `b`
/// into the token `ab`. A word starts as one token per byte and repeatedly merges the adjacent
/// pair of lowest rank, the leftmost first, as Hugging Face `tokenizers` does (a heap of
/// candidate pairs: O(n log n) for a word of n bytes, where GPT-2's `encoder.py` rescans the
/// word after each merge).
struct BPEMerges: Sendable, Equatable {
    /// `left << 32 | right` -> `rank << 32 | merged`, all token ids.
    private let table: [UInt64: UInt64]

    /// The number of merges.
    var count: Int { table.count }

    /// Merges of `(left, right) -> merged` token ids, ranked by position.
    ///
    /// - Returns: the table, or the index of the first pair listed twice (ids are below 2^31).
    static func make(_ pairs: [(left: Int, right: Int, merged: Int)]) -> Result<BPEMerges, DuplicateMerge> {
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(pairs.count)
        for (rank, pair) in pairs.enumerated() {
            let key = UInt64(pair.left) << 32 | UInt64(pair.right)
            guard table.updateValue(UInt64(rank) << 32 | UInt64(pair.merged), forKey: key) == nil else {
                return .failure(DuplicateMerge(index: rank))
            }
        }
        return .success(BPEMerges(table: table))
    }

    struct DuplicateMerge: Error { let index: Int }

    private init(table: [UInt64: UInt64]) { self.table = table }

    /// The rank and result of merging `left` then `right`, if that pair merges.
    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> (rank: Int32, merged: Int32)? {
        guard let value = table[UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))] else {
            return nil
        }
        return (Int32(truncatingIfNeeded: value >> 32), Int32(truncatingIfNeeded: value & 0xFFFF_FFFF))
    }

    /// Merges `ids` (one word's initial tokens) as far as the table allows.
    func apply(to ids: [Int32]) -> [Int32] {
        guard ids.count > 1 else { return ids }
        // A doubly linked list over the symbols; a merged-away symbol gets length 0.
        var symbols = ids.indices.map { Symbol(id: ids[$0], previous: $0 - 1, next: $0 + 1 < ids.count ? $0 + 1 : -1, alive: true) }
        var heap = MergeHeap()
        for position in 0..<(ids.count - 1) {
            if let (rank, merged) = merge(ids[position], ids[position + 1]) {
                heap.push(Candidate(rank: rank, position: Int32(position), merged: merged))
            }
        }
        while let top = heap.pop() {
            let position = Int(top.position)
            let next = symbols[position].next
            // Skip stale candidates: the symbol or its right neighbour changed since the push.
            guard symbols[position].alive, next >= 0,
                  let (_, merged) = merge(symbols[position].id, symbols[next].id), merged == top.merged
            else { continue }
            symbols[position].id = merged
            symbols[next].alive = false
            let after = symbols[next].next
            symbols[position].next = after
            if after >= 0 { symbols[after].previous = position }
            let before = symbols[position].previous
            if before >= 0, let (rank, result) = merge(symbols[before].id, merged) {
                heap.push(Candidate(rank: rank, position: Int32(before), merged: result))
            }
            if after >= 0, let (rank, result) = merge(merged, symbols[after].id) {
                heap.push(Candidate(rank: rank, position: Int32(position), merged: result))
            }
        }
        var out: [Int32] = []
        var position = 0
        while position >= 0 {
            out.append(symbols[position].id)
            position = symbols[position].next
        }
        return out
    }

    private struct Symbol {
        var id: Int32
        var previous: Int
        var next: Int
        var alive: Bool
    }

    struct Candidate {
        var rank: Int32
        var position: Int32
        var merged: Int32

        /// Lower rank first, then the leftmost.
        @inline(__always)
        func precedes(_ other: Candidate) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }

    /// A binary min-heap of candidates.
    struct MergeHeap {
        private var items: [Candidate] = []

        mutating func push(_ item: Candidate) {
            items.append(item)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard items[child].precedes(items[parent]) else { break }
                items.swapAt(child, parent)
                child = parent
            }
        }

        mutating func pop() -> Candidate? {
            guard let last = items.popLast() else { return nil }
            guard !items.isEmpty else { return last }
            let top = items[0]
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < items.count else { break }
                var best = left
                if left + 1 < items.count && items[left + 1].precedes(items[left]) { best = left + 1 }
                guard items[best].precedes(items[parent]) else { break }
                items.swapAt(best, parent)
                parent = best
            }
            return top
        }
    }
}
