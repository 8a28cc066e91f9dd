/// A rectangular batch of token ids with its attention mask and token types, the input of a
/// BERT model (HF's `input_ids`, `attention_mask`, `token_type_ids`).
public struct TokenBatch: Equatable, Sendable {
    public let batchSize: Int
    public let sequenceLength: Int
    /// `batchSize * sequenceLength` ids, row-major.
    public let inputIDs: [Int]
    /// 1 for real tokens, 0 for padding; row-major.
    public let attentionMask: [Int]
    /// Segment ids (0 or 1 for sentence pairs); row-major.
    public let tokenTypeIDs: [Int]

    /// A batch from equally long rows.
    ///
    /// - Parameters:
    ///   - attentionMask: 0 or 1 per token; `nil` means all ones.
    ///   - tokenTypeIDs: `nil` means all zeros.
    /// - Throws: ``ModelInputError`` for an empty batch, ragged rows or a mask entry other than 0 or 1.
    public init(inputIDs: [[Int]], attentionMask: [[Int]]? = nil, tokenTypeIDs: [[Int]]? = nil) throws(ModelInputError) {
        guard let length = inputIDs.first?.count, length > 0 else { throw ModelInputError(reason: .emptyBatch) }
        self.batchSize = inputIDs.count
        self.sequenceLength = length
        self.inputIDs = try Self.flatten(inputIDs, field: "input_ids", rows: inputIDs.count, length: length)
        self.attentionMask =
            try attentionMask.map { rows throws(ModelInputError) in
                try Self.flatten(rows, field: "attention_mask", rows: inputIDs.count, length: length)
            } ?? [Int](repeating: 1, count: inputIDs.count * length)
        self.tokenTypeIDs =
            try tokenTypeIDs.map { rows throws(ModelInputError) in
                try Self.flatten(rows, field: "token_type_ids", rows: inputIDs.count, length: length)
            } ?? [Int](repeating: 0, count: inputIDs.count * length)
        try ModelInputError.checkIndices(self.attentionMask, field: "attention_mask", limit: 2)
    }

    /// Right-pads sequences of different lengths with `paddingID` to the longest one; the mask
    /// marks the real tokens.
    ///
    /// - Throws: ``ModelInputError`` with reason `.emptyBatch` when there is no token at all.
    public init(padding sequences: [[Int]], paddingID: Int = 0) throws(ModelInputError) {
        let length = sequences.map(\.count).max() ?? 0
        guard length > 0 else { throw ModelInputError(reason: .emptyBatch) }
        let padded = sequences.map { $0 + [Int](repeating: paddingID, count: length - $0.count) }
        let mask = sequences.map { [Int](repeating: 1, count: $0.count) + [Int](repeating: 0, count: length - $0.count) }
        try self.init(inputIDs: padded, attentionMask: mask)
    }

    /// The attention mask as a `[batchSize, sequenceLength]` tensor of 0 and 1.
    public var maskTensor: Tensor {
        Tensor(shape: [batchSize, sequenceLength], scalars: attentionMask.map(Float.init))
    }

    /// Row `index` alone, with only its real tokens (the padding removed).
    public func sequence(at index: Int) -> [Int] {
        let row = index * sequenceLength
        return (0..<sequenceLength).compactMap { attentionMask[row + $0] == 1 ? inputIDs[row + $0] : nil }
    }

    private static func flatten(_ rows: [[Int]], field: String, rows expectedRows: Int, length: Int)
        throws(ModelInputError) -> [Int]
    {
        guard rows.count == expectedRows else {
            throw ModelInputError(reason: .countMismatch(field: field, expected: expectedRows, actual: rows.count))
        }
        var flat: [Int] = []
        flat.reserveCapacity(expectedRows * length)
        for (index, row) in rows.enumerated() {
            guard row.count == length else {
                throw ModelInputError(reason: .raggedRow(field: field, row: index, expected: length, actual: row.count))
            }
            flat.append(contentsOf: row)
        }
        return flat
    }
}
