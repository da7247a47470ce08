/// Whether a monitored quantity should go down or up (Keras's `mode`).
public enum MonitorMode: String, Sendable, CaseIterable {
    /// Infer from the name (see `MonitorCallback.inferDirection(for:)`).
    case auto
    /// Smaller is better (losses, errors).
    case min
    /// Larger is better (accuracy, AUC).
    case max
}

/// The resolved direction of a monitored quantity.
public enum MonitorDirection: String, Sendable {
    case minimize, maximize
}

/// Shared base of callbacks that watch one logged quantity and ask "is this better than before?" (Keras 3
/// `keras.src.callbacks.monitor_callback.MonitorCallback`): `EarlyStopping`, `ModelCheckpoint`, `ReduceLROnPlateau`.
///
/// Improvement test (`isImprovement(_:over:)`), as Keras's `_is_improvement` with `min_delta = |minDelta|`:
///
///     min mode:  current < reference - minDelta
///     max mode:  current > reference + minDelta
///
/// A NaN current value is never an improvement, and neither is anything compared with a NaN reference (IEEE
/// comparisons with NaN are false). Unlike Keras 3, whose first comparison is against `None` and always succeeds,
/// the initial reference here is `±infinity` (or `baseline`), so a NaN on the first epoch is not an improvement
/// either.
///
/// A missing monitor key is reported once per epoch as a `.warning` message (Keras `warnings.warn`) and the epoch
/// is ignored by the subclass.
///
/// Thread-safety: not thread-safe; training thread only.
open class MonitorCallback: ReportingCallback {
    /// The log key watched (Keras `monitor`, default `val_loss`).
    public let monitor: String
    /// The requested mode; `direction` is what it resolved to.
    public let mode: MonitorMode
    /// Minimum change that counts as an improvement, in the monitored quantity's units (stored as `|minDelta|`).
    public let minDelta: Double
    /// Optional reference value; each subclass documents how it uses it.
    public let baseline: Double?
    /// The resolved direction: from `mode`, or inferred from `monitor` for `.auto`.
    public let direction: MonitorDirection
    /// The best value seen so far (starts at `initialBest`).
    public internal(set) var best: Double

    /// - Parameters:
    ///   - monitor: the log key (e.g. `val_loss`, `val_accuracy`).
    ///   - mode: `.auto` infers the direction from the name.
    ///   - minDelta: minimum change that counts as an improvement (its absolute value is used).
    ///   - baseline: reference value, see the subclass.
    public init(monitor: String = LogKey.valLoss, mode: MonitorMode = .auto, minDelta: Double = 0,
                baseline: Double? = nil) {
        self.monitor = monitor
        self.mode = mode
        self.minDelta = minDelta.isFinite ? abs(minDelta) : 0
        self.baseline = baseline
        switch mode {
        case .min: direction = .minimize
        case .max: direction = .maximize
        case .auto: direction = MonitorCallback.inferDirection(for: monitor)
        }
        best = direction == .minimize ? .infinity : -.infinity
        super.init()
        if !minDelta.isFinite { report(.warning, "\(monitor): min_delta \(minDelta) is not finite; using 0") }
    }

    /// The worst possible value for the direction: `+inf` when minimizing, `-inf` when maximizing.
    public var worstValue: Double { direction == .minimize ? .infinity : -.infinity }

    /// Keras's `auto` mode. The `val_` prefix is removed; then `loss` and names of error-like metrics (containing
    /// `loss`, `error`, `mae`, `mse`, `mape`, `msle`, `crossentropy`, `hinge`) minimize, and accuracy-like names
    /// (containing `acc`, `auc`, `precision`, `recall`, `f1`, `fmeasure`, `iou`) maximize (Keras 2's rule was
    /// "contains `acc` or starts with `fmeasure`"; Keras 3 asks the metric's direction). Anything else minimizes
    /// (Keras 2's fallback; Keras 3 raises instead).
    public static func inferDirection(for monitor: String) -> MonitorDirection {
        var name = monitor.lowercased()
        if name.hasPrefix("val_") { name.removeFirst(4) }
        let down = ["loss", "error", "mae", "mse", "mape", "msle", "crossentropy", "hinge"]
        if down.contains(where: { name.contains($0) }) { return .minimize }
        let up = ["acc", "auc", "precision", "recall", "f1", "fmeasure", "iou"]
        if up.contains(where: { name.contains($0) }) { return .maximize }
        return .minimize
    }

    /// True when `current` beats `reference` by more than `minDelta` in the monitored direction; never for NaN.
    public func isImprovement(_ current: Double, over reference: Double) -> Bool {
        if current.isNaN || reference.isNaN { return false }
        switch direction {
        case .minimize: return current < reference - minDelta
        case .maximize: return current > reference + minDelta
        }
    }

    /// The monitored value in `logs`, or `nil` after reporting a warning naming the available keys (Keras wording).
    public func monitorValue(_ logs: Logs, epoch: Int, purpose: String) -> Double? {
        if let v = logs[monitor] { return v }
        report(.warning, epoch: epoch,
               "\(purpose) conditioned on metric `\(monitor)` which is not available. Available metrics are: "
               + logs.keys.sorted().joined(separator: ","))
        return nil
    }
}
