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

    /// Elements per chunk of the update shared between the two threads of `ChunkPool` (64 KiB per array).
    static let chunkElements = 16_384
    /// Models with fewer parameters update on the training thread alone (handing work over costs more than it saves).
    /// Measured on a 2-core AMD EPYC: for 64-64 (55k parameters) the whole update takes ~15 µs on one thread, less
    /// than waking the helper can cost on a busy machine; for 512-512 (670k) it takes ~200 µs, streaming 13 MB.
    static let parallelThreshold = 1 << 18

    /// Applies one update to `parameters` from their gradients, then increments `iterations`.
    /// Returns the learning rate used.
    ///
    /// The update is element-wise, so for larger models it is cut into chunks of `chunkElements` that the training
    /// thread and `ChunkPool`'s helper thread share; every element gets exactly the same operations as on one thread.
    @discardableResult
    func apply(_ parameters: [Parameter]) -> Double {
        let total = parameters.reduce(0) { $0 + $1.count }
        var chunks: [(slot: Int, range: Range<Int>)] = []
        if total >= Self.parallelThreshold && ChunkPool.mayUseSecondCore {
            for (i, p) in parameters.enumerated() {
                var lo = 0
                while lo < p.count {
                    let hi = min(p.count, lo + Self.chunkElements)
                    chunks.append((i, lo..<hi))
                    lo = hi
                }
            }
        } else {
            chunks = parameters.enumerated().map { ($0.offset, 0..<$0.element.count) }
        }
        return apply(parameters, chunks: chunks, gradient: nil)
    }

    /// One update in `chunks` (disjoint element ranges of parameter `slot`, covering every parameter), shared
    /// between the training thread and `ChunkPool`'s helper when there are several. `gradient(c)`, when given, is
    /// called first for chunk `c` on the thread that updates it and must fill that chunk's gradient (a data-parallel
    /// step computes kernel rows there, so they are updated while still in cache). Increments `iterations`; returns
    /// the learning rate used.
    func apply(_ parameters: [Parameter], chunks: [(slot: Int, range: Range<Int>)],
               gradient: ((Int) -> Void)?) -> Double {
        let lr = currentLearningRate
        let step = iterations + 1
        let rate = Float(lr)
        for (i, p) in parameters.enumerated() { prepare(p, slot: i) }
        if chunks.count > 1 && ChunkPool.shared.hasHelper {
            ChunkPool.shared.run(count: chunks.count) { [self] c in
                gradient?(c)
                update(parameters[chunks[c].slot], slot: chunks[c].slot, lr: rate, step: step, range: chunks[c].range)
            }
        } else {
            for (c, chunk) in chunks.enumerated() {
                gradient?(c)
                update(parameters[chunk.slot], slot: chunk.slot, lr: rate, step: step, range: chunk.range)
            }
        }
        iterations += 1
        return lr
    }

    /// Creates the state of one parameter if needed (on the training thread, before any `update`).
    func prepare(_ p: Parameter, slot: Int) {}

    /// Updates elements `range` of one parameter; `slot` indexes its state (created by `prepare`), `step` is
    /// 1-based. Called concurrently for disjoint ranges: touch only those elements.
    func update(_ p: Parameter, slot: Int, lr: Float, step: Int, range: Range<Int>) { fatalError("abstract") }

    /// Hyper-parameters for saving and display, Keras names.
    public var config: [String: Double] { ["learning_rate": learningRate, "decay": decay] }

    /// Replaces the per-parameter state buffers (to resume): `values[i]` holds parameter `i`'s buffers in Keras's
    /// order (SGD: momentum; Adam: momentum, velocity; RMSprop: velocity; Adagrad: accumulator), each with as many
    /// values as the parameter; an empty list for a parameter whose state was never created.
    /// - Throws: `ModelError.invalidArgument` naming the parameter when a count does not match (nothing is changed).
    func setSlots(_ values: [[[Float]]], for parameters: [Parameter], buffersPerParameter: Int) throws {
        guard values.count == parameters.count else {
            throw ModelError.invalidArgument("optimizer state for \(values.count) weight tensors, the model has \(parameters.count)")
        }
        for (p, v) in zip(parameters, values) where !v.isEmpty {
            guard v.count == buffersPerParameter, v.allSatisfy({ $0.count == p.count }) else {
                throw ModelError.invalidArgument("optimizer state of \(p.name): \(v.count) buffers of \(v.map(\.count)) values, expected \(buffersPerParameter) of \(p.count)")
            }
        }
        slots = values.map { $0.map { FloatBuffer($0) } }
    }

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

    override func prepare(_ p: Parameter, slot i: Int) {
        if momentum != 0 { _ = slot(i, count: p.count, buffers: 1) }
    }

    override func update(_ p: Parameter, slot i: Int, lr: Float, step: Int, range: Range<Int>) {
        let w = p.value.pointer, g = p.grad.pointer
        if momentum == 0 {
            for k in range { w[k] -= lr * g[k] }
            return
        }
        let v = slots[i][0].pointer
        let m = Float(momentum)
        if nesterov {
            for k in range { let vk = m * v[k] - lr * g[k]; v[k] = vk; w[k] += m * vk - lr * g[k] }
        } else {
            for k in range { let vk = m * v[k] - lr * g[k]; v[k] = vk; w[k] += vk }
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

    override func prepare(_ p: Parameter, slot i: Int) { _ = slot(i, count: p.count, buffers: 2) }

    override func update(_ p: Parameter, slot i: Int, lr: Float, step: Int, range: Range<Int>) {
        let s = slots[i]
        let m = s[0].pointer, v = s[1].pointer, w = p.value.pointer, g = p.grad.pointer
        let t = Double(step)
        let alpha = Float(Double(lr) * (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t)))
        let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon)
        for k in range {
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

    override func prepare(_ p: Parameter, slot i: Int) { _ = slot(i, count: p.count, buffers: 1) }

    override func update(_ p: Parameter, slot i: Int, lr: Float, step: Int, range: Range<Int>) {
        let v = slots[i][0].pointer, w = p.value.pointer, g = p.grad.pointer
        let r = Float(rho), eps = Float(epsilon)
        for k in range {
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

    override func prepare(_ p: Parameter, slot i: Int) {
        _ = slot(i, count: p.count, buffers: 1, initial: Float(initialAccumulatorValue))
    }

    override func update(_ p: Parameter, slot i: Int, lr: Float, step: Int, range: Range<Int>) {
        let a = slots[i][0].pointer
        let w = p.value.pointer, g = p.grad.pointer, eps = Float(epsilon)
        for k in range {
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
