/// Reduces the learning rate when a monitored quantity has stopped improving (Keras 3
/// `keras.callbacks.ReduceLROnPlateau`, `keras/src/callbacks/reduce_lr_on_plateau.py`). Counts epochs.
///
/// A monitor that is not logged, or whose direction `mode: .auto` cannot tell, makes `fit` throw `MonitorError` at
/// the end of the first epoch (see `MonitorCallback`). At the end of each epoch:
///
///     if cooldownCounter > 0: cooldownCounter -= 1; wait = 0
///     if isImprovement(current, over: best): best = current; wait = 0     // NaN never improves
///     else if cooldownCounter == 0:
///         wait += 1
///         if wait >= patience and lr > minLR:
///             lr = max(lr · factor, minLR); cooldownCounter = cooldown; wait = 0
///
/// `lr` is the optimizer's base `learningRate` (the legacy per-update decay applies on top). The new rate takes
/// effect from the next epoch; `fit` logs the rate actually used, so this callback does not write `learning_rate`.
///
/// Thread-safety: not thread-safe; training thread only.
/// Resumable: a checkpoint keeps `best`, `wait` and the cooldown counter; the rate itself is the optimizer's, which
/// the checkpoint keeps too (`TrainingState.learningRate`).
public final class ReduceLROnPlateau: MonitorCallback, ResumableCallback {
    /// One reduction, for the dashboard's markers.
    public struct Reduction: Equatable, Sendable {
        /// The epoch (0-based) at whose end the rate was reduced; the new rate applies from `epoch + 1`.
        public let epoch: Int
        public let oldRate: Double
        public let newRate: Double
    }

    /// Multiplier applied on a plateau, in (0, 1).
    public let factor: Double
    /// Non-improving epochs before a reduction.
    public let patience: Int
    /// Epochs to wait after a reduction before counting again.
    public let cooldown: Int
    /// Lower bound of the learning rate.
    public let minLR: Double

    /// Non-improving epochs counted since the last improvement or reduction.
    public private(set) var wait = 0
    /// Epochs of cooldown left.
    public private(set) var cooldownCounter = 0
    /// The reductions made, in order.
    public private(set) var reductions: [Reduction] = []

    /// - Parameters:
    ///   - monitor: the log key (default `val_loss`).
    ///   - factor: new rate = rate · factor; must be in (0, 1).
    ///   - patience: non-improving epochs before a reduction (Keras default 10).
    ///   - minDelta: minimum change that counts as an improvement (Keras default 1e-4).
    ///   - cooldown: epochs after a reduction during which nothing is counted.
    ///   - minLR: lower bound of the rate.
    ///   - mode: `.auto`, `.min` or `.max`.
    /// - Throws: `ModelError.invalidArgument` for `factor` outside (0, 1) (Keras: "ReduceLROnPlateau does not
    ///   support a factor >= 1.0"), negative `patience`/`cooldown`, or a negative or non-finite `minLR`.
    public init(monitor: String = LogKey.valLoss, factor: Double = 0.1, patience: Int = 10, minDelta: Double = 1e-4,
                cooldown: Int = 0, minLR: Double = 0, mode: MonitorMode = .auto) throws {
        guard factor < 1 else {
            throw ModelError.invalidArgument("ReduceLROnPlateau does not support a factor >= 1.0. Received factor=\(factor)")
        }
        guard factor > 0 else { throw ModelError.invalidArgument("ReduceLROnPlateau: factor must be > 0, got \(factor)") }
        guard patience >= 0 else { throw ModelError.invalidArgument("ReduceLROnPlateau: patience must be >= 0, got \(patience)") }
        guard cooldown >= 0 else { throw ModelError.invalidArgument("ReduceLROnPlateau: cooldown must be >= 0, got \(cooldown)") }
        guard minLR.isFinite, minLR >= 0 else {
            throw ModelError.invalidArgument("ReduceLROnPlateau: min_lr must be finite and >= 0, got \(minLR)")
        }
        self.factor = factor
        self.patience = patience
        self.cooldown = cooldown
        self.minLR = minLR
        super.init(monitor: monitor, mode: mode, minDelta: minDelta)
    }

    public func captureState() -> CallbackState {
        CallbackState(values: ["best": best, "wait": Double(wait), "cooldownCounter": Double(cooldownCounter)])
    }

    public func restoreState(_ state: CallbackState) throws {
        best = state.values["best"] ?? worstValue
        wait = Int(exactly: state.values["wait"] ?? 0) ?? 0
        cooldownCounter = Int(exactly: state.values["cooldownCounter"] ?? 0) ?? 0
    }

    /// True while in cooldown.
    public var inCooldown: Bool { cooldownCounter > 0 }

    /// Non-improving epochs left before the next reduction (`max(0, patience - wait)`).
    public var patienceLeft: Int { max(0, patience - wait) }

    public override func onTrainBegin(logs: Logs) {
        wait = 0
        cooldownCounter = 0
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
        guard let current = monitorValue(logs, epoch: epoch) else { return }
        if inCooldown {
            cooldownCounter -= 1
            wait = 0
        }
        if isImprovement(current, over: best) {
            best = current
            wait = 0
            return
        }
        guard !inCooldown else { return }
        wait += 1
        guard wait >= patience, let optimizer = model?.optimizer else { return }
        let old = optimizer.learningRate
        guard old > minLR else { return }
        let new = max(old * factor, minLR)
        optimizer.learningRate = new
        reductions.append(Reduction(epoch: epoch, oldRate: old, newRate: new))
        report(.info, kind: .learningRateReduced, epoch: epoch,
               "Epoch \(epoch + 1): ReduceLROnPlateau reducing learning rate to \(new).", learningRate: new)
        cooldownCounter = cooldown
        wait = 0
    }
}
