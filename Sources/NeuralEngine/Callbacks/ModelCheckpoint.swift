/// Saves the model at the end of epochs (Keras 3 `keras.callbacks.ModelCheckpoint`,
/// `keras/src/callbacks/model_checkpoint.py`), with `Sequential.save(to:metadata:)` (atomic: write to a temporary
/// file, then rename). Counts epochs.
///
/// - `filepath` is a `FilepathTemplate`: `{epoch}` is `epoch + 1` (Keras), `{epoch:02d}`, `{val_loss:.4f}`, ...
/// - `saveBestOnly`: save only when `monitor` improves on the best value so far (`MonitorCallback.isImprovement`;
///   NaN never does); the first finite value always does unless `initialValueThreshold` (the `baseline`) is set,
///   which is then the value to beat (Keras `initial_value_threshold`). A monitor that is not logged, or whose
///   direction `mode: .auto` cannot tell, makes `fit` throw `MonitorError` at the end of the first epoch (Keras
///   prints "skipping" every epoch and never saves).
/// - Otherwise: save every epoch; `monitor` is not consulted (`usesMonitor` is false).
///
/// Errors: Keras raises out of `fit` when a checkpoint cannot be written or its path cannot be formatted. A Swift
/// callback hook cannot throw, so the error is recorded as an `.error` message (also in `lastError`) and
/// `model.stopTraining` is set: training stops after this epoch and `fit` returns normally; check `errors` /
/// `lastError` afterwards.
///
/// The metadata written holds the epoch (0-based), the optimizer's `iterations`, the epoch's finite log values
/// (non-finite ones are dropped: JSON has no NaN) and `reason` "ModelCheckpoint".
///
/// Thread-safety: not thread-safe; training thread only.
/// Resumable: a checkpoint keeps `best` (so a resumed run with `saveBestOnly` saves only values better than every
/// earlier epoch's) and the last saved epoch. With `saveBestOnly` the new best is set before the file is written, so
/// that the file's own training state already holds it (set back if the write fails).
public final class ModelCheckpoint: MonitorCallback, ResumableCallback {
    /// How often to save. Only per-epoch saving is implemented (Keras's integer `save_freq`, in batches, is not).
    public enum SaveFrequency: Sendable, Equatable {
        /// At the end of every epoch (Keras `save_freq="epoch"`).
        case epoch
    }

    /// The path template.
    public let filepath: FilepathTemplate
    /// Save only on improvement of `monitor`.
    public let saveBestOnly: Bool
    /// When to save.
    public let saveFrequency: SaveFrequency

    /// The path of the last file written, `nil` before the first save.
    public private(set) var lastSavedPath: String?
    /// The epoch (0-based) of the last file written.
    public private(set) var lastSavedEpoch: Int?
    /// Every (epoch, path) saved, in order.
    public private(set) var saved: [(epoch: Int, path: String)] = []
    /// The last error (path formatting or writing), if any.
    public private(set) var lastError: Error?

    /// - Parameters:
    ///   - filepath: path template, e.g. `ckpt/model-{epoch:02d}-{val_loss:.2f}.json`.
    ///   - monitor: the key compared with `saveBestOnly` (default `val_loss`).
    ///   - mode: `.auto`, `.min` or `.max`.
    ///   - saveBestOnly: save only on improvement.
    ///   - saveFrequency: `.epoch`.
    ///   - initialValueThreshold: with `saveBestOnly`, the value the first save must beat.
    /// - Throws: `ModelError.invalidArgument` for an empty or malformed `filepath`.
    public init(filepath: String, monitor: String = LogKey.valLoss, mode: MonitorMode = .auto,
                saveBestOnly: Bool = false, saveFrequency: SaveFrequency = .epoch,
                initialValueThreshold: Double? = nil) throws {
        guard !filepath.isEmpty else { throw ModelError.invalidArgument("ModelCheckpoint: empty filepath") }
        self.filepath = try FilepathTemplate(filepath)
        self.saveBestOnly = saveBestOnly
        self.saveFrequency = saveFrequency
        super.init(monitor: monitor, mode: mode, minDelta: 0, baseline: initialValueThreshold)
        best = initialValueThreshold ?? worstValue
    }

    /// The best monitored value saved so far with `saveBestOnly` (`nil` before the first).
    public var bestValue: Double? { best == worstValue ? nil : best }

    /// Only `saveBestOnly` compares the monitored value.
    public override var usesMonitor: Bool { saveBestOnly }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
        if saveBestOnly {
            guard let current = monitorValue(logs, epoch: epoch) else { return }
            guard isImprovement(current, over: best) else { return }
            let previous = best
            best = current
            if save(epoch: epoch, logs: logs) {
                report(.info, kind: .checkpointSaved, epoch: epoch,
                       "Epoch \(epoch + 1): \(monitor) improved from \(previous) to \(current), "
                       + "saving model to \(lastSavedPath ?? "")", path: lastSavedPath)
            } else {
                best = previous
            }
        } else if save(epoch: epoch, logs: logs) {
            report(.info, kind: .checkpointSaved, epoch: epoch, "Epoch \(epoch + 1): saving model to \(lastSavedPath ?? "")",
                   path: lastSavedPath)
        }
    }

    public func captureState() -> CallbackState {
        var v: [String: Double] = ["best": best]
        if let e = lastSavedEpoch { v["lastSavedEpoch"] = Double(e) }
        return CallbackState(values: v)
    }

    public func restoreState(_ state: CallbackState) throws {
        best = state.values["best"] ?? baseline ?? worstValue
        lastSavedEpoch = state.values["lastSavedEpoch"].flatMap { Int(exactly: $0) }
    }

    /// Formats the path and saves; on failure records the error and stops training. Returns success.
    private func save(epoch: Int, logs: Logs) -> Bool {
        guard let model else { return false }
        do {
            let path = try filepath.format(epoch: epoch, logs: logs)
            let meta = ModelMetadata(epoch: epoch, iterations: model.optimizer?.iterations,
                                     logs: logs.filter { $0.value.isFinite }, reason: "ModelCheckpoint")
            try model.save(to: path, metadata: meta)
            lastSavedPath = path
            lastSavedEpoch = epoch
            saved.append((epoch, path))
            return true
        } catch {
            lastError = error
            fail(epoch: epoch, "Epoch \(epoch + 1): ModelCheckpoint failed, stopping training: \(error)")
            return false
        }
    }
}
