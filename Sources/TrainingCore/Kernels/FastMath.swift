/// Branch-free single-precision `exp` and `erf` that the compiler can vectorise.
///
/// Calls into libm are opaque to the vectoriser; these are plain arithmetic, so a loop over them
/// becomes SIMD code.
enum FastMath {
    /// `exp(x)` to about 2 ulp (Cephes' `expf` polynomial); 0 below -87.3, where `Float` underflows.
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87.3), 88.3)
        // Round x / ln 2 to the nearest integer n with the 1.5 * 2^23 trick: afterwards the low bits
        // of `shifted` hold n, and `shifted - magic` is n as a Float.
        let magic: Float = 12_582_912
        let shifted = clamped * 1.442_695_04 + magic
        let n = shifted - magic
        let r = clamped - n * 0.693_359_375 - n * -2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * r * r + r + 1
        let exponentBits = (shifted.bitPattern &- magic.bitPattern &+ 127) &<< 23
        let result = y * Float(bitPattern: exponentBits)
        return x < -87.3 ? 0 : result
    }

    /// `erf(x)` to within 2e-7 absolute (the rational approximation used by Eigen and XLA).
    @inline(__always)
    static func erf(_ x: Float) -> Float {
        let c = Swift.min(Swift.max(x, -4), 4)
        let x2 = c * c
        var p: Float = -2.726_142_258_013_06e-10
        p = p * x2 + 2.770_681_424_959_02e-08
        p = p * x2 + -2.101_024_020_825_08e-06
        p = p * x2 + -5.692_506_394_623_46e-05
        p = p * x2 + -7.349_906_303_268_55e-04
        p = p * x2 + -2.954_599_808_540_25e-03
        p = p * x2 + -1.609_603_332_624_15e-02
        var q: Float = -1.456_607_184_649_96e-05
        q = q * x2 + -2.133_740_552_789_05e-04
        q = q * x2 + -1.682_826_974_382_03e-03
        q = q * x2 + -7.373_329_167_204_68e-03
        q = q * x2 + -1.426_473_905_141_89e-02
        return c * p / q
    }

    /// The sum of `count` floats, with eight running sums.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var total = acc.sum()
        while i < count {
            total += p[i]
            i += 1
        }
        return total
    }

    /// The dot product of two `count`-float vectors.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var total = acc.sum()
        while i < count {
            total += a[i] * b[i]
            i += 1
        }
        return total
    }

    /// The largest of `count` floats (`-infinity` for none).
    @inline(__always)
    static func max(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= count {
            acc = pointwiseMax(acc, UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self))
            i += 8
        }
        var best = acc.max()
        while i < count {
            best = Swift.max(best, p[i])
            i += 1
        }
        return best
    }
}
