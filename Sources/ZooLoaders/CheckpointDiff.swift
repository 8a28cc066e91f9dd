import ZooFormat

/// What differs between two checkpoints, tensor by tensor (by name).
///
/// Tensors with equal digests, dtypes and shapes are unchanged and their data is never read;
/// for the others of equal shape and floating-point dtypes the largest absolute difference is
/// computed on Float32.
///
/// ```swift
/// let diff = try CheckpointDiff(from: parent, to: child)
/// for change in diff.changed { print(change.name, change.maxAbsDifference ?? .nan) }
/// print(diff.unchangedCount, diff.unchangedByteCount)
/// ```
public struct CheckpointDiff: Sendable, Equatable {
    /// A tensor present in both checkpoints with other bytes, dtype or shape.
    public struct Change: Sendable, Equatable {
        public var name: String
        public var before: TensorEntry
        public var after: TensorEntry
        /// `max |after - before|` over all elements on Float32, when both dtypes are floating
        /// point and the shapes are equal; `nil` otherwise, or when NaN or infinity differ at
        /// some position (see ``hasNonFiniteDifference``).
        public var maxAbsDifference: Double?
        /// Whether a position holds NaN or infinity on one side and something else on the other.
        public var hasNonFiniteDifference: Bool

        public init(
            name: String, before: TensorEntry, after: TensorEntry, maxAbsDifference: Double?,
            hasNonFiniteDifference: Bool = false
        ) {
            self.name = name
            self.before = before
            self.after = after
            self.maxAbsDifference = maxAbsDifference
            self.hasNonFiniteDifference = hasNonFiniteDifference
        }

        /// Whether dtype and shape are the same (only values changed).
        public var isValueChange: Bool { before.dtype == after.dtype && before.shape == after.shape }
    }

    /// Tensors only in the second checkpoint, in its storage order.
    public var added: [TensorEntry]
    /// Tensors only in the first checkpoint, in its storage order.
    public var removed: [TensorEntry]
    /// Tensors in both that differ, in the second checkpoint's storage order.
    public var changed: [Change]
    /// Names of the tensors that are the same in both, in the second checkpoint's order.
    public var unchanged: [String]
    /// The bytes of the unchanged tensors.
    public var unchangedByteCount: Int

    /// The number of unchanged tensors.
    public var unchangedCount: Int { unchanged.count }

    /// Whether the checkpoints hold the same tensors (assets and metadata aside).
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    /// Compares `first` (before) with `second` (after).
    ///
    /// - Throws: ``ZooFormat/FormatError`` when a tensor's shard cannot be read.
    public init(from first: Checkpoint, to second: Checkpoint) throws(FormatError) {
        let before = Dictionary(first.manifest.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let afterNames = Set(second.manifest.tensors.map(\.name))
        added = []
        removed = first.manifest.tensorsInSourceOrder.filter { !afterNames.contains($0.name) }
        changed = []
        unchanged = []
        unchangedByteCount = 0
        for entry in second.manifest.tensorsInSourceOrder {
            guard let old = before[entry.name] else {
                added.append(entry)
                continue
            }
            if old.digest == entry.digest && old.dtype == entry.dtype && old.shape == entry.shape {
                unchanged.append(entry.name)
                unchangedByteCount += entry.length
                continue
            }
            var change = Change(name: entry.name, before: old, after: entry, maxAbsDifference: nil)
            if old.shape == entry.shape, old.dtype.isFloatingPoint || old.dtype.isQuantized,
                entry.dtype.isFloatingPoint || entry.dtype.isQuantized
            {
                let a = try first.tensor(named: entry.name)
                let b = try second.tensor(named: entry.name)
                let (maximum, nonFinite) = Self.maxAbsDifference(a, b)
                change.maxAbsDifference = nonFinite ? nil : maximum
                change.hasNonFiniteDifference = nonFinite
            }
            changed.append(change)
        }
    }

    /// The largest `|b - a|` on Float32, and whether NaN or infinity differ somewhere (equal
    /// infinities and NaN against NaN count as equal).
    static func maxAbsDifference(_ a: TensorView, _ b: TensorView) -> (Double, Bool) {
        let count = b.entry.elementCount
        let left = a.withUnsafeBytes { Float32Conversion.floats(from: $0, dtype: a.dtype, count: count) }
        let right = b.withUnsafeBytes { Float32Conversion.floats(from: $0, dtype: b.dtype, count: count) }
        var maximum: Float = 0
        var nonFinite = false
        for i in 0..<count {
            let x = left[i], y = right[i]
            if x.isFinite && y.isFinite {
                maximum = max(maximum, abs(y - x))
            } else if !(x == y || (x.isNaN && y.isNaN)) {
                nonFinite = true
            }
        }
        return (Double(maximum), nonFinite)
    }
}
