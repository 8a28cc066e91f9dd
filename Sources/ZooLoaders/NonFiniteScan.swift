/// Finds NaN and infinite elements, eight lanes at a time.
enum NonFiniteScan {
    /// The first non-finite element's index and how many there are, or `nil` when all are finite.
    static func find(in values: UnsafeBufferPointer<Float>) -> (firstIndex: Int, count: Int)? {
        guard let base = values.baseAddress, !values.isEmpty else { return nil }
        // A float is NaN or infinite exactly when its exponent bits are all ones.
        let exponentMask = UInt32(0x7f80_0000)
        typealias Lanes = SIMD8<UInt32>
        let raw = UnsafeRawPointer(base)
        var i = 0
        var found = false
        while i + Lanes.scalarCount <= values.count {
            let bits = raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
            if any((bits & exponentMask) .== Lanes(repeating: exponentMask)) {
                found = true
                break
            }
            i += Lanes.scalarCount
        }
        if !found {
            while i < values.count && values[i].isFinite { i += 1 }
            if i == values.count { return nil }
        }
        // Rare path: locate and count exactly.
        var first: Int?
        var count = 0
        for index in 0..<values.count where !values[index].isFinite {
            if first == nil { first = index }
            count += 1
        }
        guard let first else { return nil }
        return (first, count)
    }
}
