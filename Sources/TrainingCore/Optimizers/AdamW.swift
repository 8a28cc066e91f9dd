import Foundation

/// Adam with decoupled weight decay, as PyTorch's `torch.optim.AdamW`:
/// `p *= 1 - lr * weightDecay; m = β1 m + (1 - β1) g; v = β2 v + (1 - β2) g²;
/// p -= lr / (1 - β1^t) * m / (sqrt(v / (1 - β2^t)) + eps)`.
public final class AdamW: Optimizer<AdamWState> {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float

    public init(groups: [ParameterGroup], betas: (Float, Float) = (0.9, 0.999), epsilon: Float = 1e-8) {
        (beta1, beta2) = betas
        self.epsilon = epsilon
        super.init(groups: groups)
    }

    /// One group of parameters (PyTorch's default weight decay is 0.01).
    public convenience init(
        parameters: [Parameter], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
        epsilon: Float = 1e-8, weightDecay: Float = 0.01
    ) {
        self.init(
            groups: [ParameterGroup(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay)],
            betas: betas, epsilon: epsilon)
    }

    override public func makeState(for value: Tensor) -> AdamWState {
        AdamWState(firstMoment: Tensor.zeros(value.shape), secondMoment: Tensor.zeros(value.shape))
    }

    override public func update(
        _ value: inout Tensor, gradient: Tensor, state: inout AdamWState, group: ParameterGroup
    ) {
        let lr = group.learningRate
        let t = Double(stepCount)
        let coefficients = Coefficients(
            beta1: beta1, beta2: beta2, epsilon: epsilon,
            stepSize: Float(Double(lr) / (1 - Foundation.pow(Double(beta1), t))),
            correction2: Float((1 - Foundation.pow(Double(beta2), t)).squareRoot()),
            decay: 1 - lr * group.weightDecay)
        state.firstMoment.withUnsafeMutableBufferPointer { pm in
            state.secondMoment.withUnsafeMutableBufferPointer { pv in
                gradient.withUnsafeBufferPointer { pg in
                    value.withUnsafeMutableBufferPointer { pp in
                        guard let m = pm.baseAddress, let v = pv.baseAddress, let g = pg.baseAddress,
                            let p = pp.baseAddress
                        else { return }
                        Parallel.forEachRange(pp.count, grain: Parallel.elementwiseGrain) { range in
                            let o = range.lowerBound
                            Self.kernel(p + o, g + o, m + o, v + o, range.count, coefficients)
                        }
                    }
                }
            }
        }
    }

    private struct Coefficients {
        let beta1, beta2, epsilon, stepSize, correction2, decay: Float
    }

    /// The update of `count` elements, eight at a time with explicit SIMD (the compiler does
    /// not vectorise this loop over four pointers on its own).
    private static func kernel(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
        _ v: UnsafeMutablePointer<Float>, _ count: Int, _ c: Coefficients
    ) {
        typealias Lanes = SIMD8<Float>
        var i = 0
        while i + Lanes.scalarCount <= count {
            let gi = UnsafeRawPointer(g + i).loadUnaligned(as: Lanes.self)
            let mi = c.beta1 * UnsafeRawPointer(m + i).loadUnaligned(as: Lanes.self) + (1 - c.beta1) * gi
            let vi = c.beta2 * UnsafeRawPointer(v + i).loadUnaligned(as: Lanes.self) + (1 - c.beta2) * gi * gi
            let pi = UnsafeRawPointer(p + i).loadUnaligned(as: Lanes.self)
            let updated = pi * c.decay - c.stepSize * mi / (vi.squareRoot() / c.correction2 + c.epsilon)
            UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: Lanes.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: Lanes.self)
            UnsafeMutableRawPointer(p + i).storeBytes(of: updated, as: Lanes.self)
            i += Lanes.scalarCount
        }
        while i < count {
            let gi = g[i]
            let mi = c.beta1 * m[i] + (1 - c.beta1) * gi
            let vi = c.beta2 * v[i] + (1 - c.beta2) * gi * gi
            m[i] = mi
            v[i] = vi
            p[i] = p[i] * c.decay - c.stepSize * mi / (vi.squareRoot() / c.correction2 + c.epsilon)
            i += 1
        }
    }
}

/// AdamW's per-parameter state.
public struct AdamWState {
    /// The running mean of gradients, `m`.
    public var firstMoment: Tensor
    /// The running mean of squared gradients, `v`.
    public var secondMoment: Tensor
}
