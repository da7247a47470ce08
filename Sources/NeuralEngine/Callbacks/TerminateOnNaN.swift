/// Stops training as soon as a batch's loss is NaN or infinite (Keras `keras.callbacks.TerminateOnNaN`,
/// `keras/src/callbacks/terminate_on_nan.py`). Counts batches.
///
/// After each training batch it checks `batch_loss` (this batch's loss; `loss`, the epoch's running mean, when
/// `batch_loss` is absent; either being non-finite triggers). On a NaN or ±inf it sets `model.stopTraining`, so
/// `fit` breaks right after this batch (no later batch, no later epoch; the epoch still ends with `onEpochEnd`),
/// and records one `.error` message with Keras's wording: "Batch N: Invalid loss, terminating training"
/// (N = batch index within the epoch, 0-based, as Keras).
///
/// Thread-safety: not thread-safe; training thread only.
public final class TerminateOnNaN: ReportingCallback {
    /// The batch index (within its epoch, 0-based) whose loss was invalid; `nil` while training is healthy.
    public private(set) var terminatedAtBatch: Int?
    /// The epoch (0-based) of `terminatedAtBatch`.
    public private(set) var terminatedAtEpoch: Int?
    private var epoch = 0

    public override init() { super.init() }

    public override func onTrainBegin(logs: Logs) {
        terminatedAtBatch = nil
        terminatedAtEpoch = nil
    }

    public override func onEpochBegin(_ epoch: Int, logs: Logs) { self.epoch = epoch }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) {
        guard terminatedAtBatch == nil else { return }
        let values = [logs["batch_loss"], logs[LogKey.loss]].compactMap { $0 }
        guard values.contains(where: { !$0.isFinite }) else { return }
        terminatedAtBatch = batch
        terminatedAtEpoch = epoch
        model?.stopTraining = true
        report(.error, kind: .invalidLoss, epoch: epoch, "Batch \(batch): Invalid loss, terminating training")
    }
}
