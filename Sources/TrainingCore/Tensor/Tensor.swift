/// A dense, row-major array of `Float` values with a shape.
///
/// `Tensor` is a value type: copies share storage until one of them is mutated (copy-on-write,
/// inherited from `Array`). Its elements are either its own or borrowed, read in place from memory
/// something else owns (a memory-mapped checkpoint, see ``init(shape:borrowing:owner:)``); a
/// borrowed tensor copies its elements into storage of its own the first time it is mutated.
/// It does no differentiation itself; wrap it in a ``Variable`` to take part in automatic
/// differentiation.
///
/// ```swift
/// let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// t[1, 2]   // 6
/// ```
public struct Tensor: Equatable, Sendable {
    /// The size of each dimension, outermost first. `[]` is a scalar.
    public private(set) var shape: [Int]
    private var storage: Storage

    /// Where the elements are.
    private enum Storage: Sendable {
        /// The tensor's own elements.
        case owned([Float])
        /// Read-only elements in memory kept alive by an owner object.
        case borrowed(BorrowedScalars)
    }

    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    ///
    /// For a borrowed tensor (``isBorrowed``) this copies the elements into a new array; kernels
    /// use ``withUnsafeBufferPointer(_:)``, which never copies.
    public var scalars: [Float] {
        switch storage {
        case let .owned(array): array
        case let .borrowed(borrowed): Array(borrowed.buffer)
        }
    }

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
        self.storage = .owned(scalars)
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
        self.storage = .owned(scalars)
    }

    /// Makes a tensor that reads `scalars` in place, without copying them: memory that `owner`
    /// keeps valid (e.g. a memory-mapped file), which the tensor keeps alive for as long as it
    /// or a copy of it reads the memory. The memory must not change meanwhile. The first
    /// mutation copies the elements into storage of the tensor's own (copy-on-write), so the
    /// borrowed memory is never written.
    ///
    /// ```swift
    /// let weight = try Tensor(shape: [768, 768], borrowing: mappedFloats, owner: mappedFile)
    /// ```
    ///
    /// - Throws: ``TensorError`` with reason `.invalidShape` or `.scalarCountMismatch`.
    public init(shape: [Int], borrowing scalars: UnsafeBufferPointer<Float>, owner: some AnyObject & Sendable)
        throws(TensorError)
    {
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
        self.storage = .borrowed(BorrowedScalars(buffer: scalars, owner: owner))
    }

    /// A tensor of the given shape with every element set to `value`.
    public init(shape: [Int], repeating value: Float) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        self.shape = shape
        self.storage = .owned([Float](repeating: value, count: Tensor.elementCount(of: shape)))
    }

    /// A scalar (rank-0) tensor.
    public init(_ value: Float) {
        self.shape = []
        self.storage = .owned([value])
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
        self.storage = .owned(
            [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                body(buffer)
                initialized = count
            })
    }

    /// The number of elements.
    public var count: Int {
        switch storage {
        case let .owned(array): array.count
        case let .borrowed(borrowed): borrowed.buffer.count
        }
    }

    /// Whether the elements are borrowed memory read in place (``init(shape:borrowing:owner:)``)
    /// rather than the tensor's own storage; mutating a borrowed tensor makes it own a copy.
    public var isBorrowed: Bool {
        if case .borrowed = storage { true } else { false }
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "tensor of shape \(shape) is not a scalar")
        return withUnsafeBufferPointer { $0[0] }
    }

    /// The element at a multi-dimensional index.
    public subscript(_ indices: Int...) -> Float {
        get {
            let index = flatIndex(indices)
            return withUnsafeBufferPointer { $0[index] }
        }
        set {
            let index = flatIndex(indices)
            withUnsafeMutableBufferPointer { $0[index] = newValue }
        }
    }

    /// The same elements with a new shape of equal element count (borrowed elements stay borrowed).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(newShape)")
        precondition(
            Tensor.elementCount(of: newShape) == count,
            "shape \(newShape) needs \(Tensor.elementCount(of: newShape)) scalars, got \(count)")
        var copy = self
        copy.shape = newShape
        return copy
    }

    /// Calls `body` with the elements (never a copy, borrowed or not).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        switch storage {
        case let .owned(array): return try array.withUnsafeBufferPointer(body)
        case let .borrowed(borrowed): return try withExtendedLifetime(borrowed) { try body(borrowed.buffer) }
        }
    }

    /// Calls `body` with the elements, mutable; the shape cannot change. A borrowed tensor first
    /// copies its elements into storage of its own.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        var array: [Float]
        switch storage {
        case let .owned(owned): array = owned
        case let .borrowed(borrowed): array = Array(borrowed.buffer)
        }
        storage = .owned([])  // drop this reference so that `array` is unique: no copy on write
        defer { storage = .owned(array) }
        return try array.withUnsafeMutableBufferPointer { buffer in try body(buffer) }
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

extension Tensor {
    /// Equal shapes and equal elements (borrowed or owned alike; NaN differs from everything).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        if case let .owned(a) = lhs.storage, case let .owned(b) = rhs.storage { return a == b }
        return lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
    }
}

/// Elements read in place from memory that `owner` keeps valid; never written.
private final class BorrowedScalars: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<Float>
    let owner: AnyObject & Sendable

    init(buffer: UnsafeBufferPointer<Float>, owner: AnyObject & Sendable) {
        self.buffer = buffer
        self.owner = owner
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = withUnsafeBufferPointer { $0.prefix(8).map { "\($0)" }.joined(separator: ", ") }
        return "Tensor(shape: \(shape), scalars: [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}
