/// Why a tensor could not be built from outside values.
public struct TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// A negative dimension, or dimensions whose product overflows `Int`.
        case invalidShape([Int])
        /// The scalar count is not the product of the shape.
        case scalarCountMismatch(shape: [Int], expected: Int, actual: Int)
    }

    public var reason: Reason

    public init(reason: Reason) {
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .invalidShape(shape):
            "invalid tensor shape \(shape): negative dimension or element count overflows"
        case let .scalarCountMismatch(shape, expected, actual):
            "tensor shape \(shape) needs \(expected) scalars, got \(actual)"
        }
    }
}
