/// Why a tensor could not be dequantised.
public struct QuantizationError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The tensor's dtype is not the one asked for.
        case notQ8_0(DType)
        /// The tensor's byte length does not match its shape.
        case length(expected: Int, actual: Int)
    }

    /// The tensor's name.
    public var tensor: String
    public var reason: Reason

    public init(tensor: String, reason: Reason) {
        self.tensor = tensor
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .notQ8_0(dtype): "tensor '\(tensor)' is \(dtype.rawValue), not Q8_0"
        case let .length(expected, actual): "tensor '\(tensor)': \(actual) bytes, Q8_0 blocks for its shape need \(expected)"
        }
    }
}
