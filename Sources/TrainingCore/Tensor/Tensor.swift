/// A dense, row-major array of `Float` values with a shape.
///
/// `Tensor` is a value type: copies share storage until one of them is mutated (copy-on-write,
/// inherited from `Array`). It does no differentiation itself; wrap it in a ``Variable`` to take part
/// in automatic differentiation.
///
/// ```swift
/// let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// t[1, 2]   // 6
/// ```
public struct Tensor: Equatable, Sendable {
    /// The size of each dimension, outermost first. `[]` is a scalar.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public private(set) var scalars: [Float]

    /// Makes a tensor from row-major scalars.
    ///
    /// - Precondition: every dimension is non-negative and `scalars.count` equals the product of
    ///   `shape`. Use ``init(validatingShape:scalars:)`` for values that come from outside the program.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(
            Tensor.elementCount(of: shape) == scalars.count,
            "shape \(shape) needs \(Tensor.elementCount(of: shape)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// Makes a tensor from row-major scalars, throwing when the shape and the count disagree.
    ///
    /// - Throws: ``TensorError`` with reason `.invalidShape` or `.scalarCountMismatch`.
    public init(validatingShape shape: [Int], scalars: [Float]) throws(TensorError) {
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard dim >= 0, !overflow else { throw TensorError(reason: .invalidShape(shape)) }
            count = product
        }
        guard count == scalars.count else {
            throw TensorError(reason: .scalarCountMismatch(shape: shape, expected: count, actual: scalars.count))
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape with every element set to `value`.
    public init(shape: [Int], repeating value: Float) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        self.shape = shape
        self.scalars = [Float](repeating: value, count: Tensor.elementCount(of: shape))
    }

    /// A scalar (rank-0) tensor.
    public init(_ value: Float) {
        self.shape = []
        self.scalars = [value]
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// Makes a tensor whose storage is filled by `body`, which gets an uninitialised buffer of
    /// `shape`'s element count and must write every element.
    init(shape: [Int], unsafeUninitializedCapacity body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = Tensor.elementCount(of: shape)
        self.shape = shape
        self.scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer)
            initialized = count
        }
    }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(scalars.count == 1, "tensor of shape \(shape) is not a scalar")
        return scalars[0]
    }

    /// The element at a multi-dimensional index.
    public subscript(_ indices: Int...) -> Float {
        get { scalars[flatIndex(indices)] }
        set { scalars[flatIndex(indices)] = newValue }
    }

    /// The same elements with a new shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Calls `body` with the elements.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the elements, mutable; the shape cannot change.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { buffer in try body(buffer) }
    }

    /// The product of the dimensions (1 for a scalar).
    static func elementCount(of shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "index \(indices) for shape \(shape)")
        var flat = 0
        for (index, dim) in zip(indices, shape) {
            precondition(index >= 0 && index < dim, "index \(indices) out of range for shape \(shape)")
            flat = flat * dim + index
        }
        return flat
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), scalars: [\(shown)\(scalars.count > 8 ? ", ..." : "")])"
    }
}
