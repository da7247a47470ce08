/// Stops training when a monitored quantity has stopped improving (Keras 3 `keras.callbacks.EarlyStopping`,
/// `keras/src/callbacks/early_stopping.py`). Counts epochs.
///
/// A monitor that is not logged, or whose direction `mode: .auto` cannot tell, makes `fit` throw `MonitorError` at
/// the end of the first epoch (see `MonitorCallback`). At the end of each epoch `e >= startFromEpoch`:
///
///     wait += 1
///     if isImprovement(current, over: best):            // see MonitorCallback; NaN never improves
///         best = current; bestEpoch = e; bestWeights = weights (when restoreBestWeights)
///         if baseline == nil || isImprovement(current, over: baseline): wait = 0
///     else if wait >= patience && e > 0:
///         stoppedEpoch = e; model.stopTraining = true
///
/// With `restoreBestWeights`, the first monitored epoch's weights are kept even when it is not an improvement
/// (so there is always something to restore), and the best weights are restored in `onTrainEnd` whether the run
/// stopped early or reached `epochs` (Keras 3 behaviour; Keras 2 restored only on an early stop).
///
/// `baseline`: training stops unless the monitored value beats it within `patience` epochs; `best` still starts
/// at `±infinity`, so weights are restored from the best epoch even when none beat the baseline (as Keras).
///
/// Thread-safety: not thread-safe; training thread only. Read the dashboard properties on the training thread
/// (e.g. from a later callback) and publish them through the channel.
/// Resumable: a checkpoint keeps `best`, `wait`, `bestEpoch` and the best weights (`ResumableCallback`).
public final class EarlyStopping: MonitorCallback, ResumableCallback {
    /// Epochs without improvement after which training stops.
    public let patience: Int
    /// Restore the weights of the best epoch when training ends.
    public let restoreBestWeights: Bool
    /// Epochs (0-based index) before which nothing is monitored (warm-up).
    public let startFromEpoch: Int

    /// Monitored epochs since the last improvement (Keras `wait`).
    public private(set) var wait = 0
    /// The epoch at which training was stopped, or `nil` when it was not stopped by this callback.
    public private(set) var stoppedEpoch: Int?
    /// The epoch of `bestValue` (or of the weights kept by `restoreBestWeights`), `nil` before any monitored epoch.
    public private(set) var bestEpoch: Int?
    /// The weights of `bestEpoch`, kept when `restoreBestWeights`.
    public private(set) var bestWeights: [Matrix]?
    /// True once `onTrainEnd` restored `bestWeights`.
    public private(set) var restoredBestWeights = false

    /// - Parameters:
    ///   - monitor: the log key (default `val_loss`).
    ///   - minDelta: minimum change that counts as an improvement.
    ///   - patience: epochs without improvement after which training stops (0: stop at the first non-improving epoch).
    ///   - mode: `.auto`, `.min` or `.max`.
    ///   - baseline: a value the monitored quantity must beat for `wait` to reset.
    ///   - restoreBestWeights: restore the best epoch's weights when training ends.
    ///   - startFromEpoch: first epoch (0-based) to monitor.
    public init(monitor: String = LogKey.valLoss, minDelta: Double = 0, patience: Int = 0, mode: MonitorMode = .auto,
                baseline: Double? = nil, restoreBestWeights: Bool = false, startFromEpoch: Int = 0) {
        self.patience = patience
        self.restoreBestWeights = restoreBestWeights
        self.startFromEpoch = startFromEpoch
        super.init(monitor: monitor, mode: mode, minDelta: minDelta, baseline: baseline)
    }

    /// The best monitored value so far, `nil` before any improvement.
    public var bestValue: Double? { best.isInfinite && best == worstValue ? nil : best }

    /// Epochs that may still pass without improvement before training stops (`max(0, patience - wait)`).
    public var patienceLeft: Int { max(0, patience - wait) }

    public override func onTrainBegin(logs: Logs) {
        // Allow reuse across fits, as Keras (which keeps `best`; a fresh instance per fit is clearer).
        wait = 0
        stoppedEpoch = nil
        bestWeights = nil
        bestEpoch = nil
        restoredBestWeights = false
        best = worstValue
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
        // The monitor is checked from the first epoch on, also during the warm-up (as Keras sets its monitor_op).
        guard let current = monitorValue(logs, epoch: epoch), epoch >= startFromEpoch else { return }
        if restoreBestWeights && bestWeights == nil, let model {
            bestWeights = model.getWeights()
            bestEpoch = epoch
        }
        wait += 1
        if isImprovement(current, over: best) {
            best = current
            bestEpoch = epoch
            if restoreBestWeights, let model { bestWeights = model.getWeights() }
            if let baseline, !isImprovement(current, over: baseline) { return }
            wait = 0
            return
        }
        if wait >= patience && epoch > 0 {
            stoppedEpoch = epoch
            model?.stopTraining = true
            report(.info, kind: .earlyStopping, epoch: epoch, "Epoch \(epoch + 1): early stopping")
        }
    }

    public func captureState() -> CallbackState {
        var v: [String: Double] = ["best": best, "wait": Double(wait)]
        if let e = bestEpoch { v["bestEpoch"] = Double(e) }
        return CallbackState(values: v, tensors: bestWeights?.map(PackedTensor.init))
    }

    public func restoreState(_ state: CallbackState) throws {
        let weights = try state.tensors?.map { try $0.matrix() }
        if let weights, let model {
            let shapes = model.getWeights().map { [$0.rows, $0.cols] }
            guard weights.map({ [$0.rows, $0.cols] }) == shapes else {
                throw ModelError.invalidArgument("EarlyStopping's best weights in the training state have shapes \(weights.map { [$0.rows, $0.cols] }), the model's are \(shapes)")
            }
        }
        best = state.values["best"] ?? worstValue
        wait = Int(exactly: state.values["wait"] ?? 0) ?? 0
        bestEpoch = state.values["bestEpoch"].flatMap { Int(exactly: $0) }
        bestWeights = weights
    }

    public override func onTrainEnd(logs: Logs) {
        guard restoreBestWeights, let weights = bestWeights, let model else { return }
        do {
            try model.setWeights(weights)
            restoredBestWeights = true
            let e = bestEpoch.map { String($0 + 1) } ?? "?"
            report(.info, kind: .weightsRestored, epoch: bestEpoch, "Restoring model weights from the end of the best epoch: \(e).")
        } catch {
            report(.error, epoch: bestEpoch, "Could not restore the best weights: \(error)")
        }
    }
}
