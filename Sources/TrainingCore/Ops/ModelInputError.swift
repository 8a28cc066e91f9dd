/// Why inputs from outside the program (token ids, masks, labels) were rejected.
public struct ModelInputError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The batch has no sequences, or sequences of length 0.
        case emptyBatch
        /// Row `row` of `field` has `actual` entries where the first row has `expected`.
        case raggedRow(field: String, row: Int, expected: Int, actual: Int)
        /// `field` has `actual` entries where `expected` were needed.
        case countMismatch(field: String, expected: Int, actual: Int)
        /// Entry `position` (flat, row-major) of `field` is `value`, outside `0..<limit`.
        case indexOutOfRange(field: String, position: Int, value: Int, limit: Int)
        /// The sequences are longer than the model's position table.
        case sequenceTooLong(length: Int, limit: Int)
        /// A setting (e.g. a sampling temperature) outside the values that mean something.
        case invalidSetting(name: String, value: String, expected: String)
    }

    public var reason: Reason

    public init(reason: Reason) {
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .emptyBatch:
            "empty batch: no sequences or no tokens"
        case let .raggedRow(field, row, expected, actual):
            "\(field) row \(row) has \(actual) entries, expected \(expected) like row 0"
        case let .countMismatch(field, expected, actual):
            "\(field) has \(actual) entries, expected \(expected)"
        case let .indexOutOfRange(field, position, value, limit):
            "\(field) entry \(position) is \(value), outside 0..<\(limit)"
        case let .sequenceTooLong(length, limit):
            "sequence length \(length) exceeds the \(limit) positions of the model"
        case let .invalidSetting(name, value, expected):
            "\(name) is \(value), expected \(expected)"
        }
    }
}

extension ModelInputError {
    /// Throws unless every value is in `0..<limit`.
    static func checkIndices(_ values: [Int], field: String, limit: Int) throws(ModelInputError) {
        if let position = values.firstIndex(where: { $0 < 0 || $0 >= limit }) {
            throw ModelInputError(
                reason: .indexOutOfRange(field: field, position: position, value: values[position], limit: limit))
        }
    }
}
