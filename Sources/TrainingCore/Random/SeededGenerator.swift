import Foundation

/// A small, fast, deterministic random number generator (xoshiro256**, seeded through SplitMix64).
///
/// The same seed gives the same sequence on every platform and run, which makes initialisation
/// and dropout reproducible bit for bit.
///
/// ```swift
/// var generator = SeededGenerator(seed: 42)
/// let w = Tensor.randomNormal([3, 4], standardDeviation: 0.02, generator: &generator)
/// ```
public struct SeededGenerator: RandomNumberGenerator, Equatable, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (nextSplitMix(), nextSplitMix(), nextSplitMix(), nextSplitMix())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    /// A uniform `Float` in `[0, 1)`, with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A standard normal sample (Box-Muller in `Double`, one sample per call).
    public mutating func nextNormal() -> Float {
        // u1 in (0, 1] so the logarithm is finite.
        let u1 = Double((next() >> 11) + 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// A new generator seeded from this one, for a component that needs its own stream.
    public mutating func split() -> SeededGenerator {
        SeededGenerator(seed: next())
    }

    public static func == (lhs: SeededGenerator, rhs: SeededGenerator) -> Bool {
        lhs.state == rhs.state
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}

extension Tensor {
    /// Independent normal samples with the given mean and standard deviation.
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, generator: inout SeededGenerator
    ) -> Tensor {
        let count = elementCount(of: shape)
        var scalars = [Float](repeating: 0, count: count)
        for i in 0..<count { scalars[i] = mean + standardDeviation * generator.nextNormal() }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// Independent uniform samples in `range` (upper bound excluded).
    public static func randomUniform(
        _ shape: [Int], in range: ClosedRange<Float>, generator: inout SeededGenerator
    ) -> Tensor {
        let count = elementCount(of: shape)
        let width = range.upperBound - range.lowerBound
        var scalars = [Float](repeating: 0, count: count)
        for i in 0..<count { scalars[i] = range.lowerBound + width * generator.nextUniform() }
        return Tensor(shape: shape, scalars: scalars)
    }
}
