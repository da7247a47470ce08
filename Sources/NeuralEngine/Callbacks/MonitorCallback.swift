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
/// Errors end `fit` (`Callback.raise(_:)`, so `fit` throws) at the end of the first epoch, instead of Keras's
/// warning every epoch:
/// - `MonitorError.unknownDirection` when `mode` is `.auto` and `inferDirection(for:)` knows no direction for the
///   name (Keras 3 raises `ValueError` here too);
/// - `MonitorError.unavailable` when the epoch logs lack `monitor` (Keras 3 only warns; a monitor that is never
///   logged silently disables the callback, so Trainboard treats it as the mistake it is). The error lists the keys
///   that are logged.
/// `validate(loggedKeys:)` makes the same checks before training when the keys are known in advance.
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
    /// The resolved direction: from `mode`, or inferred from `monitor` for `.auto`; nil when `.auto` cannot tell
    /// (then the first epoch end raises `MonitorError.unknownDirection`).
    public let direction: MonitorDirection?
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
        best = direction == .maximize ? -.infinity : .infinity
        super.init()
        if !minDelta.isFinite { report(.warning, "\(monitor): min_delta \(minDelta) is not finite; using 0") }
    }

    /// The worst possible value for the direction: `+inf` when minimizing (or unknown), `-inf` when maximizing.
    public var worstValue: Double { direction == .maximize ? -.infinity : .infinity }

    /// The class name used in messages (`EarlyStopping`, `ReduceLROnPlateau`, `ModelCheckpoint`).
    public var callbackName: String { String(describing: type(of: self)) }

    /// Keras 3's `mode="auto"` (`MonitorCallback._set_monitor_op`): after removing one `val_` prefix, `loss`
    /// minimizes; otherwise the direction is that of the Keras 3 metric with this name (its `_direction`), by the
    /// names `compile(metrics=[...])` gives them: the string used (`"acc"`, `"mae"`, `"mse"`, ...) or the class's
    /// default name. Matching ignores case (Keras also has `MSE`, `MAE`, ... aliases).
    ///
    /// | maximize (`_direction = "up"`) | minimize (`"down"`) |
    /// |---|---|
    /// | `accuracy`, `acc`, `binary_accuracy`, `categorical_accuracy`, `sparse_categorical_accuracy`, `top_k_categorical_accuracy`, `sparse_top_k_categorical_accuracy` | `loss` |
    /// | `auc`, `precision`, `recall`, `precision_at_recall`, `recall_at_precision`, `sensitivity_at_specificity`, `specificity_at_sensitivity` | `mean_squared_error`/`mse`, `mean_absolute_error`/`mae`, `mean_absolute_percentage_error`/`mape`, `mean_squared_logarithmic_error`/`msle`, `root_mean_squared_error`, `logcosh` |
    /// | `f1_score`, `fbeta_score`, `iou`, `binary_iou`, `mean_iou`, `one_hot_iou`, `one_hot_mean_iou` | `hinge`, `squared_hinge`, `categorical_hinge` |
    /// | `r2_score`, `cosine_similarity`, `pearson_correlation`, `concordance_correlation` | `binary_crossentropy`/`bce`, `categorical_crossentropy`, `sparse_categorical_crossentropy`, `kl_divergence`, `poisson` |
    ///
    /// Anything else (`learning_rate`, `true_positives`, a name with a typo) returns nil: Keras 3 raises
    /// `ValueError` asking for `mode='min'` or `mode='max'`, and so does Trainboard (`MonitorError.unknownDirection`).
    /// (Keras 2's rule, "contains `acc` or starts with `fmeasure` -> max, else min", is not used.)
    public static func inferDirection(for monitor: String) -> MonitorDirection? {
        var name = monitor.lowercased()
        if name.hasPrefix("val_") { name.removeFirst(4) }
        if name == "loss" { return .minimize }
        if maximizedMetricNames.contains(name) { return .maximize }
        if minimizedMetricNames.contains(name) { return .minimize }
        return nil
    }

    /// Keras 3 metric names whose `_direction` is `"up"` (keras/src/metrics: accuracy, confusion, f-score, IoU,
    /// regression and correlation metrics).
    public static let maximizedMetricNames: Set<String> = [
        "accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
        "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
        "auc", "precision", "recall", "precision_at_recall", "recall_at_precision", "sensitivity_at_specificity",
        "specificity_at_sensitivity", "f1_score", "fbeta_score", "iou", "binary_iou", "mean_iou", "one_hot_iou",
        "one_hot_mean_iou", "r2_score", "cosine_similarity", "pearson_correlation", "concordance_correlation",
    ]

    /// Keras 3 metric names whose `_direction` is `"down"` (regression, hinge and probabilistic metrics, and metrics
    /// that wrap a loss function, which `MeanMetricWrapper` marks `"down"`).
    public static let minimizedMetricNames: Set<String> = [
        "mean_squared_error", "mse", "mean_absolute_error", "mae", "mean_absolute_percentage_error", "mape",
        "mean_squared_logarithmic_error", "msle", "root_mean_squared_error", "logcosh",
        "hinge", "squared_hinge", "categorical_hinge",
        "binary_crossentropy", "bce", "categorical_crossentropy", "sparse_categorical_crossentropy",
        "kl_divergence", "poisson",
    ]

    /// True when `current` beats `reference` by more than `minDelta` in the monitored direction; never for NaN (nor
    /// when the direction is unknown).
    public func isImprovement(_ current: Double, over reference: Double) -> Bool {
        if current.isNaN || reference.isNaN { return false }
        switch direction {
        case .minimize: return current < reference - minDelta
        case .maximize: return current > reference + minDelta
        case nil: return false
        }
    }

    /// Whether this callback consults `monitor` at all (`ModelCheckpoint` only with `saveBestOnly`).
    open var usesMonitor: Bool { true }

    /// Checks, before training, that the monitor will work in a run whose epoch logs hold exactly `loggedKeys`
    /// (e.g. `Sequential.epochLogKeys(hasValidation:)`). Does nothing when the callback does not use its monitor.
    /// - Throws: `MonitorError.unknownDirection` (mode `.auto` and a name of unknown direction), then
    ///   `MonitorError.unavailable` (the key is not logged), the latter listing `loggedKeys` sorted.
    public func validate(loggedKeys: some Sequence<String>) throws {
        guard usesMonitor else { return }
        if direction == nil { throw MonitorError.unknownDirection(callback: callbackName, monitor: monitor) }
        let keys = Set(loggedKeys)
        guard keys.contains(monitor) else {
            throw MonitorError.unavailable(callback: callbackName, monitor: monitor, available: keys.sorted())
        }
    }

    /// The monitored value in `logs`. When the direction is unknown or `logs` lack `monitor`, raises the
    /// `MonitorError` (`fit` then throws it after this hook) and returns nil.
    public func monitorValue(_ logs: Logs, epoch: Int) -> Double? {
        do {
            try validate(loggedKeys: logs.keys)
        } catch {
            raise(error)
            return nil
        }
        return logs[monitor]
    }
}
