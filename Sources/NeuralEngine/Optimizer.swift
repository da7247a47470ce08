/// Base class of optimizers. Holds the base learning rate and Keras's legacy time-based `decay`, applied per update:
///
///     lr_t = learningRate / (1 + decay · t),   t = updates already done (`iterations`)
///
/// (Keras 2 `optimizer_v2` `decay` argument; Keras 3 spells the same as `InverseTimeDecay(lr, 1, decay)`.)
/// Callbacks (`LearningRateScheduler`, `ReduceLROnPlateau`) and the dashboard change `learningRate`; the decay then
/// applies on top of it.
///
/// Thread-safety: not thread-safe; created and used on the training thread.
public class Optimizer {
    /// The base learning rate (Keras `optimizer.learning_rate`), per update.
    public var learningRate: Double
    /// Legacy time-based decay per update (0 = none).
    public var decay: Double
    /// Number of updates applied so far (Keras `optimizer.iterations`).
    public internal(set) var iterations: Int = 0

    init(learningRate: Double, decay: Double) {
        self.learningRate = learningRate
        self.decay = decay
    }

    /// Keras's optimizer name (`SGD`, `Adam`, `RMSprop`, `Adagrad`).
    public var name: String { "Optimizer" }

    /// The learning rate the next update will use: `learningRate / (1 + decay · iterations)`.
    public var currentLearningRate: Double { learningRate / (1 + decay * Double(iterations)) }

    /// The learning rate update `t` uses (0-based), with the current base rate.
    public func learningRate(atUpdate t: Int) -> Double { learningRate / (1 + decay * Double(t)) }

    /// Applies one update to `parameters` from their gradients, then increments `iterations`.
    /// Returns the learning rate used.
    @discardableResult
    func apply(_ parameters: [Parameter]) -> Double {
        let lr = currentLearningRate
        for (i, p) in parameters.enumerated() {
            update(p, slot: i, lr: Float(lr), step: iterations + 1)
        }
        iterations += 1
        return lr
    }

    /// Updates one parameter; `slot` indexes its state, `step` is 1-based.
    func update(_ p: Parameter, slot: Int, lr: Float, step: Int) { fatalError("abstract") }

    /// Hyper-parameters for saving and display, Keras names.
    public var config: [String: Double] { ["learning_rate": learningRate, "decay": decay] }

    /// Per-parameter state buffers, created on first use.
    var slots: [[FloatBuffer]] = []
    func slot(_ i: Int, count: Int, buffers: Int, initial: Float = 0) -> [FloatBuffer] {
        while slots.count <= i { slots.append([]) }
        if slots[i].isEmpty {
            slots[i] = (0..<buffers).map { _ in
                let b = FloatBuffer(capacity: count)
                if initial != 0 { b.pointer.update(repeating: initial, count: count) }
                return b
            }
        }
        return slots[i]
    }
}

/// Stochastic gradient descent with momentum and Nesterov momentum (Keras `SGD`):
///
///     v ← momentum · v - lr_t · g
///     w ← w + v                          (plain)
///     w ← w + momentum · v - lr_t · g    (nesterov)
///
/// Defaults as Keras: learning rate 0.01, momentum 0, no Nesterov, no decay.
public final class SGD: Optimizer {
    public let momentum: Double
    public let nesterov: Bool

    public init(learningRate: Double = 0.01, momentum: Double = 0, nesterov: Bool = false, decay: Double = 0) {
        self.momentum = momentum
        self.nesterov = nesterov
        super.init(learningRate: learningRate, decay: decay)
    }

    public override var name: String { "SGD" }

    override func update(_ p: Parameter, slot i: Int, lr: Float, step: Int) {
        let w = p.value.pointer, g = p.grad.pointer, n = p.count
        if momentum == 0 {
            for k in 0..<n { w[k] -= lr * g[k] }
            return
        }
        let v = slot(i, count: n, buffers: 1)[0].pointer
        let m = Float(momentum)
        if nesterov {
            for k in 0..<n { let vk = m * v[k] - lr * g[k]; v[k] = vk; w[k] += m * vk - lr * g[k] }
        } else {
            for k in 0..<n { let vk = m * v[k] - lr * g[k]; v[k] = vk; w[k] += vk }
        }
    }

    public override var config: [String: Double] {
        ["learning_rate": learningRate, "decay": decay, "momentum": momentum, "nesterov": nesterov ? 1 : 0]
    }
}

/// Adam (Kingma & Ba 2015) as Keras implements it:
///
///     m ← β1 m + (1-β1) g;   v ← β2 v + (1-β2) g²
///     w ← w - lr_t · √(1-β2^t)/(1-β1^t) · m / (√v + ε)
///
/// Defaults as Keras: learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7.
public final class Adam: Optimizer {
    public let beta1: Double, beta2: Double, epsilon: Double

    public init(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7,
                decay: Double = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        super.init(learningRate: learningRate, decay: decay)
    }

    public override var name: String { "Adam" }

    override func update(_ p: Parameter, slot i: Int, lr: Float, step: Int) {
        let s = slot(i, count: p.count, buffers: 2)
        let m = s[0].pointer, v = s[1].pointer, w = p.value.pointer, g = p.grad.pointer
        let t = Double(step)
        let alpha = Float(Double(lr) * (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t)))
        let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon)
        for k in 0..<p.count {
            m[k] += (g[k] - m[k]) * (1 - b1)
            v[k] += (g[k] * g[k] - v[k]) * (1 - b2)
            w[k] -= alpha * m[k] / (v[k].squareRoot() + eps)
        }
    }

    public override var config: [String: Double] {
        ["learning_rate": learningRate, "decay": decay, "beta_1": beta1, "beta_2": beta2, "epsilon": epsilon]
    }
}

/// RMSprop (Tieleman & Hinton 2012) as Keras 3 implements it (no momentum, not centered):
///
///     v ← ρ v + (1-ρ) g²;   w ← w - lr_t · g / √(v + ε)
///
/// Defaults as Keras: learning rate 0.001, ρ 0.9, ε 1e-7.
public final class RMSprop: Optimizer {
    public let rho: Double, epsilon: Double

    public init(learningRate: Double = 0.001, rho: Double = 0.9, epsilon: Double = 1e-7, decay: Double = 0) {
        self.rho = rho
        self.epsilon = epsilon
        super.init(learningRate: learningRate, decay: decay)
    }

    public override var name: String { "RMSprop" }

    override func update(_ p: Parameter, slot i: Int, lr: Float, step: Int) {
        let v = slot(i, count: p.count, buffers: 1)[0].pointer, w = p.value.pointer, g = p.grad.pointer
        let r = Float(rho), eps = Float(epsilon)
        for k in 0..<p.count {
            v[k] = r * v[k] + (1 - r) * g[k] * g[k]
            w[k] -= lr * g[k] / (v[k] + eps).squareRoot()
        }
    }

    public override var config: [String: Double] {
        ["learning_rate": learningRate, "decay": decay, "rho": rho, "epsilon": epsilon]
    }
}

/// Adagrad (Duchi et al. 2011) as Keras implements it:
///
///     a ← a + g²;   w ← w - lr_t · g / √(a + ε)
///
/// Defaults as Keras: learning rate 0.001, initial accumulator 0.1, ε 1e-7.
public final class Adagrad: Optimizer {
    public let initialAccumulatorValue: Double, epsilon: Double

    public init(learningRate: Double = 0.001, initialAccumulatorValue: Double = 0.1, epsilon: Double = 1e-7,
                decay: Double = 0) {
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        super.init(learningRate: learningRate, decay: decay)
    }

    public override var name: String { "Adagrad" }

    override func update(_ p: Parameter, slot i: Int, lr: Float, step: Int) {
        let a = slot(i, count: p.count, buffers: 1, initial: Float(initialAccumulatorValue))[0].pointer
        let w = p.value.pointer, g = p.grad.pointer, eps = Float(epsilon)
        for k in 0..<p.count {
            a[k] += g[k] * g[k]
            w[k] -= lr * g[k] / (a[k] + eps).squareRoot()
        }
    }

    public override var config: [String: Double] {
        ["learning_rate": learningRate, "decay": decay, "initial_accumulator_value": initialAccumulatorValue,
         "epsilon": epsilon]
    }
}

#if canImport(Glibc)
import Glibc
#endif
